"""One error hierarchy for asnclf.

Every error carries a stable code (``[E012] ...``) so that users and tools can match on it, and
every message says what was wrong, where (row, field, file) and what to do about it.
"""

from __future__ import annotations


class AsnclfError(Exception):
    """Base class of every error raised by asnclf."""

    code = "E000"

    def __init__(self, message: str) -> None:
        super().__init__(f"[{self.code}] {message}")
        self.message = message


class InputError(AsnclfError, ValueError):
    """A text, row or field given to a public entry point is unusable."""

    code = "E001"


class LabelError(InputError):
    """Labels in training or evaluation data are not in the model's label set."""

    code = "E002"


class DataFormatError(InputError):
    """A data file cannot be read: wrong format, missing column, malformed row."""

    code = "E003"


class ConfigError(AsnclfError, ValueError):
    """A configuration value is invalid or unknown."""

    code = "E020"


class ArtifactError(AsnclfError):
    """A saved model directory cannot be used."""

    code = "E010"


class ArtifactIntegrityError(ArtifactError):
    """A saved model is truncated, corrupt or does not match its manifest."""

    code = "E011"


class UnsafeArtifactError(ArtifactError):
    """A saved model holds a file type that could run code when loaded (pickle and kin)."""

    code = "E012"


class ArtifactVersionError(ArtifactError):
    """A saved model was written in a format newer than this asnclf understands."""

    code = "E013"


class ModelNotFoundError(ArtifactError):
    """A model name or directory does not resolve to a saved model."""

    code = "E014"


class BackboneError(AsnclfError):
    """A transformer backbone cannot be resolved or does not match what an artifact needs."""

    code = "E030"


class NotFittedError(AsnclfError, RuntimeError):
    """A model was used for prediction or saving before ``fit``."""

    code = "E040"
