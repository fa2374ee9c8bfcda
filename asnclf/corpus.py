"""The bundled asn-news corpus and readers for labelled user files.

The corpus ships inside the package (``asnclf/data/asn_news``, datasheet beside it). Two
levels:

- **article**: one row per article (``id, title, text, labels, primary, ...``), where
  ``text`` is the title, a newline, and the body sentences joined by spaces;
- **sentence**: one row per title or body sentence (``article_id, position, is_title, text,
  labels, title, previous``). ``position`` 0 is the title; ``previous`` is the unit
  before (empty for the first).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from asnclf.artifacts import sha256_file
from asnclf.errors import DataFormatError, InputError, LabelError
from asnclf.labels import ASN_LABELS, OTHER, LabelSet
from asnclf.models.base import Context
from asnclf.records import BadRow, iter_records

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class LabeledSentence:
    text: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Article:
    """One annotated article of the corpus format."""

    id: str
    title: str
    title_labels: tuple[str, ...]
    sentences: tuple[LabeledSentence, ...]
    primary: str = OTHER
    date: str = ""
    region: str = ""
    style: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def body(self) -> str:
        return " ".join(s.text for s in self.sentences)

    @property
    def text(self) -> str:
        """Title and body as a user would pass them to ``Tagger.tag``."""
        return f"{self.title}\n{self.body}" if self.title else self.body

    @property
    def units(self) -> list[LabeledSentence]:
        """Title (when present) then body sentences."""
        head = [LabeledSentence(self.title, self.title_labels)] if self.title else []
        return head + list(self.sentences)

    @property
    def labels(self) -> tuple[str, ...]:
        """Union of the sentence labels, in label-set order of first appearance."""
        seen: dict[str, None] = {}
        for unit in self.units:
            for label in unit.labels:
                seen.setdefault(label, None)
        return tuple(seen)


def data_dir() -> Path:
    """Directory of the bundled corpus."""
    return Path(str(resources.files("asnclf") / "data" / "asn_news"))


def split_path(split: str) -> Path:
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; the corpus has {list(SPLITS)}")
    return data_dir() / f"{split}.jsonl"


def _string(record: dict[str, Any], key: str, row: int, source: str, required: bool = True) -> str:
    value = record.get(key, None if required else "")
    if not isinstance(value, str):
        raise DataFormatError(f"{source}, row {row}, field {key!r}: expected a string, got {type(value).__name__}")
    return value


def _label_tuple(value: Any, row: int, key: str, source: str, label_set: LabelSet) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataFormatError(f"{source}, row {row}, field {key!r}: expected a list of label names")
    unknown = [v for v in value if v not in label_set.names]
    if unknown:
        raise LabelError(
            f"{source}, row {row}, field {key!r}: unknown label(s) {unknown}; known labels are {list(label_set.names)}"
        )
    return tuple(value)


def parse_article(record: dict[str, Any], row: int, source: str, label_set: LabelSet = ASN_LABELS) -> Article:
    """Validate one corpus-format record; errors name the file, row and field."""
    sentences = record.get("sentences")
    if not isinstance(sentences, list):
        raise DataFormatError(f"{source}, row {row}, field 'sentences': expected a list of {{text, labels}}")
    parsed = []
    for i, sentence in enumerate(sentences):
        where = f"sentences[{i}]"
        if not isinstance(sentence, dict) or not isinstance(sentence.get("text"), str):
            raise DataFormatError(f"{source}, row {row}, field '{where}.text': expected a string")
        parsed.append(
            LabeledSentence(
                sentence["text"], _label_tuple(sentence.get("labels"), row, f"{where}.labels", source, label_set)
            )
        )
    primary = record.get("primary", OTHER)
    if primary not in (*label_set.names, OTHER):
        raise LabelError(
            f"{source}, row {row}, field 'primary': unknown label {primary!r}; "
            f"known labels are {[*label_set.names, OTHER]}"
        )
    known = {"id", "title", "title_labels", "sentences", "primary", "date", "region", "style"}
    return Article(
        id=str(record.get("id", row)),
        title=_string(record, "title", row, source, required=False),
        title_labels=_label_tuple(record.get("title_labels"), row, "title_labels", source, label_set),
        sentences=tuple(parsed),
        primary=primary,
        date=str(record.get("date") or ""),
        region=str(record.get("region") or ""),
        style=str(record.get("style") or ""),
        extra={k: v for k, v in record.items() if k not in known},
    )


def read_articles(path: str | Path, label_set: LabelSet = ASN_LABELS) -> list[Article]:
    """Read a corpus-format JSONL file (one article a line)."""
    articles = []
    for row, record in iter_records(path, "jsonl"):
        if isinstance(record, BadRow):
            raise DataFormatError(f"{path}, row {row}: {record.reason}")
        articles.append(parse_article(record, row, str(path), label_set))
    return articles


def load_articles(split: str = "train") -> list[Article]:
    """Articles of one split of the bundled corpus (``train``, ``dev`` or ``test``)."""
    return read_articles(split_path(split))


def sentence_rows(articles: Iterable[Article]) -> list[dict[str, Any]]:
    """Sentence-level rows (title first, when there is one) with the context a model may use."""
    rows = []
    for article in articles:
        previous = ""
        for position, unit in enumerate(article.units):
            rows.append(
                {
                    "article_id": article.id,
                    "position": position,
                    "is_title": bool(article.title) and position == 0,
                    "text": unit.text,
                    "labels": list(unit.labels),
                    "title": article.title,
                    "previous": previous,
                }
            )
            previous = unit.text
    return rows


def article_rows(articles: Iterable[Article]) -> list[dict[str, Any]]:
    return [
        {
            "id": a.id,
            "title": a.title,
            "text": a.text,
            "labels": list(a.labels),
            "primary": a.primary,
            "date": a.date,
            "region": a.region,
            "style": a.style,
            "n_sentences": len(a.units),
        }
        for a in articles
    ]


def load_corpus(split: str = "train", level: str = "sentence"):  # -> datasets.Dataset
    """The bundled corpus as a ``datasets.Dataset``.

    Args:
        split: ``train``, ``dev`` or ``test``.
        level: ``sentence`` (one row per title or body sentence) or ``article``.
    """
    import datasets

    articles = load_articles(split)
    if level == "sentence":
        rows = sentence_rows(articles)
    elif level == "article":
        rows = article_rows(articles)
    else:
        raise InputError(f"unknown level {level!r}; use 'sentence' or 'article'")
    return datasets.Dataset.from_list(rows, info=datasets.DatasetInfo(description=f"asn-news {split} ({level} level)"))


@dataclass
class LabeledData:
    """Labelled data read from a file: sentences, and articles when the file has them."""

    texts: list[str]
    labels: list[list[str]]
    articles: list[Article] | None
    sha256: str
    source: str
    context: list[Context] | None = None
    """Per sentence, the previous sentence and the title; None for flat sentence files."""


def read_labeled(
    path: str | Path,
    *,
    label_set: LabelSet = ASN_LABELS,
    text_field: str = "text",
    label_field: str = "labels",
    fmt: str | None = None,
) -> LabeledData:
    """Read labelled data: the corpus JSONL format, or flat sentences.

    Flat files (CSV, JSONL, Parquet) carry one sentence a row with a text column and either a
    label-list column (``label_field``: a list, or a string of names separated by ``;`` or
    ``,``) or one 0/1 column per label. Unknown labels are an error listing the unknown and
    the known ones.
    """
    source = str(path)
    if not Path(path).is_file():
        raise DataFormatError(f"{path}: no such file")
    records: list[tuple[int, dict[str, Any]]] = []
    for row, record in iter_records(path, fmt):
        if isinstance(record, BadRow):
            raise DataFormatError(f"{source}, row {row}: {record.reason}")
        records.append((row, record))
    digest = sha256_file(path)
    if records and "sentences" in records[0][1]:
        articles = [parse_article(r, row, source, label_set) for row, r in records]
        rows = sentence_rows(articles)
        return LabeledData(
            [r["text"] for r in rows],
            [r["labels"] for r in rows],
            articles,
            digest,
            source,
            [Context(r["previous"], r["title"]) for r in rows],
        )
    texts, labels = [], []
    for row, record in records:
        if text_field not in record:
            raise DataFormatError(f"{source}, row {row}: no field {text_field!r} (fields: {sorted(record)})")
        texts.append(record[text_field])
        labels.append(_flat_labels(record, row, source, label_set, label_field))
    return LabeledData(texts, labels, None, digest, source)


def _flat_labels(record: dict[str, Any], row: int, source: str, label_set: LabelSet, label_field: str) -> list[str]:
    if label_field in record:
        value = record[label_field]
        if value is None or (isinstance(value, float) and value != value):
            names: Sequence[Any] = []
        elif isinstance(value, str):
            names = [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
        elif isinstance(value, (list, tuple)):
            names = list(value)
        else:
            names = [value]
        unknown = [n for n in names if n not in label_set.names]
        if unknown:
            raise LabelError(
                f"{source}, row {row}, field {label_field!r}: unknown label(s) {unknown}; "
                f"known labels are {list(label_set.names)}"
            )
        return [str(n) for n in names]
    columns = [name for name in label_set.names if name in record]
    if not columns:
        raise DataFormatError(
            f"{source}, row {row}: no {label_field!r} field and no label columns {list(label_set.names)}"
        )
    out = []
    for name in columns:
        value = record[name]
        if isinstance(value, str):
            value = value.strip().lower()
            flag = value in ("1", "true", "yes")
            if value not in ("0", "1", "true", "false", "yes", "no", ""):
                raise DataFormatError(f"{source}, row {row}, field {name!r}: expected 0/1, got {record[name]!r}")
        else:
            flag = bool(value)
        if flag:
            out.append(name)
    return out
