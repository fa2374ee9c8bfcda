"""The bundled corpus and the readers of labelled user files."""

from __future__ import annotations

import json

import pytest

from asnclf.artifacts import sha256_file
from asnclf.corpus import (
    article_rows,
    load_articles,
    load_corpus,
    parse_article,
    read_articles,
    read_labeled,
    sentence_rows,
    split_path,
)
from asnclf.errors import DataFormatError, InputError, LabelError
from asnclf.labels import LABELS, OTHER, LabelSet
from asnclf.models.base import Context

ROWS = [
    {"text": "Sekda mengingatkan ASN agar netral.", "labels": ["warning"]},
    {"text": "Bawaslu menerima laporan dan KASN menjatuhkan sanksi.", "labels": ["violation_report", "sanction"]},
    {"text": "Cuaca cerah.", "labels": []},
    {"text": "Ratusan ASN berikrar netral.", "labels": ["declaration"]},
]


@pytest.mark.parametrize(
    ("split", "level", "rows"),
    [
        ("train", "sentence", 4400),
        ("dev", "sentence", 587),
        ("test", "sentence", 1350),
        ("train", "article", 320),
        ("dev", "article", 42),
        ("test", "article", 98),
    ],
)
def test_corpus_load_corpus_row_counts(split, level, rows):
    dataset = load_corpus(split, level)
    assert dataset.num_rows == rows
    expected = {
        "sentence": {"article_id", "position", "is_title", "text", "labels", "title", "previous"},
        "article": {"id", "title", "text", "labels", "primary", "n_sentences"},
    }[level]
    assert expected <= set(dataset.column_names)


@pytest.mark.parametrize(("split", "level"), [("validation", "sentence"), ("train", "paragraph")])
def test_corpus_load_corpus_bad_arguments(split, level):
    with pytest.raises(InputError, match=split if split == "validation" else level):
        load_corpus(split, level)


def test_corpus_articles_and_sentence_rows_agree():
    articles = load_articles("dev")
    rows = sentence_rows(articles)
    assert len(rows) == sum(len(a.units) for a in articles)
    first = articles[0]
    assert first.title and rows[0]["is_title"] and rows[0]["text"] == first.title and rows[0]["previous"] == ""
    assert rows[1]["previous"] == first.title and rows[1]["title"] == first.title
    assert first.text == f"{first.title}\n{first.body}"
    for article in articles:
        assert set(article.labels) <= set(LABELS)
        assert article.primary in (*LABELS, OTHER)
        assert article.primary == OTHER or article.primary in article.labels
    assert [r["id"] for r in article_rows(articles)] == [a.id for a in articles]


def test_corpus_read_labeled_corpus_format():
    data = read_labeled(split_path("dev"))
    assert data.articles is not None and len(data.articles) == 42
    assert len(data.texts) == len(data.labels) == len(data.context) == 587
    assert isinstance(data.context[1], Context) and data.context[1].title == data.articles[0].title
    assert data.sha256 == sha256_file(split_path("dev"))


# ---------------------------------------------------------------------------- flat files
def _write_flat(path, rows, fmt, layout):
    """Write ``rows`` as ``fmt`` with a label-list column (``list``/``string``) or 0/1 columns."""
    if layout == "onehot":
        records = [{"text": r["text"], **{name: int(name in r["labels"]) for name in LABELS}} for r in rows]
    elif layout == "string":
        records = [{"text": r["text"], "labels": ";".join(r["labels"])} for r in rows]
    else:
        records = [dict(r) for r in rows]
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    elif fmt == "csv":
        import csv

        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(records[0]))
            writer.writeheader()
            for record in records:
                writer.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in record.items()})
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(records), path)
    return path


@pytest.mark.parametrize("layout", ["list", "string", "onehot"])
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_corpus_read_labeled_flat_files(tmp_path, fmt, layout):
    path = _write_flat(tmp_path / f"data.{fmt}", ROWS, fmt, layout)
    data = read_labeled(path)
    assert data.texts == [r["text"] for r in ROWS]
    assert [sorted(labels) for labels in data.labels] == [sorted(r["labels"]) for r in ROWS]
    assert data.articles is None and data.context is None
    assert data.sha256 == sha256_file(path) and data.source == str(path)


