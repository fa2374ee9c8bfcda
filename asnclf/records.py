"""Streaming readers for user files: text, JSONL, CSV and Parquet, with row numbers.

Every reader yields ``(row, record)`` pairs where ``row`` is the 1-based data row of the file
(header excluded) and ``record`` is a dict, or a :class:`BadRow` when the row cannot be parsed.
A bad row never stops the stream: callers report it and go on.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from asnclf.errors import DataFormatError

FORMATS = ("txt", "jsonl", "csv", "parquet")


@dataclass(frozen=True)
class BadRow:
    """A row that could not be parsed: where and why."""

    row: int
    reason: str


def detect_format(path: str | Path, fmt: str | None = None) -> str:
    """The file format from ``fmt`` or the file name's suffix (``-`` is text on stdin)."""
    if fmt:
        if fmt not in FORMATS:
            raise DataFormatError(f"unknown format {fmt!r}; known formats are {list(FORMATS)}")
        return fmt
    suffix = Path(str(path)).suffix.lower().lstrip(".")
    aliases = {
        "json": "jsonl",
        "ndjson": "jsonl",
        "txt": "txt",
        "text": "txt",
        "csv": "csv",
        "tsv": "csv",
        "parquet": "parquet",
        "pq": "parquet",
        "jsonl": "jsonl",
    }
    if str(path) == "-":
        return "txt"
    if suffix not in aliases:
        raise DataFormatError(f"{path}: cannot tell the format from the suffix {suffix!r}; pass one of {list(FORMATS)}")
    return aliases[suffix]


def _open_text(path: str | Path) -> IO[str]:
    if str(path) == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    try:
        return open(path, encoding="utf-8", errors="replace", newline="")
    except OSError as error:
        raise DataFormatError(f"{path}: cannot open ({error.strerror})") from None


def iter_records(
    path: str | Path, fmt: str | None = None, *, text_field: str = "text"
) -> Iterator[tuple[int, dict[str, Any] | BadRow]]:
    """Yield ``(row, record)`` from a file.

    Text files yield one record ``{text_field: line}`` per non-blank line; use JSONL for
    documents that span several lines.
    """
    fmt = detect_format(path, fmt)
    if fmt == "parquet":
        yield from _iter_parquet(path)
        return
    handle = _open_text(path)
    try:
        if fmt == "jsonl":
            yield from _iter_jsonl(handle)
        elif fmt == "csv":
            delimiter = "\t" if str(path).lower().endswith(".tsv") else ","
            yield from _iter_csv(handle, delimiter)
        else:
            yield from _iter_text(handle, text_field)
    finally:
        if str(path) != "-":
            handle.close()


def _iter_jsonl(handle: IO[str]) -> Iterator[tuple[int, dict[str, Any] | BadRow]]:
    row = 0
    for line in handle:
        if not line.strip():
            continue
        row += 1
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            yield row, BadRow(row, f"invalid JSON ({error.msg} at column {error.colno})")
            continue
        yield (
            row,
            value if isinstance(value, dict) else BadRow(row, f"expected a JSON object, got {type(value).__name__}"),
        )


def _iter_csv(handle: IO[str], delimiter: str) -> Iterator[tuple[int, dict[str, Any] | BadRow]]:
    csv.field_size_limit(1 << 30)
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as error:
        raise DataFormatError(f"cannot read the CSV header ({error})") from None
    row = 0
    while True:
        row += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield row, BadRow(row, f"malformed CSV ({error})")
            continue
        if len(values) != len(header):
            yield row, BadRow(row, f"has {len(values)} fields, the header has {len(header)}")
            continue
        yield row, dict(zip(header, values))


def _iter_text(handle: IO[str], text_field: str) -> Iterator[tuple[int, dict[str, Any] | BadRow]]:
    """One record per non-blank line (one document per line, the usual dump format)."""
    row = 0
    for line in handle:
        line = line.rstrip("\r\n")
        if line.strip():
            row += 1
            yield row, {text_field: line}


def _iter_parquet(path: str | Path) -> Iterator[tuple[int, dict[str, Any] | BadRow]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(str(path))
    except (OSError, pa.ArrowException) as error:
        raise DataFormatError(f"{path}: cannot read Parquet ({error})") from None
    row = 0
    for batch in parquet.iter_batches(batch_size=1024):
        for record in batch.to_pylist():
            row += 1
            yield row, record
