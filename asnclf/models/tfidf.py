"""TF-IDF over word and character n-grams with one-vs-rest logistic regression.

Small and fast enough to ship inside the repository as the default that works right after
install. Saved as a vocabulary (JSON) and arrays (safetensors): the vectorizers are rebuilt by
setting their fitted vocabulary and idf, the classifier is a weight matrix and a bias. No
pickle.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from asnclf.artifacts import load_arrays, read_json, save_arrays, write_json
from asnclf.config import Config
from asnclf.errors import ArtifactIntegrityError, ConfigError, InputError
from asnclf.models.base import NO_CONTEXT, Context, Model, Split


@dataclasses.dataclass(frozen=True)
class TfidfConfig(Config):
    """Configuration of the ``tfidf`` model kind.

    Attributes:
        word_ngrams: smallest and largest word n-gram.
        char_ngrams: smallest and largest character n-gram (within word boundaries).
        min_df: minimum number of training sentences an n-gram must occur in.
        max_word_features: cap on word n-grams kept (most frequent first).
        max_char_features: cap on character n-grams kept.
        sublinear_tf: use ``1 + log(tf)``.
        C: inverse regularisation strength of each logistic regression.
        class_weight: ``"balanced"`` reweights positives by their rarity, or ``"none"``.
        previous_weight: weight of the previous sentence's words (0 ignores the context).
        title_weight: weight of the article title's words (0 ignores the title).
        cv_folds: folds of cross-validation used for thresholds when no dev data is given.
        seed: random seed (fold assignment).
    """

    word_ngrams: tuple[int, ...] = (1, 2)
    char_ngrams: tuple[int, ...] = (2, 5)
    min_df: int = 2
    max_word_features: int = 60_000
    max_char_features: int = 150_000
    sublinear_tf: bool = True
    C: float = 8.0
    class_weight: str = "balanced"
    previous_weight: float = 0.5
    title_weight: float = 0.3
    cv_folds: int = 5

    def __post_init__(self) -> None:
        for name in ("word_ngrams", "char_ngrams"):
            value = getattr(self, name)
            if len(value) != 2 or not 1 <= value[0] <= value[1]:
                raise ConfigError(f"{name} must be [low, high] with 1 <= low <= high, got {list(value)}")
        if self.min_df < 1:
            raise ConfigError(f"min_df must be >= 1, got {self.min_df}")
        if self.C <= 0:
            raise ConfigError(f"C must be > 0, got {self.C}")
        if self.class_weight not in ("balanced", "none"):
            raise ConfigError(f"class_weight must be 'balanced' or 'none', got {self.class_weight!r}")
        if self.previous_weight < 0 or self.title_weight < 0:
            raise ConfigError("previous_weight and title_weight must be >= 0")
        if self.cv_folds < 2:
            raise ConfigError(f"cv_folds must be >= 2, got {self.cv_folds}")


def _blocks(config: TfidfConfig) -> list[tuple[str, str, Any]]:
    """Feature blocks as ``(name, source, weight)``: the sentence's words and characters, and
    the words of its context (previous sentence, title) when their weight is above zero."""
    blocks = [("word", "text", 1.0), ("char", "text", 1.0)]
    if config.previous_weight > 0:
        blocks.append(("previous", "previous", config.previous_weight))
    if config.title_weight > 0:
        blocks.append(("title", "title", config.title_weight))
    return blocks


def _vectorizer(config: TfidfConfig, name: str, n_texts: int) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    common = dict(
        lowercase=True, min_df=min(config.min_df, max(1, n_texts)), sublinear_tf=config.sublinear_tf, dtype=np.float32
    )
    if name == "char":
        return TfidfVectorizer(
            analyzer="char_wb", ngram_range=tuple(config.char_ngrams), max_features=config.max_char_features, **common
        )
    ngrams = tuple(config.word_ngrams) if name == "word" else (1, 1)
    return TfidfVectorizer(
        analyzer="word",
        ngram_range=ngrams,
        token_pattern=r"(?u)\b\w+\b",
        max_features=config.max_word_features,
        **common,
    )


def _source(texts: list[str], context: list[Context], source: str) -> list[str]:
    if source == "text":
        return texts
    return [c.previous if source == "previous" else c.title for c in context]


class TfidfModel(Model):
    """Word + character TF-IDF with one logistic regression per label."""

    kind = "tfidf"
    config_class = TfidfConfig
    config: TfidfConfig

    def __init__(self, config: TfidfConfig | None = None, labels: Any = None) -> None:
        super().__init__(config, labels)
        self.vectorizers_: dict[str, Any] = {}
        self.coef_: np.ndarray | None = None
        self.intercept_: np.ndarray | None = None

    # ------------------------------------------------------------------ training
    def _features(self, texts: list[str], context: list[Context], fit: bool = False) -> sparse.csr_matrix:
        blocks = []
        for name, source, weight in _blocks(self.config):
            if fit:
                self.vectorizers_[name] = _vectorizer(self.config, name, len(texts))
            vectorizer = self.vectorizers_[name]
            values = _source(texts, context, source)
            try:
                block = vectorizer.fit_transform(values) if fit else vectorizer.transform(values)
            except ValueError:
                if not fit:
                    raise
                # No term to learn (plain texts without context, or no words at all): scikit-learn
                # refuses an empty vocabulary, so the block keeps one placeholder term, all zeros in
                # training and hence weight 0.
                vectorizer.set_params(min_df=1).fit(["asnclf_empty_block"])
                block = vectorizer.transform(values)
            blocks.append(block * weight if weight != 1.0 else block)
        return sparse.hstack(blocks, format="csr")

    def _train(self, data: Split) -> None:
        from sklearn.linear_model import LogisticRegression

        features = self._features(data.texts, data.context, fit=True)
        y = data.y
        k = y.shape[1]
        coef = np.zeros((k, features.shape[1]), dtype=np.float32)
        intercept = np.zeros(k, dtype=np.float32)
        weight = "balanced" if self.config.class_weight == "balanced" else None
        if self.labels.multi_label:
            for j in range(k):
                column = y[:, j]
                if column.min() == column.max():
                    # A label that is always or never present: a constant, confident bias.
                    intercept[j] = 8.0 if column[0] else -8.0
                    continue
                classifier = LogisticRegression(
                    C=self.config.C,
                    class_weight=weight,
                    max_iter=2000,
                    solver="liblinear",
                    random_state=self.config.seed,
                )
                classifier.fit(features, column)
                coef[j], intercept[j] = classifier.coef_[0], classifier.intercept_[0]
        else:
            target = y.argmax(axis=1)
            intercept[:] = -30.0  # classes absent from training are never predicted
            if len(set(target)) == 1:
                intercept[target[0]] = 0.0
            else:
                classifier = LogisticRegression(
                    C=self.config.C, class_weight=weight, max_iter=2000, random_state=self.config.seed
                )
                classifier.fit(features, target)
                classes = classifier.classes_
                if len(classes) == 2:
                    # scikit-learn keeps one row for two classes: split it into one row per class.
                    coef[classes[1]], intercept[classes[1]] = classifier.coef_[0] / 2, classifier.intercept_[0] / 2
                    coef[classes[0]], intercept[classes[0]] = -classifier.coef_[0] / 2, -classifier.intercept_[0] / 2
                else:
                    coef[classes], intercept[classes] = classifier.coef_, classifier.intercept_
        self.coef_, self.intercept_ = coef, intercept

    def _fit(self, train, dev):
        self._train(train)
        if not self.labels.multi_label:
            return None
        if dev is not None:
            return dev.y, self._predict_proba(dev.texts, dev.context)
        return train.y, self.cross_val_proba(train.texts, train.y, context=train.context)

    def cross_val_proba(
        self, texts: list[str], y: np.ndarray, *, context: list[Context] | None = None, groups: np.ndarray | None = None
    ) -> np.ndarray:
        """Out-of-fold probabilities on the training data (for thresholds and aggregation).

        Args:
            texts: training texts.
            y: ``(n, k)`` 0/1 matrix.
            context: per text, its context.
            groups: optional group ids (e.g. article ids) kept within one fold.
        """
        from sklearn.model_selection import GroupKFold, KFold

        context = context if context is not None else [NO_CONTEXT] * len(texts)
        folds = min(self.config.cv_folds, len(texts) if groups is None else len(set(groups)))
        if folds < 2:
            unit = "texts" if groups is None else "articles"
            raise InputError(
                f"cross-validation needs at least 2 training {unit}, got {folds}; add data or pass dev data"
            )
        if groups is not None:
            split = GroupKFold(n_splits=folds).split(texts, groups=groups)
        else:
            split = KFold(n_splits=folds, shuffle=True, random_state=self.config.seed).split(texts)
        out = np.zeros(y.shape, dtype=np.float32)
        for train_index, test_index in split:
            fold = TfidfModel(self.config, self.labels)
            fold._train(Split([texts[i] for i in train_index], y[train_index], [context[i] for i in train_index]))
            out[test_index] = fold._predict_proba([texts[i] for i in test_index], [context[i] for i in test_index])
        return out

    # ------------------------------------------------------------------ inference
    def _predict_proba(self, texts, context):
        assert self.coef_ is not None and self.intercept_ is not None
        logits = np.asarray(self._features(texts, context) @ self.coef_.T) + self.intercept_
        if self.labels.multi_label:
            return (1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))).astype(np.float32)
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)

    # ------------------------------------------------------------------ artifact
    def _write(self, directory: Path) -> None:
        assert self.coef_ is not None and self.intercept_ is not None
        vocabulary = {}
        arrays = {"coef": self.coef_.astype(np.float32), "intercept": self.intercept_.astype(np.float32)}
        for name, vectorizer in self.vectorizers_.items():
            vocabulary[name] = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
            arrays[f"{name}_idf"] = vectorizer.idf_.astype(np.float32)
        write_json(directory / "vocabulary.json", vocabulary)
        save_arrays(directory / "weights.safetensors", arrays)

    def _read(self, directory: Path, manifest: dict[str, Any]) -> None:
        vocabulary = read_json(directory / "vocabulary.json")
        arrays = load_arrays(directory / "weights.safetensors")
        try:
            n_features = 0
            for name, _, _ in _blocks(self.config):
                terms, idf = vocabulary[name], arrays[f"{name}_idf"]
                if len(terms) != len(idf):
                    raise ValueError(f"{name}: vocabulary and idf lengths differ")
                vectorizer = _vectorizer(self.config, name, 1)
                vectorizer.vocabulary = {term: i for i, term in enumerate(terms)}
                vectorizer.vocabulary_ = vectorizer.vocabulary
                vectorizer.idf_ = idf.astype(np.float32)
                self.vectorizers_[name] = vectorizer
                n_features += len(terms)
            coef, intercept = arrays["coef"], arrays["intercept"]
            if coef.shape != (len(self.labels), n_features) or intercept.shape != (len(self.labels),):
                raise ValueError(f"weights of shape {coef.shape} do not fit {n_features} features")
        except (KeyError, TypeError, ValueError) as error:
            raise ArtifactIntegrityError(f"{directory}: malformed tfidf model ({error})") from None
        self.coef_, self.intercept_ = coef, intercept
