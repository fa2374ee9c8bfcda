"""From sentence scores to article labels and a primary label.

An article's score for a label is its highest sentence score; the article carries the label
when that score reaches a per-label threshold tuned on held-out articles (not a fixed 0.5). The
primary label comes from a small multinomial logistic regression over per-label summary
features (highest score, mean of the top two, share and count of sentences over the sentence
threshold, the title's score), fitted on held-out articles. An article with no label has
primary ``other``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from asnclf.errors import ArtifactIntegrityError
from asnclf.labels import OTHER
from asnclf.thresholds import tune_thresholds

FEATURES_PER_LABEL = 5


def article_features(probs: np.ndarray, sentence_thresholds: np.ndarray, has_title: bool) -> np.ndarray:
    """Summary features of one article's ``(n_sentences, k)`` score matrix: ``(5k + 1,)``."""
    k = len(sentence_thresholds)
    if len(probs) == 0:
        return np.zeros(FEATURES_PER_LABEL * k + 1, dtype=np.float64)
    ordered = -np.sort(-probs, axis=0)
    top = ordered[0]
    top2 = ordered[:2].mean(axis=0)
    over = (probs >= sentence_thresholds[None, :]).sum(axis=0)
    title = probs[0] if has_title else np.zeros(k)
    return np.concatenate([top, top2, over / len(probs), np.log1p(over), title, [np.log1p(len(probs))]])


@dataclass
class ArticleAggregator:
    """Tuned article-level decision rule.

    Attributes:
        label_names: label order of the score columns.
        thresholds: ``(k,)`` article thresholds on the highest sentence score.
        primary_classes: class names of the primary classifier (labels and ``other``).
        mean, scale: feature standardisation, ``(5k + 1,)``.
        coef: ``(n_classes, 5k + 1)``; intercept: ``(n_classes,)``.
    """

    label_names: tuple[str, ...]
    thresholds: np.ndarray
    primary_classes: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray

    @classmethod
    def fit(
        cls,
        article_probs: Sequence[np.ndarray],
        has_title: Sequence[bool],
        gold_labels: np.ndarray,
        gold_primary: Sequence[str],
        label_names: Sequence[str],
        sentence_thresholds: np.ndarray,
        *,
        seed: int = 0,
    ) -> ArticleAggregator:
        """Tune on held-out articles.

        Args:
            article_probs: per article, its ``(n_sentences, k)`` sentence scores.
            has_title: per article, whether row 0 of its scores is the title.
            gold_labels: ``(n_articles, k)`` 0/1 article labels.
            gold_primary: per article, its primary label (a label name or ``other``).
            label_names: label order.
            sentence_thresholds: the model's per-label sentence thresholds.
        """
        from sklearn.linear_model import LogisticRegression

        top = np.stack([p.max(axis=0) if len(p) else np.zeros(len(label_names)) for p in article_probs])
        thresholds = tune_thresholds(gold_labels, top)
        features = np.stack([article_features(p, sentence_thresholds, t) for p, t in zip(article_probs, has_title)])
        mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-6
        classes = [c for c in (*label_names, OTHER) if c in set(gold_primary)]
        coef = np.zeros((len(classes), features.shape[1]))
        intercept = np.zeros(len(classes))
        if len(classes) >= 2:
            classifier = LogisticRegression(C=1.0, max_iter=5000, random_state=seed)
            classifier.fit((features - mean) / scale, [classes.index(c) for c in gold_primary])
            if len(classes) == 2:
                coef[1], intercept[1] = classifier.coef_[0], classifier.intercept_[0]
            else:
                coef, intercept = classifier.coef_, classifier.intercept_
        return cls(tuple(label_names), thresholds, tuple(classes), mean, scale, coef, intercept)

    @classmethod
    def default(cls, label_names: Sequence[str], sentence_thresholds: np.ndarray) -> ArticleAggregator:
        """Untuned rule: a label when a sentence passes its threshold; primary by top score."""
        k = len(label_names)
        n_features = FEATURES_PER_LABEL * k + 1
        coef = np.zeros((k, n_features))
        coef[np.arange(k), np.arange(k)] = 1.0
        return cls(
            tuple(label_names),
            np.asarray(sentence_thresholds, dtype=np.float64),
            tuple(label_names),
            np.zeros(n_features),
            np.ones(n_features),
            coef,
            np.zeros(k),
        )

    def decide(
        self, probs: np.ndarray, sentence_thresholds: np.ndarray, has_title: bool
    ) -> tuple[np.ndarray, np.ndarray, str]:
        """Article scores ``(k,)``, 0/1 labels ``(k,)`` and the primary label of one article."""
        k = len(self.label_names)
        scores = probs.max(axis=0) if len(probs) else np.zeros(k)
        labels = (scores >= self.thresholds).astype(np.int8)
        if not labels.any():
            return scores, labels, OTHER
        features = (article_features(probs, sentence_thresholds, has_title) - self.mean) / self.scale
        logits = self.coef @ features + self.intercept
        # The primary is one of the labels the article carries (or other, if the model says so).
        allowed = [i for i, c in enumerate(self.primary_classes) if c == OTHER or labels[self.label_names.index(c)]]
        best = max(allowed, key=lambda i: logits[i]) if allowed else None
        primary = self.primary_classes[best] if best is not None else self.label_names[int(scores.argmax())]
        return scores, labels, primary

    def to_dict(self) -> dict[str, Any]:
        return {
            "label_names": list(self.label_names),
            "thresholds": self.thresholds.tolist(),
            "primary_classes": list(self.primary_classes),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "aggregator") -> ArticleAggregator:
        try:
            aggregator = cls(
                tuple(data["label_names"]),
                np.asarray(data["thresholds"], dtype=np.float64),
                tuple(data["primary_classes"]),
                np.asarray(data["mean"], dtype=np.float64),
                np.asarray(data["scale"], dtype=np.float64),
                np.asarray(data["coef"], dtype=np.float64),
                np.asarray(data["intercept"], dtype=np.float64),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ArtifactIntegrityError(f"{source}: malformed aggregator ({error})") from None
        k, n = len(aggregator.label_names), FEATURES_PER_LABEL * len(aggregator.label_names) + 1
        if (
            aggregator.thresholds.shape != (k,)
            or aggregator.mean.shape != (n,)
            or aggregator.scale.shape != (n,)
            or aggregator.coef.shape != (len(aggregator.primary_classes), n)
            or aggregator.intercept.shape != (len(aggregator.primary_classes),)
        ):
            raise ArtifactIntegrityError(f"{source}: aggregator arrays do not fit its label set")
        return aggregator
