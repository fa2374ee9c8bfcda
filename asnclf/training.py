"""Training any model kind from the bundled corpus or the user's files.

``train`` fits the sentence model, tunes its per-label thresholds and, when the data comes as
articles, tunes the article rule (article thresholds and primary label) on held-out articles:
the dev articles, plus out-of-fold predictions on the training articles for kinds cheap enough
to cross-fit.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from asnclf.aggregate import ArticleAggregator
from asnclf.config import Config
from asnclf.corpus import Article, LabeledData, read_labeled, sentence_rows, split_path
from asnclf.errors import InputError
from asnclf.labels import LabelSet, as_label_set
from asnclf.models import model_class
from asnclf.models.base import Model, clean_context
from asnclf.thresholds import tune_thresholds

BUNDLED = "bundled"


def load_training_data(source: str | Path | None, split: str, label_set: LabelSet) -> LabeledData:
    """A labelled file, or a split of the bundled corpus when ``source`` is None or ``bundled``."""
    if source is None or str(source) == BUNDLED:
        path = split_path(split)
        return read_labeled(path, label_set=label_set)
    return read_labeled(source, label_set=label_set)


def _article_ids(data: LabeledData) -> np.ndarray | None:
    if data.articles is None:
        return None
    return np.array([row["article_id"] for row in sentence_rows(data.articles)])


def _per_article(articles: Sequence[Article], probs: np.ndarray) -> list[np.ndarray]:
    out, offset = [], 0
    for article in articles:
        n = len(article.units)
        out.append(probs[offset : offset + n])
        offset += n
    return out


def train(
    kind: str,
    config: Config | dict[str, Any] | None = None,
    *,
    train_data: str | Path | None = None,
    dev_data: str | Path | None = None,
    labels: LabelSet | Sequence[str] | None = None,
    output: str | Path | None = None,
) -> Model:
    """Train a model of ``kind`` and optionally save it.

    Args:
        kind: ``rules``, ``tfidf`` or ``transformer``.
        config: the kind's config object or a dict of its fields (defaults when None).
        train_data, dev_data: labelled files (corpus JSONL or flat sentences); the bundled
            train and dev splits when None.
        labels: the label set (default: the four ASN labels).
        output: directory to save the model to.

    Returns:
        The fitted model, with ``training_`` recording sizes, data hashes and wall time.
    """
    cls = model_class(kind)
    if isinstance(config, dict):
        config = cls.config_class.from_dict(config)
    label_set = as_label_set(labels)
    train_set = load_training_data(train_data, "train", label_set)
    dev_set = load_training_data(dev_data, "dev", label_set)
    if not train_set.texts:
        raise InputError(f"{train_set.source}: no training sentences")
    started = time.perf_counter()
    model = cls(config, label_set)
    model.fit(
        train_set.texts,
        train_set.labels,
        context=train_set.context,
        dev_texts=dev_set.texts,
        dev_labels=dev_set.labels,
        dev_context=dev_set.context,
        data_sha256=train_set.sha256,
    )
    assert model.thresholds_ is not None
    y_dev = label_set.encode(dev_set.labels)
    dev_probs = model.predict_proba(dev_set.texts, context=dev_set.context)
    out_of_fold = None
    cross_val = getattr(model, "cross_val_proba", None)
    if cross_val is not None and train_set.articles is not None:
        y_train = label_set.encode(train_set.labels)
        out_of_fold = cross_val(
            model._texts_for_training(train_set.texts, "texts"),
            y_train,
            context=clean_context(train_set.context, len(train_set.texts)),
            groups=_article_ids(train_set),
        )
        if label_set.multi_label:
            # Thresholds from every held-out prediction available, not dev alone: steadier.
            model.thresholds_ = tune_thresholds(
                np.concatenate([y_train, y_dev]), np.concatenate([out_of_fold, dev_probs])
            )
    if label_set.multi_label and train_set.articles is not None and dev_set.articles is not None:
        articles = list(dev_set.articles)
        probs = _per_article(dev_set.articles, dev_probs)
        if out_of_fold is not None:
            articles = list(train_set.articles) + articles
            probs = _per_article(train_set.articles, out_of_fold) + probs
        model.aggregator_ = ArticleAggregator.fit(
            probs,
            [bool(a.title) for a in articles],
            label_set.encode([a.labels for a in articles]),
            [a.primary for a in articles],
            label_set.names,
            model.thresholds_,
            seed=model.config.seed,
        )
    model.training_.update(
        {
            "dev_data_sha256": dev_set.sha256,
            "train_source": BUNDLED if train_data is None else Path(train_data).name,
            "dev_source": BUNDLED if dev_data is None else Path(dev_data).name,
            "wall_time_s": round(time.perf_counter() - started, 1),
            "article_rule": "tuned on "
            + ("out-of-fold train + dev" if out_of_fold is not None else "dev")
            + " articles"
            if model.aggregator_ is not None
            else "default",
        }
    )
    if output is not None:
        model.save(output)
    return model


__all__ = ["load_training_data", "train"]
