"""Noisy copies of sentences for training."""

from __future__ import annotations

import pytest

from asnclf.augment import _NEIGHBOURS, noisy_copy

TEXT = 'Bawaslu mengimbau ASN tidak mengunggah foto bersama calon, kata Ketua Bawaslu, "jangan". Ia menambahkan.'
PINNED = "Bawaslu mengimbau ASN tidak mengunvgah foto bersama caalon kata Ketua Bawaslu jangan. Ia menambahkan."
SENTENCES = [TEXT, "Sebanyak 12 ASN telah dilaporkan ke BKN.", "Cuaca cerah sepanjang hari di kota itu."] * 20


def test_noisy_copy_is_deterministic_per_text_and_seed():
    # A pinned copy: the noise (and so augmented training) must not change between runs or versions unnoticed.
    assert noisy_copy(TEXT, 3, slip_rate=0.3) == PINNED
    copies = {noisy_copy(TEXT, seed, slip_rate=0.3) for seed in range(20)}
    assert len(copies) > 5


def test_noisy_copy_without_noise_is_the_text():
    for seed in range(10):
        assert noisy_copy(TEXT, seed, slip_rate=0, lowercase_rate=0, punctuation_rate=0, glue_rate=0) == TEXT


def test_noisy_copy_applies_each_kind_of_noise():
    assert noisy_copy(TEXT, 0, slip_rate=0, lowercase_rate=1, punctuation_rate=0, glue_rate=0) == TEXT.lower()
    no_punctuation = noisy_copy(TEXT, 0, slip_rate=0, lowercase_rate=0, punctuation_rate=1, glue_rate=0)
    assert '"' not in no_punctuation and "," not in no_punctuation and "  " not in no_punctuation
    glued = noisy_copy(TEXT, 0, slip_rate=0, lowercase_rate=0, punctuation_rate=0, glue_rate=1)
    assert '". Ia' not in glued and '".Ia' in glued


@pytest.mark.parametrize("seed", range(5))
def test_slips_change_words_slightly_and_keep_numbers(seed):
    for text in SENTENCES:
        copy = noisy_copy(text, seed, slip_rate=1.0, lowercase_rate=0, punctuation_rate=0, glue_rate=0)
        before, after = text.split(), copy.split()
        assert len(after) == len(before)
        for old, new in zip(before, after):
            assert abs(len(old) - len(new)) <= 1
            if old.isdigit() or len(old.strip('.,"')) < 4:
                assert new == old
        assert copy != text


def test_noisy_copy_keeps_decimal_commas():
    copy = noisy_copy(
        "Dana Rp 1,5 miliar, kata dia.", 0, slip_rate=0, lowercase_rate=0, punctuation_rate=1, glue_rate=0
    )
    assert copy == "Dana Rp 1,5 miliar kata dia."


def test_keyboard_neighbours_are_symmetric():
    assert all(a in _NEIGHBOURS[b] for a in _NEIGHBOURS for b in _NEIGHBOURS[a])
    assert set(_NEIGHBOURS["s"]) == set("adwezx")


def test_noisy_copy_keeps_empty_text():
    assert noisy_copy("", 1) == ""
