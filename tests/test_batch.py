"""Batch tagging of files: bad rows reported and skipped, resumable outputs, record layouts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from asnclf.batch import record_text, tag_file
from asnclf.errors import DataFormatError, InputError

GOOD = [
    "Sekda mengingatkan ASN agar tidak ikut kampanye.",
    "Bawaslu menerima laporan dugaan camat ikut kampanye. KASN menjatuhkan sanksi.",
    "Ratusan ASN mengucapkan ikrar netralitas.",
    "Cuaca cerah di Garut.",
]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_batch_bad_rows_reported_and_skipped(tagger, tmp_path):
    source = _write_lines(
        tmp_path / "in.jsonl",
        [
            json.dumps({"id": "a", "text": GOOD[0]}),
            '{"id": "b", "text": "unterminated',
            json.dumps({"id": "c", "text": None}),
            json.dumps({"id": "d", "text": 5}),
            json.dumps({"id": "e", "text": GOOD[1]}),
            json.dumps({"id": "f", "title": 3, "text": "x"}),
            json.dumps({"id": "g", "content": "no text field"}),
            json.dumps(["not", "an", "object"]),
            json.dumps({"id": "i", "title": "Judul", "text": GOOD[2]}),
        ],
    )
    reported: list[tuple[int, str]] = []
    output = tmp_path / "out.jsonl"
    summary = tag_file(tagger, source, output, on_bad_row=lambda row, reason: reported.append((row, reason)))
    assert [row for row, _ in reported] == [2, 3, 4, 6, 7, 8]
    reasons = dict(reported)
    assert "invalid JSON" in reasons[2] and "missing" in reasons[3] and "int" in reasons[4]
    assert "'title'" in reasons[6] and "no field 'text'" in reasons[7] and "JSON object" in reasons[8]
    assert (summary.tagged, summary.skipped_bad) == (3, 6) and summary.bad_rows == reported
    rows = _jsonl(output)
    assert [(r["row"], r["id"]) for r in rows] == [(1, "a"), (5, "e"), (9, "i")]
    assert rows[2]["sentences"][0]["is_title"] and rows[2]["sentences"][0]["text"] == "Judul"


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_batch_resume_after_torn_output(tagger, tmp_path, fmt):
    source = _write_lines(tmp_path / "in.txt", [f"{GOOD[i % 4]} Nomor {i}." for i in range(25)])
    full = tmp_path / f"full.{fmt}"
    tag_file(tagger, source, full, chunk_size=4)
    content = full.read_bytes()
    lines = content.splitlines(keepends=True)
    header = 1 if fmt == "csv" else 0
    keep = header + 10
    partial = tmp_path / f"partial.{fmt}"
    partial.write_bytes(b"".join(lines[:keep]) + lines[keep][: len(lines[keep]) // 2])  # torn last line
    summary = tag_file(tagger, source, partial, resume=True, chunk_size=4)
    assert (summary.tagged, summary.skipped_resumed) == (15, 10)
    assert partial.read_bytes() == content  # same rows, same order, nothing duplicated
    again = tag_file(tagger, source, partial, resume=True)
    assert (again.tagged, again.skipped_resumed) == (0, 25)
    assert partial.read_bytes() == content


def test_batch_resume_without_output_is_a_full_run(tagger, tmp_path):
    source = _write_lines(tmp_path / "in.txt", GOOD)
    output = tmp_path / "out.jsonl"
    assert tag_file(tagger, source, output, resume=True).tagged == 4
    assert [r["row"] for r in _jsonl(output)] == [1, 2, 3, 4]


def test_batch_resume_refuses_parquet(tagger, tmp_path):
    source = _write_lines(tmp_path / "in.txt", GOOD)
    with pytest.raises(DataFormatError, match="resume"):
        tag_file(tagger, source, tmp_path / "out.parquet", resume=True)


def test_batch_unknown_output_format(tagger, tmp_path):
    source = _write_lines(tmp_path / "in.txt", GOOD)
    with pytest.raises(DataFormatError):
        tag_file(tagger, source, tmp_path / "out.xlsx")
    with pytest.raises(DataFormatError, match="cannot write"):
        tag_file(tagger, source, tmp_path / "out.txt")


def test_batch_without_sentences_and_to_stdout(tagger, tmp_path, capsys):
    source = _write_lines(tmp_path / "in.txt", GOOD[:2])
    tag_file(tagger, source, "-", with_sentences=False)
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["row"] for r in rows] == [1, 2] and all("sentences" not in r for r in rows)


def test_batch_csv_output_columns(tagger, tmp_path):
    source = _write_lines(tmp_path / "in.jsonl", [json.dumps({"id": i, "text": t}) for i, t in enumerate(GOOD)])
    output = tmp_path / "out.csv"
    tag_file(tagger, source, output)
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))
    assert list(rows[0]) == [
        "row",
        "id",
        "labels",
        "primary",
        "score_declaration",
        "score_warning",
        "score_violation_report",
        "score_sanction",
        "empty",
        "truncated",
    ]
    assert [r["id"] for r in rows] == ["0", "1", "2", "3"]
    expected = tagger.tag_many(GOOD)
    assert [r["labels"] for r in rows] == [";".join(e.labels) for e in expected]


@pytest.mark.parametrize(
    ("record", "text"),
    [
        ({"text": "a"}, "a"),
        ({"body": "b"}, "b"),
        ({"title": "T", "text": "a"}, "T\na"),
        ({"title": "", "text": "a"}, "a"),
        ({"title": "T", "sentences": [{"text": "x"}, {"text": "y"}]}, "T\nx y"),
    ],
)
def test_batch_record_text_layouts(record, text):
    assert record_text(record, 1, "text") == text


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"sentences": [{"text": 1}]}, "'sentences'"),
        ({"other": "a"}, "no field 'text'"),
        ({"text": None}, "missing"),
        ({"text": ["a"]}, "list"),
        ({"text": "a", "title": 1}, "'title'"),
    ],
)
def test_batch_record_text_errors_name_row(record, message):
    with pytest.raises(InputError, match=f"row 7.*{message}"):
        record_text(record, 7, "text")


def test_batch_parquet_null_text_is_reported(tagger, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = tmp_path / "in.parquet"
    pq.write_table(
        pa.Table.from_pylist([{"id": "a", "text": GOOD[0]}, {"id": "b", "text": None}, {"id": "c", "text": GOOD[1]}]),
        source,
    )
    output = tmp_path / "out.parquet"
    summary = tag_file(tagger, source, output)
    assert summary.bad_rows and summary.bad_rows[0][0] == 2
    table = pq.read_table(output).to_pylist()
    assert [(r["row"], r["id"]) for r in table] == [(1, "a"), (3, "c")]
    assert json.loads(table[0]["scores"]).keys() == set(tagger.labels.names)
