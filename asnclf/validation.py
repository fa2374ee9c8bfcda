"""The one input validation behind every public entry point.

Models, the tagger, the readers and the CLI all pass user text through :func:`clean_text` /
:func:`clean_texts`, so bad input always fails the same way: with an :class:`InputError` that
names the row and the field, never as a dependency's ``TypeError`` deep inside a tokenizer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from asnclf.errors import InputError

SENTENCE_MAX_CHARS = 2_000
"""Characters of one sentence that are scored; longer text is cut (and flagged)."""

ARTICLE_MAX_CHARS = 15_000
"""Characters of one article that are split and scored; longer text is cut (and flagged)."""

_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class CleanText:
    """A validated text.

    Attributes:
        text: the text to score (surrogates replaced, control characters blanked, cut to the
            limit). Character offsets into it equal offsets into the caller's text up to the
            cut, because every replacement is one character for one character.
        empty: True when nothing but white space is left; such text gets no labels.
        truncated: True when the text was cut to the character limit.
    """

    text: str
    empty: bool
    truncated: bool


def _where(row: int | None, field: str) -> str:
    return f"row {row}, field {field!r}" if row is not None else f"field {field!r}"


def clean_text(
    value: object,
    *,
    row: int | None = None,
    field: str = "text",
    max_chars: int = SENTENCE_MAX_CHARS,
    decode_bytes: bool = False,
) -> CleanText:
    """Validate and normalise one text.

    Args:
        value: the user's value.
        row: row number for error messages (0-based in the caller's sequence or file).
        field: field name for error messages.
        max_chars: characters kept; the rest is cut before any tokenizer sees it, which bounds
            cost on very long input.
        decode_bytes: decode ``bytes`` as UTF-8 (invalid sequences replaced) instead of
            refusing them.

    Raises:
        InputError: the value is None, NaN, bytes (unless ``decode_bytes``) or not a string.
    """
    if isinstance(value, (bytes, bytearray)):
        if not decode_bytes:
            raise InputError(f"{_where(row, field)}: got bytes; decode the text first or pass decode_bytes=True")
        value = bytes(value).decode("utf-8", errors="replace")
    if value is None:
        raise InputError(f"{_where(row, field)}: text is missing (None)")
    if isinstance(value, float) and math.isnan(value):
        raise InputError(f"{_where(row, field)}: text is missing (NaN)")
    if not isinstance(value, str):
        raise InputError(f"{_where(row, field)}: expected a string, got {type(value).__name__}")
    truncated = len(value) > max_chars
    text = value[:max_chars] if truncated else value
    if _SURROGATES.search(text):
        text = _SURROGATES.sub("\ufffd", text)
    if _CONTROL.search(text):
        text = _CONTROL.sub(" ", text)
    return CleanText(text=text, empty=not text.strip(), truncated=truncated)


def clean_texts(
    values: Iterable[object],
    *,
    field: str = "text",
    max_chars: int = SENTENCE_MAX_CHARS,
    decode_bytes: bool = False,
) -> list[CleanText]:
    """Validate a batch; a single string is refused so that it is not split into characters."""
    if isinstance(values, (str, bytes)):
        raise InputError(f"field {field!r}: expected a sequence of texts, got a single {type(values).__name__}")
    try:
        iterator = iter(values)
    except TypeError:
        raise InputError(f"field {field!r}: expected a sequence of texts, got {type(values).__name__}") from None
    return [
        clean_text(v, row=i, field=field, max_chars=max_chars, decode_bytes=decode_bytes)
        for i, v in enumerate(iterator)
    ]