def test_corpus_read_labeled_custom_fields_and_label_set(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text(
        '{"kalimat": "a", "kelas": "positive"}\n{"kalimat": "b", "kelas": ["negative"]}\n', encoding="utf-8"
    )
    labels = LabelSet(("positive", "negative"), multi_label=False)
    data = read_labeled(path, label_set=labels, text_field="kalimat", label_field="kelas")
    assert data.texts == ["a", "b"] and data.labels == [["positive"], ["negative"]]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_corpus_unknown_label_lists_unknown_and_known(tmp_path, fmt):
    rows = [*ROWS[:2], {"text": "x", "labels": ["warning", "bribery"]}, *ROWS[2:]]
    path = _write_flat(tmp_path / f"data.{fmt}", rows, fmt, "list")
    with pytest.raises(LabelError) as error:
        read_labeled(path)
    message = str(error.value)
    assert "'bribery'" in message and "row 3" in message and str(path) in message
    for name in LABELS:
        assert name in message


@pytest.mark.parametrize(
    ("field", "value"),
    [("sentence", {"text": "a", "labels": ["bribery"]}), ("title_labels", ["bribery"]), ("primary", "bribery")],
)
def test_corpus_unknown_label_in_corpus_format(tmp_path, field, value):
    record = {"id": "x", "title": "T", "sentences": [{"text": "a", "labels": []}]}
    if field == "sentence":
        record["sentences"].append(value)
    else:
        record[field] = value
    path = tmp_path / "corpus.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(LabelError) as error:
        read_labeled(path)
    message = str(error.value)
    assert "bribery" in message and "row 1" in message
    for name in LABELS:
        assert name in message


@pytest.mark.parametrize("reader", ["read_labeled", "read_articles"])
@pytest.mark.parametrize("bad", ['{"text": "unterminated', "[1, 2]", "not json at all"])
def test_corpus_malformed_jsonl_row_names_its_row(tmp_path, reader, bad):
    lines = split_path("dev").read_text(encoding="utf-8").splitlines()[:4]
    lines.insert(2, bad)
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"row 3\b"):
        {"read_labeled": read_labeled, "read_articles": read_articles}[reader](path)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"title": "T"}, "'sentences'"),
        ({"sentences": [{"labels": []}]}, r"sentences\[0\]\.text"),
        ({"sentences": [{"text": "a", "labels": "warning"}]}, "list of label names"),
        ({"sentences": [], "title": 5}, "'title'"),
    ],
)
def test_corpus_parse_article_errors_name_field(record, message):
    with pytest.raises(DataFormatError, match=message):
        parse_article(record, 4, "file.jsonl")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"sentence": "a", "labels": []}\n', "no field 'text'"),
        ('{"text": "a"}\n', "no 'labels' field and no label columns"),
        ('{"text": "a", "warning": "maybe"}\n', "expected 0/1"),
    ],
)
def test_corpus_flat_file_errors(tmp_path, content, message):
    path = tmp_path / "data.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataFormatError, match=message):
        read_labeled(path)


def test_corpus_missing_file(tmp_path):
    with pytest.raises(DataFormatError, match="no such file"):
        read_labeled(tmp_path / "missing.jsonl")


def test_corpus_onehot_string_values(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(
        "text,declaration,warning,violation_report,sanction\na,true,no,,1\nb,0,YES,false,0\n", encoding="utf-8"
    )
    assert read_labeled(path).labels == [["declaration", "sanction"], ["warning"]]


def test_corpus_null_labels_mean_no_label(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"text": "a", "labels": null}\n{"text": "b", "labels": "warning, sanction"}\n', encoding="utf-8")
    assert read_labeled(path).labels == [[], ["warning", "sanction"]]
