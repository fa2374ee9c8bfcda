"""Model kinds and loading by kind.

Kinds are imported lazily so that ``import asnclf`` and the TF-IDF path never import torch.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from asnclf.artifacts import read_manifest
from asnclf.errors import ArtifactIntegrityError, ConfigError
from asnclf.models.base import Model

KINDS: dict[str, str] = {
    "rules": "asnclf.models.rules:RulesModel",
    "tfidf": "asnclf.models.tfidf:TfidfModel",
    "transformer": "asnclf.models.transformer:TransformerModel",
}


def model_class(kind: str) -> type[Model]:
    """The class implementing a model kind."""
    target = KINDS.get(kind)
    if target is None:
        raise ConfigError(f"unknown model kind {kind!r}; known kinds are {sorted(KINDS)}")
    module, name = target.split(":")
    cls: type[Model] = getattr(importlib.import_module(module), name)
    return cls


def load_model(directory: str | Path) -> Model:
    """Load any saved model; the kind is read from its verified manifest."""
    kind = read_manifest(directory, verify=False).get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ArtifactIntegrityError(f"{directory}: unknown model kind {kind!r} in manifest")
    return model_class(kind).load(directory)


__all__ = ["KINDS", "Model", "load_model", "model_class"]
