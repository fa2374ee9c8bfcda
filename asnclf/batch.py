"""Batch tagging of files: streaming, resumable, one bad row reported and skipped.

Rows are read lazily, tagged in chunks, and each chunk is written and flushed before the next
is read, so memory stays flat and a crash loses at most the chunk in flight. JSONL and CSV
outputs can be resumed: rows already in the output are skipped on a rerun with ``resume``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from asnclf.errors import DataFormatError, InputError
from asnclf.records import BadRow, detect_format, iter_records
from asnclf.tagger import ArticleTags, Tagger

OUTPUT_FORMATS = ("jsonl", "csv", "parquet")


@dataclass
class BatchSummary:
    """What a batch run did."""

    tagged: int = 0
    skipped_bad: int = 0
    skipped_resumed: int = 0
    bad_rows: list[tuple[int, str]] = field(default_factory=list)


def record_text(record: dict[str, Any], row: int, text_field: str) -> str:
    """The article text of an input record: ``title`` + ``text``/``body``, or corpus format."""
    if isinstance(record.get("sentences"), list):
        sentences = record["sentences"]
        parts = [s.get("text") if isinstance(s, dict) else None for s in sentences]
        if not all(isinstance(p, str) for p in parts):
            raise InputError(f"row {row}, field 'sentences': every sentence needs a string 'text'")
        body = " ".join(parts)  # type: ignore[arg-type]
    else:
        field_name = text_field if text_field in record else "body" if "body" in record else None
        if field_name is None:
            raise InputError(f"row {row}: no field {text_field!r} (fields: {sorted(record)})")
        body = record[field_name]
        if not isinstance(body, str):
            what = "missing" if body is None else f"a {type(body).__name__}, not text"
            raise InputError(f"row {row}, field {field_name!r}: {what}")
    title = record.get("title")
    if title is not None and not isinstance(title, str):
        raise InputError(f"row {row}, field 'title': a {type(title).__name__}, not text")
    return f"{title}\n{body}" if title else body


def _output_row(row: int, record: dict[str, Any], tags: ArticleTags, with_sentences: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"row": row}
    if "id" in record:
        out["id"] = record["id"]
    out.update(tags.to_dict(sentences=with_sentences))
    return out


class _Writer:
    """Appends result rows to JSONL, CSV or Parquet, flushing after every chunk."""

    def __init__(self, path: str, fmt: str, append: bool, label_names: tuple[str, ...]) -> None:
        self.fmt, self.path, self.label_names = fmt, path, label_names
        self._parquet: Any = None
        self._csv: Any = None
        if path == "-":
            self.handle: IO[str] | None = sys.stdout
        elif fmt == "parquet":
            self.handle = None
        else:
            self.handle = open(path, "a" if append else "w", encoding="utf-8", newline="")
        if fmt == "csv":
            header = ["row", "id", "labels", "primary", *[f"score_{n}" for n in label_names], "empty", "truncated"]
            self._csv = csv.DictWriter(self.handle, fieldnames=header, extrasaction="ignore")  # type: ignore[arg-type]
            if not append:
                self._csv.writeheader()

    def write(self, rows: list[dict[str, Any]]) -> None:
        if self.fmt == "jsonl":
            assert self.handle is not None
            for row in rows:
                self.handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        elif self.fmt == "csv":
            for row in rows:
                flat = {**row, "labels": ";".join(row["labels"])}
                flat.update({f"score_{n}": row["scores"][n] for n in self.label_names})
                self._csv.writerow(flat)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pylist(
                [
                    {
                        **r,
                        "sentences": json.dumps(r.get("sentences", []), ensure_ascii=False),
                        "scores": json.dumps(r["scores"]),
                    }
                    for r in rows
                ]
            )
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.path, table.schema)
            self._parquet.write_table(table.cast(self._parquet.schema))
        if self.handle is not None:
            self.handle.flush()
            if self.handle is not sys.stdout:
                os.fsync(self.handle.fileno())

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self.handle is not None and self.handle is not sys.stdout:
            self.handle.close()


def _done_rows(path: str, fmt: str) -> set[int]:
    """Rows already written to a JSONL or CSV output; a torn last line is cut off."""
    if not Path(path).is_file():
        return set()
    with open(path, "rb+") as handle:
        data = handle.read()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            handle.truncate(cut)
            data = data[:cut]
    text = data.decode("utf-8", errors="replace")
    rows: set[int] = set()
    if fmt == "jsonl":
        for line in text.splitlines():
            try:
                rows.add(int(json.loads(line)["row"]))
            except (ValueError, KeyError, TypeError):
                continue
    else:
        for record in csv.DictReader(io.StringIO(text)):
            try:
                rows.add(int(record["row"]))
            except (ValueError, KeyError, TypeError):
                continue
    return rows


def tag_file(
    tagger: Tagger,
    source: str | Path,
    output: str | Path = "-",
    *,
    input_format: str | None = None,
    output_format: str | None = None,
    text_field: str = "text",
    resume: bool = False,
    with_sentences: bool = True,
    chunk_size: int = 64,
    on_bad_row: Callable[[int, str], None] | None = None,
    progress: bool = False,
) -> BatchSummary:
    """Tag every record of ``source`` and write one result per good row to ``output``.

    Args:
        tagger: the tagger to use.
        source: input file (text: one article a line; JSONL, CSV, Parquet: a record a row with
            ``text_field`` or ``body``, and optional ``title`` and ``id``), or ``-`` for stdin.
        output: output file (JSONL, CSV or Parquet by suffix) or ``-`` for stdout (JSONL).
        resume: skip rows already in ``output`` (JSONL and CSV) and append.
        with_sentences: include each sentence's labels, scores and span.
        chunk_size: articles tagged and written together.
        on_bad_row: called with ``(row, reason)`` for each skipped row.
        progress: show a progress bar.
    """
    in_fmt = detect_format(source, input_format)
    out_fmt = output_format or ("jsonl" if str(output) == "-" else detect_format(output))
    if out_fmt not in OUTPUT_FORMATS:
        raise DataFormatError(f"cannot write {out_fmt!r}; output formats are {list(OUTPUT_FORMATS)}")
    if resume and out_fmt == "parquet":
        raise DataFormatError("resume works with JSONL and CSV outputs; Parquet files cannot be appended to")
    done = _done_rows(str(output), out_fmt) if resume and str(output) != "-" else set()
    summary = BatchSummary()
    writer = _Writer(str(output), out_fmt, append=bool(done), label_names=tagger.labels.names)

    def bad(row: int, reason: str) -> None:
        summary.skipped_bad += 1
        summary.bad_rows.append((row, reason))
        if on_bad_row is not None:
            on_bad_row(row, reason)

    records: Iterator[tuple[int, dict[str, Any] | BadRow]] = iter_records(source, in_fmt, text_field=text_field)
    if progress:
        from tqdm.auto import tqdm

        records = tqdm(records, desc="tagging", unit="article")
    try:
        chunk: list[tuple[int, dict[str, Any], str]] = []
        for row, record in records:
            if row in done:
                summary.skipped_resumed += 1
                continue
            if isinstance(record, BadRow):
                bad(row, record.reason)
                continue
            try:
                text = record_text(record, row, text_field)
            except InputError as error:
                bad(row, error.message)
                continue
            chunk.append((row, record, text))
            if len(chunk) >= chunk_size:
                summary.tagged += _flush(tagger, chunk, writer, with_sentences)
                chunk = []
        if chunk:
            summary.tagged += _flush(tagger, chunk, writer, with_sentences)
    finally:
        writer.close()
    return summary


def _flush(tagger: Tagger, chunk: list[tuple[int, dict[str, Any], str]], writer: _Writer, with_sentences: bool) -> int:
    results = tagger.tag_many([text for _, _, text in chunk])
    writer.write([_output_row(row, record, tags, with_sentences) for (row, record, _), tags in zip(chunk, results)])
    return len(results)
