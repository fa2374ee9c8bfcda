"""asnclf: tag Indonesian election news on the political neutrality of state apparatus.

Typical use::

    import asnclf

    tagger = asnclf.load()                 # the shipped default model
    result = tagger.tag(article_text)      # article labels, primary label, sentence evidence
    probs = tagger.predict_proba(sentences)  # (n, 4) in LABELS order

Heavy modules (scikit-learn, torch, transformers) are imported only when used.
"""

from __future__ import annotations

import importlib
from typing import Any

from asnclf.labels import LABELS, OTHER, PRIMARY_LABELS, LabelSet

__version__ = "0.1.0"

_LAZY = {
    "load": "asnclf.api",
    "Tagger": "asnclf.tagger",
    "ArticleTags": "asnclf.tagger",
    "SentenceTags": "asnclf.tagger",
    "train": "asnclf.training",
    "evaluate": "asnclf.evaluation",
    "load_corpus": "asnclf.corpus",
    "load_articles": "asnclf.corpus",
    "read_labeled": "asnclf.corpus",
    "split_sentences": "asnclf.segment",
    "load_model": "asnclf.models",
}

__all__ = ["LABELS", "OTHER", "PRIMARY_LABELS", "LabelSet", "__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'asnclf' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
