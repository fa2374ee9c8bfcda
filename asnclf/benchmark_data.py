"""Readers for public Indonesian benchmarks, read in place and never copied.

Each dataset becomes :class:`~asnclf.corpus.LabeledData` splits (``train``, ``valid``,
``test``) with the :class:`~asnclf.labels.LabelSet` of its task, so models, training and
evaluation treat it exactly like the ASN corpus:

============  ==========================================  ===============================
name          task                                        labels
============  ==========================================  ===============================
``smsa``      IndoNLU SmSA, document sentiment             multi-class: positive, neutral,
              (TSV without header: ``text<TAB>label``)     negative
``emot``      IndoNLU EmoT, tweet emotion                  multi-class: sadness, anger,
              (CSV ``label,tweet``)                        love, fear, happy
``casa``      IndoNLU CASA, car-review aspect sentiment    grouped: six aspects (fuel,
              (CSV ``sentence`` + one column per aspect)   machine, others, part, price,
                                                           service) x negative, neutral,
                                                           positive
``nusax_senti_ind``  NusaX sentiment, Indonesian          multi-class: negative, neutral,
              (CSV ``id,text,label``)                      positive
============  ==========================================  ===============================

Label orders follow the IndoNLU / NusaX code. The data directory is ``--data-dir``, else
``$ASNCLF_DATA_DIR``, else ``../shared/data/benchmarks`` (from the working directory, then from
the checkout holding asnclf). Files keep their upstream licences (Apache-2.0 for IndoNLU,
CC BY-SA 4.0 for NusaX); each dataset directory holds ``SOURCE`` and ``LICENSE``.
"""

from __future__ import annotations

import csv
import os
import random
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from asnclf.artifacts import sha256_file
from asnclf.corpus import LabeledData
from asnclf.errors import DataFormatError, InputError
from asnclf.labels import LabelSet

DATA_DIR_ENV = "ASNCLF_DATA_DIR"
DEFAULT_DATA_DIR = Path("..") / "shared" / "data" / "benchmarks"
SPLITS = ("train", "valid", "test")
SENTIMENT_VALUES = ("negative", "neutral", "positive")
CASA_ASPECTS = ("fuel", "machine", "others", "part", "price", "service")


class BenchmarkDataMissing(InputError):
    """A benchmark's files are not where the data directory says; the suite skips it."""

    code = "E004"


@dataclass(frozen=True)
class DatasetSpec:
    """Where a benchmark lives and how to read it.

    Attributes:
        name: short name, also its directory under the data directory.
        title: display name.
        label_set: the task's labels.
        extension: file extension of the splits (``tsv`` or ``csv``).
        reader: ``reader(path, label_set) -> (texts, label lists)``.
        metric: the published metric, in words.
    """

    name: str
    title: str
    label_set: LabelSet
    extension: str
    reader: Callable[[Path, LabelSet], tuple[list[str], list[list[str]]]]
    metric: str


@dataclass
class Dataset:
    """A benchmark read from disk: its splits, label set and file hashes."""

    spec: DatasetSpec
    directory: Path
    splits: dict[str, LabeledData]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = ""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label_set(self) -> LabelSet:
        return self.spec.label_set

    def describe(self) -> dict[str, Any]:
        """JSON-ready: name, title, source line, label set, and per split its size and sha256."""
        return {
            "name": self.spec.name,
            "title": self.spec.title,
            "source": self.source,
            "labels": self.label_set.to_dict(),
            "metric": self.spec.metric,
            "files": self.files,
        }


# ---------------------------------------------------------------------------- readers
def _rows(path: Path, **options: Any) -> Iterator[tuple[int, list[str]]]:
    with open(path, encoding="utf-8", newline="") as handle:
        yield from enumerate(csv.reader(handle, **options), start=1)


def _check_value(value: str, allowed: Sequence[str], path: Path, row: int, column: str) -> str:
    value = value.strip()
    if value not in allowed:
        raise DataFormatError(
            f"{path}, line {row}, column {column!r}: unknown label {value!r}; known labels are {list(allowed)}"
        )
    return value


def read_smsa(path: Path, label_set: LabelSet) -> tuple[list[str], list[list[str]]]:
    """SmSA: ``text<TAB>label`` lines, no header, no quoting."""
    texts, labels = [], []
    for row, cells in _rows(path, delimiter="\t", quoting=csv.QUOTE_NONE):
        if not cells:
            continue
        if len(cells) != 2:
            raise DataFormatError(f"{path}, line {row}: expected 'text<TAB>label', got {len(cells)} fields")
        texts.append(cells[0])
        labels.append([_check_value(cells[1], label_set.names, path, row, "label")])
    return texts, labels


def _read_header_csv(path: Path, text_column: str) -> tuple[list[str], list[dict[str, str]]]:
    rows = _rows(path)
    try:
        _, header = next(rows)
    except StopIteration:
        raise DataFormatError(f"{path}: empty file") from None
    if text_column not in header:
        raise DataFormatError(f"{path}: no column {text_column!r} (columns: {header})")
    records = []
    for row, cells in rows:
        if not cells:
            continue
        if len(cells) != len(header):
            raise DataFormatError(f"{path}, line {row}: {len(cells)} fields, the header has {len(header)}")
        records.append({"_line": str(row), **dict(zip(header, cells))})
    return header, records


def _single_label_csv(text_column: str) -> Callable[[Path, LabelSet], tuple[list[str], list[list[str]]]]:
    def read(path: Path, label_set: LabelSet) -> tuple[list[str], list[list[str]]]:
        header, records = _read_header_csv(path, text_column)
        if "label" not in header:
            raise DataFormatError(f"{path}: no column 'label' (columns: {header})")
        texts = [r[text_column] for r in records]
        labels = [[_check_value(r["label"], label_set.names, path, int(r["_line"]), "label")] for r in records]
        return texts, labels

    return read


