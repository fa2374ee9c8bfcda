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
from asnclf.errors import ArtifactIntegrityError, ConfigError
from asnclf.models.base import Model


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
        if self.cv_folds < 2:
            raise ConfigError(f"cv_folds must be >= 2, got {self.cv_folds}")


def _vectorizers(config: TfidfConfig, n_texts: int) -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    min_df = min(config.min_df, max(1, n_texts))
    word = TfidfVectorizer(
        analyzer="word", ngram_range=tuple(config.word_ngrams), lowercase=True, min_df=min_df,
        max_features=config.max_word_features, sublinear_tf=config.sublinear_tf, dtype=np.float32,
        token_pattern=r"(?u)\b\w+\b",
    )
    char = TfidfVectorizer(
        analyzer="char_wb", ngram_range=tuple(config.char_ngrams), lowercase=True, min_df=min_df,
        max_features=config.max_char_features, sublinear_tf=config.sublinear_tf, dtype=np.float32,
    )
    return word, char


class TfidfModel(Model):
    """Word + character TF-IDF with one logistic regression per label."""

    kind = "tfidf"
    config_class = TfidfConfig
    config: TfidfConfig

    def __init__(self, config: TfidfConfig | None = None, labels: Any = None) -> None:
        super().__init__(config, labels)
        self.word_: Any = None
        self.char_: Any = None
        self.coef_: np.ndarray | None = None
        self.intercept_: np.ndarray | None = None

    # ------------------------------------------------------------------ training
    def _features(self, texts: list[str]) -> sparse.csr_matrix:
        return sparse.hstack([self.word_.transform(texts), self.char_.transform(texts)], format="csr")

    def _train(self, texts: list[str], y: np.ndarray) -> tuple[Any, Any, np.ndarray, np.ndarray]:
        from sklearn.linear_model import LogisticRegression

        word, char = _vectorizers(self.config, len(texts))
        features = sparse.hstack([word.fit_transform(texts), char.fit_transform(texts)], format="csr")
        coef = np.zeros((y.shape[1], features.shape[1]), dtype=np.float32)
        intercept = np.zeros(y.shape[1], dtype=np.float32)
        weight = "balanced" if self.config.class_weight == "balanced" else None
        for j in range(y.shape[1]):
            column = y[:, j]
            if column.min() == column.max():
                # A label that is always or never present: a constant, confident bias.
                intercept[j] = 8.0 if column[0] else -8.0
                continue
            if not self.labels.multi_label:
                break
            classifier = LogisticRegression(C=self.config.C, class_weight=weight, max_iter=2000, solver="liblinear",
                                            random_state=self.config.seed)
            classifier.fit(features, column)
            coef[j] = classifier.coef_[0]
            intercept[j] = classifier.intercept_[0]
        if not self.labels.multi_label:
            classifier = LogisticRegression(C=self.config.C, class_weight=weight, max_iter=2000,
                                            random_state=self.config.seed)
            target = y.argmax(axis=1)
            classifier.fit(features, target)
            coef = np.zeros((y.shape[1], features.shape[1]), dtype=np.float32)
            intercept = np.full(y.shape[1], -30.0, dtype=np.float32)
            if len(classifier.classes_) == 2:
                # scikit-learn keeps one row for two classes: expand it to one row per class.
                coef[classifier.classes_[1]], intercept[classifier.classes_[1]] = classifier.coef_[0] / 2, classifier.intercept_[0] / 2
                coef[classifier.classes_[0]], intercept[classifier.classes_[0]] = -classifier.coef_[0] / 2, -classifier.intercept_[0] / 2
            else:
                coef[classifier.classes_] = classifier.coef_
                intercept[classifier.classes_] = classifier.intercept_
        return word, char, coef, intercept

    def _fit(self, texts, y, dev):
        self.word_, self.char_, self.coef_, self.intercept_ = self._train(texts, y)
        if not self.labels.multi_label:
            return None
        if dev is not None:
            return dev[1], self._predict_proba(dev[0])
        return y, self.cross_val_proba(texts, y)

    def cross_val_proba(self, texts: list[str], y: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
        """Out-of-fold probabilities on the training data (for thresholds and aggregation).

        Args:
            texts: training texts.
            y: ``(n, k)`` 0/1 matrix.
            groups: optional group ids (e.g. article ids) kept within one fold.
        """
        from sklearn.model_selection import GroupKFold, KFold

        folds = min(self.config.cv_folds, len(texts))
        if groups is not None:
            splitter = GroupKFold(n_splits=min(folds, len(set(groups))))
            split = splitter.split(texts, groups=groups)
        else:
            split = KFold(n_splits=folds, shuffle=True, random_state=self.config.seed).split(texts)
        out = np.zeros(y.shape, dtype=np.float32)
        for train_index, test_index in split:
            fold = TfidfModel(self.config, self.labels)
            fold.word_, fold.char_, fold.coef_, fold.intercept_ = fold._train([texts[i] for i in train_index], y[train_index])
            out[test_index] = fold._predict_proba([texts[i] for i in test_index])
        return out

    # ------------------------------------------------------------------ inference
    def _predict_proba(self, texts):
        assert self.coef_ is not None and self.intercept_ is not None
        logits = np.asarray(self._features(texts) @ self.coef_.T) + self.intercept_
        if self.labels.multi_label:
            return (1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))).astype(np.float32)
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)

    # ------------------------------------------------------------------ artifact
    def _write(self, directory: Path) -> None:
        assert self.coef_ is not None and self.intercept_ is not None
        vocab = {}
        for name, vectorizer in (("word", self.word_), ("char", self.char_)):
            terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
            vocab[name] = terms
        write_json(directory / "vocabulary.json", vocab)
        save_arrays(directory / "weights.safetensors", {
            "word_idf": self.word_.idf_.astype(np.float32),
            "char_idf": self.char_.idf_.astype(np.float32),
            "coef": self.coef_.astype(np.float32),
            "intercept": self.intercept_.astype(np.float32),
        })

    def _read(self, directory: Path, manifest: dict[str, Any]) -> None:
        vocab = read_json(directory / "vocabulary.json")
        arrays = load_arrays(directory / "weights.safetensors")
        try:
            word_terms, char_terms = vocab["word"], vocab["char"]
            coef, intercept = arrays["coef"], arrays["intercept"]
            n_features = len(word_terms) + len(char_terms)
            if coef.shape != (len(self.labels), n_features) or intercept.shape != (len(self.labels),):
                raise ValueError(f"weights of shape {coef.shape} do not fit {n_features} features")
            self.word_, self.char_ = _vectorizers(self.config, 1)
            for vectorizer, terms, idf in ((self.word_, word_terms, arrays["word_idf"]), (self.char_, char_terms, arrays["char_idf"])):
                if len(terms) != len(idf):
                    raise ValueError("vocabulary and idf lengths differ")
                vectorizer.vocabulary = {term: i for i, term in enumerate(terms)}
                vectorizer.vocabulary_ = vectorizer.vocabulary
                vectorizer.idf_ = idf.astype(np.float32)
        except (KeyError, TypeError, ValueError) as error:
            raise ArtifactIntegrityError(f"{directory}: malformed tfidf model ({error})") from None
        self.coef_, self.intercept_ = coef, intercept
