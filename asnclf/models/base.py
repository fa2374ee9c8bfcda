"""The contract every model kind follows.

``fit(texts, labels)``, ``predict_proba(texts)``, ``predict(texts)``, ``save(dir)``,
``load(dir)``. Probability columns follow ``model.labels.names`` (for the ASN task:
declaration, warning, violation_report, sanction). Input goes through
:mod:`asnclf.validation`; empty text is never shown to the underlying model and gets
probability 0 for every label.

Every text may come with a :class:`Context` (the sentence before it and the article title):
labels often depend on it (a sentence that adds a fact to a case story is a
``violation_report``). Without context a sentence is scored on its own.

A subclass implements ``_fit``, ``_predict_proba``, ``_write`` and ``_read``; this base class
does validation, thresholds, the manifest and atomic saving.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import numpy as np

from asnclf.aggregate import ArticleAggregator
from asnclf.artifacts import read_json, read_manifest, save_directory, sha256_json, write_json
from asnclf.config import Config
from asnclf.errors import ArtifactIntegrityError, InputError, NotFittedError
from asnclf.labels import LabelSet, as_label_set
from asnclf.provenance import provenance
from asnclf.thresholds import tune_thresholds
from asnclf.validation import SENTENCE_MAX_CHARS, CleanText, clean_text, clean_texts

LabelsLike = Sequence[Sequence[str]] | np.ndarray


class Context(NamedTuple):
    """What surrounds a sentence in its article.

    Attributes:
        previous: the sentence before it ("" for the first).
        title: the article title ("" when unknown).
    """

    previous: str = ""
    title: str = ""


ContextLike = Sequence[Context] | None
NO_CONTEXT = Context()


class Split(NamedTuple):
    """Validated training or dev data: texts, ``(n, k)`` 0/1 labels, contexts."""

    texts: list[str]
    y: np.ndarray
    context: list[Context]


def clean_context(context: ContextLike, n: int, field: str = "context") -> list[Context]:
    """Validate contexts (one per text) or supply empty ones."""
    if context is None:
        return [NO_CONTEXT] * n
    items = list(context)
    if len(items) != n:
        raise InputError(f"{field}: {len(items)} contexts for {n} texts")
    out = []
    for row, item in enumerate(items):
        if isinstance(item, dict):
            item = Context(item.get("previous") or "", item.get("title") or "")
        if not isinstance(item, tuple) or len(item) != 2:
            raise InputError(f"row {row}, field {field!r}: expected a Context(previous, title)")
        previous = clean_text(item[0], row=row, field=f"{field}.previous").text
        title = clean_text(item[1], row=row, field=f"{field}.title").text
        out.append(Context(previous, title))
    return out


class Model(abc.ABC):
    """Base class of the model kinds (``rules``, ``tfidf``, ``transformer``).

    Args:
        config: the kind's configuration; defaults when None.
        labels: the label set (default: the four ASN labels).
    """

    kind: ClassVar[str]
    config_class: ClassVar[type[Config]]
    needs_training: ClassVar[bool] = True

    def __init__(self, config: Config | None = None, labels: LabelSet | Sequence[str] | None = None) -> None:
        self.config = config if config is not None else self.config_class()
        if not isinstance(self.config, self.config_class):
            raise TypeError(f"{type(self).__name__} needs a {self.config_class.__name__}")
        self.labels = as_label_set(labels)
        self.thresholds_: np.ndarray | None = None
        self.aggregator_: ArticleAggregator | None = None
        self.training_: dict[str, Any] = {}

    # ------------------------------------------------------------------ public contract
    def fit(
        self,
        texts: Sequence[str],
        labels: LabelsLike,
        *,
        context: ContextLike = None,
        dev_texts: Sequence[str] | None = None,
        dev_labels: LabelsLike | None = None,
        dev_context: ContextLike = None,
        data_sha256: str | None = None,
    ) -> Model:
        """Train on labelled texts and tune per-label thresholds.

        Args:
            texts: training texts.
            labels: per text, a list of label names; or an ``(n, k)`` 0/1 matrix.
            context: per text, its :class:`Context` (optional).
            dev_texts, dev_labels, dev_context: held-out data for thresholds and early stopping; when
                absent, a kind uses its own fallback (e.g. cross-validation).
            data_sha256: hash of the training data, recorded in the manifest.

        Returns:
            self.
        """
        train = self._texts_for_training(texts, "texts")
        y = self._label_matrix(labels, len(train), "labels")
        train_context = clean_context(context, len(train))
        dev: Split | None = None
        if dev_texts is not None:
            if dev_labels is None:
                raise InputError("dev_texts given without dev_labels")
            dev_list = self._texts_for_training(dev_texts, "dev_texts")
            dev = Split(dev_list, self._label_matrix(dev_labels, len(dev_list), "dev_labels"),
                        clean_context(dev_context, len(dev_list), "dev_context"))
        if len(train) == 0:
            raise InputError("fit needs at least one training text")
        held_out = self._fit(Split(train, y, train_context), dev)
        if held_out is not None and self.labels.multi_label:
            self.thresholds_ = tune_thresholds(held_out[0], held_out[1])
        elif self.thresholds_ is None:
            self.thresholds_ = np.full(len(self.labels), 0.5)
        self.training_ = {"train_size": len(train), "dev_size": 0 if dev is None else len(dev[0]),
                          "data_sha256": data_sha256, "seed": self.config.seed, **self._training_record()}
        return self

    def predict_proba(self, texts: Sequence[object], *, context: ContextLike = None) -> np.ndarray:
        """Per-label probabilities.

        Args:
            texts: sentences.
            context: per sentence, its :class:`Context` (optional).

        Returns:
            ``float32`` array of shape ``(n, len(self.labels))``; rows of empty texts are 0.
        """
        self._check_fitted()
        cleaned = clean_texts(texts, max_chars=self.max_chars)
        return self.predict_proba_clean(cleaned, clean_context(context, len(cleaned)))

    def predict_proba_clean(self, cleaned: Sequence[CleanText], context: Sequence[Context] | None = None) -> np.ndarray:
        """:meth:`predict_proba` for texts (and contexts) that already went through validation."""
        output = np.zeros((len(cleaned), len(self.labels)), dtype=np.float32)
        keep = [i for i, c in enumerate(cleaned) if not c.empty]
        if keep:
            contexts = [NO_CONTEXT] * len(keep) if context is None else [context[i] for i in keep]
            output[keep] = self._predict_proba([cleaned[i].text for i in keep], contexts)
        return output

    def predict(self, texts: Sequence[object], *, context: ContextLike = None) -> np.ndarray:
        """0/1 label matrix of shape ``(n, len(self.labels))`` (``int8``).

        Multi-label: a label is on when its probability reaches its tuned threshold.
        Multi-class: the arg-max label. Grouped label sets: the arg-max label of every group.
        Empty texts get no label.
        """
        return self.decide(self.predict_proba(texts, context=context))

    def decide(self, probabilities: np.ndarray) -> np.ndarray:
        """Turn a probability matrix into a 0/1 matrix with this model's decision rule."""
        self._check_fitted()
        probabilities = np.asarray(probabilities)
        choices = self.labels.choices()
        if not choices:
            assert self.thresholds_ is not None
            return (probabilities >= self.thresholds_[None, :]).astype(np.int8)
        decided = np.zeros_like(probabilities, dtype=np.int8)
        rows = np.flatnonzero(probabilities.sum(axis=1) > 0)
        for columns in choices:
            decided[rows, columns[probabilities[rows][:, columns].argmax(axis=1)]] = 1
        return decided

    @property
    def max_chars(self) -> int:
        return SENTENCE_MAX_CHARS

    def save(self, directory: str | Path) -> Path:
        """Save atomically as JSON + safetensors with a manifest; returns the directory."""
        self._check_fitted()
        assert self.thresholds_ is not None
        config = self.config.to_dict()
        manifest = {
            "kind": self.kind,
            "labels": self.labels.to_dict(),
            "thresholds": [float(t) for t in self.thresholds_],
            "config": config,
            "config_sha256": sha256_json(config),
            "training": self.training_,
            **provenance(),
            **self._manifest_extra(),
        }
        def write(target: Path) -> None:
            self._write(target)
            if self.aggregator_ is not None:
                write_json(target / "aggregator.json", self.aggregator_.to_dict())

        return save_directory(directory, write, manifest)

    @classmethod
    def load(cls, directory: str | Path) -> Model:
        """Load a saved model of this kind after verifying its manifest and hashes."""
        directory = Path(directory)
        manifest = read_manifest(directory)
        if manifest.get("kind") != cls.kind:
            raise ArtifactIntegrityError(f"{directory}: holds a {manifest.get('kind')!r} model, not {cls.kind!r}")
        try:
            config = cls.config_class.from_dict(manifest["config"], source=f"{directory}/config")
            model = cls(config, LabelSet.from_dict(manifest["labels"]))
            model.thresholds_ = np.asarray(manifest["thresholds"], dtype=np.float64)
            model.training_ = dict(manifest.get("training") or {})
        except (KeyError, TypeError, ValueError) as error:
            raise ArtifactIntegrityError(f"{directory}: malformed manifest ({error})") from None
        if model.thresholds_.shape != (len(model.labels),):
            raise ArtifactIntegrityError(f"{directory}: thresholds do not match the label set")
        model._read(directory, manifest)
        if (directory / "aggregator.json").is_file():
            model.aggregator_ = ArticleAggregator.from_dict(read_json(directory / "aggregator.json"), str(directory))
        model.manifest_ = manifest
        return model

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary: kind, labels, thresholds, config and training facts."""
        return {
            "kind": self.kind,
            "labels": list(self.labels.names),
            "thresholds": None if self.thresholds_ is None else [round(float(t), 4) for t in self.thresholds_],
            "config": self.config.to_dict(),
            "config_sha256": sha256_json(self.config.to_dict()),
            "training": self.training_,
        }

    # ------------------------------------------------------------------ subclass hooks
    @abc.abstractmethod
    def _fit(self, train: Split, dev: Split | None) -> tuple[np.ndarray, np.ndarray] | None:
        """Train; return ``(y_held_out, scores_held_out)`` to tune thresholds on, or None."""

    @abc.abstractmethod
    def _predict_proba(self, texts: list[str], context: list[Context]) -> np.ndarray:
        """Probabilities for validated, non-empty texts (with their contexts): ``(n, k)``."""

    @abc.abstractmethod
    def _write(self, directory: Path) -> None:
        """Write the fitted state (JSON, safetensors) into ``directory``."""

    @abc.abstractmethod
    def _read(self, directory: Path, manifest: dict[str, Any]) -> None:
        """Restore the fitted state from a verified directory."""

    def _training_record(self) -> dict[str, Any]:
        """What a kind adds to ``training_`` (the manifest's training record) after ``_fit``."""
        return {}

    def _manifest_extra(self) -> dict[str, Any]:
        return {}

    def article_aggregator(self) -> ArticleAggregator:
        """The tuned article rule, or the untuned default when none was fitted."""
        self._check_fitted()
        assert self.thresholds_ is not None
        return self.aggregator_ or ArticleAggregator.default(self.labels.names, self.thresholds_)

    @property
    def is_fitted(self) -> bool:
        return self.thresholds_ is not None

    # ------------------------------------------------------------------ helpers
    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"this {self.kind} model is not fitted: call fit() or load a saved model")

    def _texts_for_training(self, texts: Sequence[object], field: str) -> list[str]:
        return [c.text for c in clean_texts(texts, field=field, max_chars=self.max_chars)]

    def _label_matrix(self, labels: LabelsLike, n: int, field: str) -> np.ndarray:
        if isinstance(labels, np.ndarray) and labels.ndim == 2:
            if labels.shape[1] != len(self.labels):
                raise InputError(f"{field}: matrix has {labels.shape[1]} columns, the label set has {len(self.labels)}")
            matrix = (labels > 0).astype(np.int8)
        else:
            matrix = self.labels.encode(labels, field=field)
        if len(matrix) != n:
            raise InputError(f"{field}: {len(matrix)} label rows for {n} texts")
        return matrix