def read_casa(path: Path, label_set: LabelSet) -> tuple[list[str], list[list[str]]]:
    """CASA: ``sentence`` and one sentiment column per aspect; one label ``aspect:value`` each."""
    header, records = _read_header_csv(path, "sentence")
    missing = [a for a in CASA_ASPECTS if a not in header]
    if missing:
        raise DataFormatError(f"{path}: aspect column(s) {missing} missing (columns: {header})")
    texts = [r["sentence"] for r in records]
    labels = [
        [f"{a}:{_check_value(r[a], SENTIMENT_VALUES, path, int(r['_line']), a)}" for a in CASA_ASPECTS] for r in records
    ]
    return texts, labels


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            "smsa",
            "SmSA",
            LabelSet(("positive", "neutral", "negative"), multi_label=False),
            "tsv",
            read_smsa,
            "macro-F1 over the three classes",
        ),
        DatasetSpec(
            "emot",
            "EmoT",
            LabelSet(("sadness", "anger", "love", "fear", "happy"), multi_label=False),
            "csv",
            _single_label_csv("tweet"),
            "macro-F1 over the five emotions",
        ),
        DatasetSpec(
            "casa",
            "CASA",
            LabelSet.from_groups({a: SENTIMENT_VALUES for a in CASA_ASPECTS}),
            "csv",
            read_casa,
            "macro-F1 over negative/neutral/positive, pooled over the six aspects (IndoNLU absa_metrics_fn)",
        ),
        DatasetSpec(
            "nusax_senti_ind",
            "NusaX-senti (ind)",
            LabelSet(SENTIMENT_VALUES, multi_label=False),
            "csv",
            _single_label_csv("text"),
            "macro-F1 over the three classes",
        ),
    )
}


# ---------------------------------------------------------------------------- locating and loading
def data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The benchmark data directory: ``path``, ``$ASNCLF_DATA_DIR``, or the default."""
    if path:
        return Path(path)
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV])
    checkout = Path(__file__).resolve().parent.parent
    candidates = [Path.cwd() / DEFAULT_DATA_DIR, checkout / DEFAULT_DATA_DIR]
    return next((c.resolve() for c in candidates if c.is_dir()), candidates[0])


def spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise InputError(f"unknown benchmark dataset {name!r}; known ones are {sorted(DATASETS)}")
    return DATASETS[name]


def split_files(name: str, directory: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """Paths of a dataset's split files (whether or not they exist)."""
    s = spec(name)
    root = data_dir(directory) / s.name
    return {split: root / f"{split}.{s.extension}" for split in SPLITS}


def load_dataset(name: str, directory: str | os.PathLike[str] | None = None) -> Dataset:
    """Read a benchmark's three splits.

    Raises:
        BenchmarkDataMissing: a split file is absent (the message names the path and how to
            point asnclf at the data).
        DataFormatError: a file is malformed or holds an unknown label.
    """
    s = spec(name)
    files = split_files(name, directory)
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise BenchmarkDataMissing(
            f"{s.title} is not available: missing {', '.join(missing)}. Put the {s.title} files there or point "
            f"asnclf at the benchmark directory with --data-dir or ${DATA_DIR_ENV}."
        )
    splits: dict[str, LabeledData] = {}
    hashes: dict[str, dict[str, Any]] = {}
    for split, path in files.items():
        texts, labels = s.reader(path, s.label_set)
        if not texts:
            raise DataFormatError(f"{path}: no rows")
        digest = sha256_file(path)
        splits[split] = LabeledData(texts, labels, None, digest, str(path))
        hashes[split] = {"file": path.name, "sha256": digest, "rows": len(texts)}
    source_file = files["train"].parent / "SOURCE"
    source = source_file.read_text(encoding="utf-8").strip() if source_file.is_file() else ""
    return Dataset(s, files["train"].parent, splits, hashes, source)


def subsample(data: LabeledData, n: int | None, seed: int = 0) -> LabeledData:
    """A stratified random subset of ``n`` items (by label combination), order kept.

    The subset is a function of the data, ``n`` and ``seed`` alone. ``None`` or ``n >= len``
    returns ``data`` unchanged. The subset's ``sha256`` stays that of the full file; the
    subset is recorded by its size and seed where it is used.
    """
    total = len(data.texts)
    if n is None or n >= total:
        return data
    if n < 1:
        raise InputError(f"a subset needs at least 1 item, got {n}")
    strata: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, labels in enumerate(data.labels):
        strata[tuple(sorted(labels))].append(i)
    rng = random.Random(seed)
    chosen: list[int] = []
    keys = sorted(strata)
    shares = {k: len(strata[k]) * n / total for k in keys}
    quota = {k: int(shares[k]) for k in keys}
    for k in sorted(keys, key=lambda k: shares[k] - quota[k], reverse=True)[: n - sum(quota.values())]:
        quota[k] += 1
    for k in keys:
        chosen.extend(rng.sample(strata[k], quota[k]))
    chosen.sort()
    context = [data.context[i] for i in chosen] if data.context else None
    return replace(
        data,
        texts=[data.texts[i] for i in chosen],
        labels=[data.labels[i] for i in chosen],
        articles=None,
        context=context,
    )


__all__ = [
    "DATASETS",
    "DATA_DIR_ENV",
    "BenchmarkDataMissing",
    "Dataset",
    "DatasetSpec",
    "data_dir",
    "load_dataset",
    "split_files",
    "subsample",
]
