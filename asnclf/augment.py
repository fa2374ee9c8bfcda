"""Noisy copies of sentences, for training models that meet untidy real news.

Real online news carries typing slips, lost capitals, stray or missing punctuation and
glued words far more often than the bundled corpus. ``noisy_copy`` makes one such copy of a
text, deterministically: the same text and seed always give the same copy, so a training run
(and a resumed one) sees the same noise, and a sentence's copy is also what its successor sees
as the noisy previous sentence.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

from asnclf.models.base import Context

__all__ = ["noisy_copy", "noisy_texts"]

# Neighbouring keys on a QWERTY keyboard (the layout Indonesian writers use).
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard_neighbours() -> dict[str, str]:
    """Each letter's neighbouring keys: left and right in its row, and the two touching keys
    of the staggered rows above (same column and the next) and below (previous and same)."""
    neighbours = {}
    for r, row in enumerate(_KEYBOARD_ROWS):
        for c, key in enumerate(row):
            near = [row[i] for i in (c - 1, c + 1) if 0 <= i < len(row)]
            if r > 0:
                near += [_KEYBOARD_ROWS[r - 1][i] for i in (c, c + 1) if i < len(_KEYBOARD_ROWS[r - 1])]
            if r + 1 < len(_KEYBOARD_ROWS):
                near += [_KEYBOARD_ROWS[r + 1][i] for i in (c - 1, c) if 0 <= i < len(_KEYBOARD_ROWS[r + 1])]
            neighbours[key] = "".join(near)
    return neighbours


_NEIGHBOURS = _keyboard_neighbours()

_WORD = re.compile(r"[^\W\d_]{4,}")
_QUOTES_AND_COMMAS = re.compile(r"[\"“”‘’]|,(?!\d)")  # not the comma of a decimal (1,5)
_SPACE_AFTER_PUNCTUATION = re.compile(r"(?<=[.,:;)])\s+(?=\w)")


def _slip(word: str, rng: random.Random) -> str:
    """One typing slip inside a word: a dropped, doubled, swapped or neighbouring letter."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2 and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 2:  # swapping a doubled letter would change nothing
        return word[:i] + word[i + 1 :]
    lower = word[i].lower()
    if lower not in _NEIGHBOURS:
        return word[:i] + word[i + 1 :]
    key = rng.choice(_NEIGHBOURS[lower])
    return word[:i] + (key.upper() if word[i].isupper() else key) + word[i + 1 :]


def noisy_copy(
    text: str,
    seed: int | str = 0,
    *,
    slip_rate: float = 0.06,
    lowercase_rate: float = 0.2,
    punctuation_rate: float = 0.2,
    glue_rate: float = 0.1,
) -> str:
    """A copy of ``text`` with the kinds of noise that real online news shows.

    Args:
        text: the text.
        seed: any int or string; together with the text it fixes the noise.
        slip_rate: chance that a word of four or more letters gets one typing slip.
        lowercase_rate: chance that the whole text is lower-cased.
        punctuation_rate: chance that quotes and commas (not decimal commas) are dropped.
        glue_rate: chance that spaces after punctuation are dropped (``kata.Kata``).

    Returns:
        The noisy copy (possibly equal to ``text``).
    """
    rng = random.Random(f"{seed}\x00{text}")
    noisy = _WORD.sub(lambda m: _slip(m.group(), rng) if rng.random() < slip_rate else m.group(), text)
    if rng.random() < lowercase_rate:
        noisy = noisy.lower()
    if rng.random() < punctuation_rate:
        noisy = re.sub(r"\s{2,}", " ", _QUOTES_AND_COMMAS.sub("", noisy)).strip()
    if rng.random() < glue_rate:
        noisy = _SPACE_AFTER_PUNCTUATION.sub("", noisy)
    return noisy or text


def noisy_texts(
    texts: Sequence[str], context: Sequence[Context], seed: int | str = 0, **noise: Any
) -> tuple[list[str], list[Context]]:
    """Noisy copies of sentences and of their context (``noise``: ``noisy_copy``'s rates).

    A sentence's copy is also its successor's noisy previous sentence, since both are the
    same text under the same seed.
    """
    copies = [noisy_copy(text, seed, **noise) for text in texts]
    noisy_context = [
        c._replace(previous=noisy_copy(c.previous, seed, **noise), title=noisy_copy(c.title, seed, **noise))
        for c in context
    ]
    return copies, noisy_context
