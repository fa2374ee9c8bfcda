"""Streaming readers: formats, 1-based row numbers, bad rows reported and skipped."""

from __future__ import annotations

import pytest

from asnclf.errors import DataFormatError
from asnclf.records import BadRow, detect_format, iter_records


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.txt", "txt"),
        ("a.TEXT", "txt"),
        ("a.jsonl", "jsonl"),
        ("a.json", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("a.csv", "csv"),
        ("a.tsv", "csv"),
        ("a.parquet", "parquet"),
        ("a.pq", "parquet"),
        ("-", "txt"),
    ],
)
def test_records_detect_format(name, fmt):
    assert detect_format(name) == fmt


def test_records_detect_format_errors():
    with pytest.raises(DataFormatError, match="'xlsx'"):
        detect_format("data.xlsx")
    with pytest.raises(DataFormatError, match="unknown format"):
        detect_format("data.txt", "docx")
    assert detect_format("data.weird", "jsonl") == "jsonl"


def test_records_text_one_record_per_nonblank_line(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"first line\r\n\n   \nsecond \xff line\nthird")
    records = list(iter_records(path, text_field="body"))
    assert records == [(1, {"body": "first line"}), (2, {"body": "second \ufffd line"}), (3, {"body": "third"})]


def test_records_jsonl_bad_rows_do_not_stop_the_stream(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "a"}\n\n{"text": \n[1]\n{"text": "d"}\n"just a string"\n', encoding="utf-8")
    records = list(iter_records(path))
    assert [row for row, _ in records] == [1, 2, 3, 4, 5]
    assert records[0][1] == {"text": "a"} and records[3][1] == {"text": "d"}
    assert isinstance(records[1][1], BadRow) and records[1][1].row == 2 and "invalid JSON" in records[1][1].reason
    assert isinstance(records[2][1], BadRow) and "got list" in records[2][1].reason
    assert isinstance(records[4][1], BadRow) and "got str" in records[4][1].reason


def test_records_csv_rows_and_bad_rows(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('id,text\n1,"ASN, netral"\n2,a,extra\n3,"multi\nline"\n', encoding="utf-8")
    records = list(iter_records(path))
    assert records[0] == (1, {"id": "1", "text": "ASN, netral"})
    assert isinstance(records[1][1], BadRow) and "3 fields" in records[1][1].reason
    assert records[2] == (3, {"id": "3", "text": "multi\nline"})


def test_records_tsv_and_empty_csv(tmp_path):
    tsv = tmp_path / "a.tsv"
    tsv.write_text("id\ttext\n1\tASN, netral\n", encoding="utf-8")
    assert list(iter_records(tsv)) == [(1, {"id": "1", "text": "ASN, netral"})]
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert list(iter_records(empty)) == []


def test_records_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "a.parquet"
    pq.write_table(pa.Table.from_pylist([{"text": f"t{i}", "id": i} for i in range(2500)]), path)
    records = list(iter_records(path))
    assert len(records) == 2500 and records[0] == (1, {"text": "t0", "id": 0})
    assert records[-1] == (2500, {"text": "t2499", "id": 2499})


@pytest.mark.parametrize("content", [b"", b"PAR1 not really", b"\x00" * 100])
def test_records_corrupt_parquet_is_own_error(tmp_path, content):
    path = tmp_path / "a.parquet"
    path.write_bytes(content)
    with pytest.raises(DataFormatError, match="Parquet"):
        list(iter_records(path))


def test_records_missing_file_is_own_error(tmp_path):
    with pytest.raises(DataFormatError, match="cannot open"):
        list(iter_records(tmp_path / "missing.jsonl"))
