"""The input matrix at every public entry point, bounded cost on huge text, and property tests."""

from __future__ import annotations

import json
import math
import re
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asnclf.errors import InputError
from asnclf.labels import OTHER
from asnclf.models.base import Context
from asnclf.models.tfidf import TfidfConfig, TfidfModel
from asnclf.validation import ARTICLE_MAX_CHARS, SENTENCE_MAX_CHARS, clean_text, clean_texts

SENTENCE = "Sekda mengingatkan ASN agar tidak ikut kampanye pasangan calon. "
TEN_MB = (SENTENCE * (10_000_000 // len(SENTENCE) + 1))[:10_000_000]

# value, outcome: "error" (InputError naming the row), "empty" (defined empty result), "ok"
INPUTS = {
    "empty": ("", "empty"),
    "space": (" ", "empty"),
    "whitespace-mix": ("\t\n \r\n", "empty"),
    "None": (None, "error"),
    "NaN": (float("nan"), "error"),
    "numpy-NaN": (np.float64("nan"), "error"),
    "bytes": (b"ASN harus netral.", "error"),
    "bytearray": (bytearray(b"ASN"), "error"),
    "int": (42, "error"),
    "float": (1.5, "error"),
    "list": (["ASN"], "error"),
    "lone-surrogate": ("\ud800", "ok"),
    "surrogate-in-text": ("ASN \udc80 dilarang kampanye.", "ok"),
    "NUL": ("\x00", "empty"),
    "NUL-in-text": ("ASN\x00dilarang\x1fkampanye.", "ok"),
    "emoji": ("😀", "ok"),
    "emoji-text": ("ASN dilarang kampanye 🗳️👍🏽.", "ok"),
    "one-char": ("a", "ok"),
    "mixed-scripts": ("ASN harus netral. الموظفون محايدون. 公务员保持中立。 Pegawai дикий.", "ok"),
    "10MB": (TEN_MB, "ok"),
}

SEQUENCE_ENTRIES = [
    "TfidfModel.predict_proba",
    "Tagger.predict_proba",
    "Tagger.predict",
    "Tagger.tag_many",
    "Tagger.iter_tag",
    "Model.fit",
]
ENTRIES = ["Tagger.tag", *SEQUENCE_ENTRIES]

OVERFIT_TEXTS = [
    "Ratusan ASN mengucapkan ikrar netralitas di halaman kantor bupati.",
    "Sekda mengingatkan ASN agar tidak ikut kampanye pasangan calon.",
    "Bawaslu menerima laporan dugaan camat hadir dalam kampanye.",
    "KASN menjatuhkan sanksi penundaan kenaikan pangkat kepada guru itu.",
    "Para kepala desa membacakan ikrar netralitas menjelang pilkada.",
    "Bupati mengingatkan pegawai agar tidak ikut kampanye di media sosial.",
    "Warga melaporkan dugaan kepala desa membagikan stiker calon ke Bawaslu.",
    "Lurah tersebut dijatuhi sanksi pemberhentian sementara oleh wali kota.",
]
OVERFIT_LABELS = [["declaration"], ["warning"], ["violation_report"], ["sanction"]] * 2


def _call(entry: str, value: object, tfidf_model, tagger):
    """Call an entry point with ``value`` at a known row; return (result, row)."""
    if entry == "Tagger.tag":
        return tagger.tag(value), 0
    batch = ["ASN harus netral.", value]
    if entry == "TfidfModel.predict_proba":
        return tfidf_model.predict_proba(batch), 1
    if entry == "Tagger.predict_proba":
        return tagger.predict_proba(batch), 1
    if entry == "Tagger.predict":
        return tagger.predict(batch), 1
    if entry == "Tagger.tag_many":
        return tagger.tag_many(batch), 1
    if entry == "Tagger.iter_tag":
        return list(tagger.iter_tag(iter(batch), chunk_size=1)), 1
    if entry == "Model.fit":
        texts = [*OVERFIT_TEXTS[:3], value, *OVERFIT_TEXTS[3:]]
        labels = [*OVERFIT_LABELS[:3], [], *OVERFIT_LABELS[3:]]
        return TfidfModel(TfidfConfig(cv_folds=2)).fit(texts, labels), 3
    raise AssertionError(entry)


def _check_article(result, outcome: str, value: object) -> None:
    if outcome == "empty":
        assert result.empty
        assert result.labels == [] and result.primary == OTHER and result.sentences == []
        assert set(result.scores.values()) == {0.0}
    else:
        assert not result.empty
        assert result.sentences
        assert all(0.0 <= v <= 1.0 for v in result.scores.values())
        cleaned = clean_text(value, max_chars=ARTICLE_MAX_CHARS).text
        for sentence in result.sentences:
            assert cleaned[sentence.start : sentence.end] == sentence.text
    assert result.truncated == (isinstance(value, str) and len(value) > ARTICLE_MAX_CHARS)
    json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")  # no surrogate survives


@pytest.mark.parametrize("name", sorted(INPUTS))
@pytest.mark.parametrize("entry", ENTRIES)
def test_validation_input_matrix(entry, name, tfidf_model, tagger):
    value, outcome = INPUTS[name]
    if outcome == "error":
        with pytest.raises(InputError) as error:
            _call(entry, value, tfidf_model, tagger)
        expected_row = 0 if entry == "Tagger.tag" else 3 if entry == "Model.fit" else 1
        assert f"row {expected_row}," in str(error.value)
        assert str(error.value).startswith("[E001]")
        return
    result, row = _call(entry, value, tfidf_model, tagger)
    if entry == "Model.fit":
        probs = result.predict_proba(OVERFIT_TEXTS)
        assert probs.shape == (8, 4) and np.isfinite(probs).all()
    elif entry in ("TfidfModel.predict_proba", "Tagger.predict_proba"):
        assert result.shape == (2, 4) and result.dtype == np.float32
        assert np.isfinite(result).all() and (result >= 0).all() and (result <= 1).all()
        if outcome == "empty":
            assert (result[row] == 0).all()
        else:
            assert result[row].any()
    elif entry == "Tagger.predict":
        assert result.shape == (2, 4) and set(np.unique(result)) <= {0, 1}
        if outcome == "empty":
            assert not result[row].any()
    elif entry == "Tagger.tag":
        _check_article(result, outcome, value)
    else:
        assert len(result) == 2
        _check_article(result[row], outcome, value)


@pytest.mark.parametrize(
    "entry", ["TfidfModel.predict_proba", "Tagger.predict_proba", "Tagger.tag_many", "Tagger.iter_tag", "Model.fit"]
)
@pytest.mark.parametrize("batch", ["a single string", b"bytes", 42, None])
def test_validation_batch_entry_refuses_non_sequences(entry, batch, tfidf_model, tagger):
    call = {
        "TfidfModel.predict_proba": tfidf_model.predict_proba,
        "Tagger.predict_proba": tagger.predict_proba,
        "Tagger.tag_many": tagger.tag_many,
        "Tagger.iter_tag": lambda texts: list(tagger.iter_tag(texts)),
        "Model.fit": lambda texts: TfidfModel().fit(texts, [[]]),
    }[entry]
    with pytest.raises(InputError):
        call(batch)


@pytest.mark.parametrize("entry", ["TfidfModel.predict_proba", "Tagger.predict_proba"])
@pytest.mark.parametrize(
    ("context", "message"),
    [
        ([Context(None, "")], "context.previous"),
        ([Context("", 7)], "context.title"),
        ([("a",)], "Context"),
        ([Context(), Context()], "2 contexts for 1 texts"),
        ([{"previous": b"x"}], "bytes"),
    ],
    ids=["None-previous", "int-title", "short-tuple", "wrong-count", "dict-with-bytes"],
)
def test_validation_context_errors_name_row_and_field(entry, context, message, tfidf_model, tagger):
    call = tfidf_model.predict_proba if entry == "TfidfModel.predict_proba" else tagger.predict_proba
    with pytest.raises(InputError, match=re.escape(message)):
        call(["ASN harus netral."], context=context)


def test_validation_fit_labels_and_sizes(tfidf_model):
    with pytest.raises(InputError, match="at least one"):
        TfidfModel().fit([], [])
    with pytest.raises(InputError, match="label rows"):
        TfidfModel().fit(["a", "b"], [["warning"]])
    with pytest.raises(InputError, match="columns"):
        TfidfModel().fit(["a", "b"], np.zeros((2, 3)))
    with pytest.raises(InputError, match="dev_labels"):
        TfidfModel().fit(OVERFIT_TEXTS, OVERFIT_LABELS, dev_texts=["a"])
    with pytest.raises(InputError, match="at least 2"):
        TfidfModel().fit(["ASN wajib netral."], [["warning"]])


def test_validation_fit_without_context_or_words_is_defined():
    """Plain texts (no context anywhere) and texts without a single word still fit."""
    model = TfidfModel(TfidfConfig(cv_folds=2)).fit(OVERFIT_TEXTS, OVERFIT_LABELS)
    assert (model.predict(OVERFIT_TEXTS) == model.labels.encode(OVERFIT_LABELS)).all()
    wordless = TfidfModel(TfidfConfig(cv_folds=2)).fit(["😀", "🗳️", "...", "!!"] * 2, OVERFIT_LABELS)
    assert np.isfinite(wordless.predict_proba(["😀 ASN", ""])).all()


# ---------------------------------------------------------------------------- clean_text
@pytest.mark.parametrize(
    ("value", "text", "empty"),
    [
        ("", "", True),
        (" \t", " \t", True),
        ("\x00", " ", True),
        ("a\x00b", "a b", False),
        ("\ud800x", "\ufffdx", False),
        ("\x7f", " ", True),
        ("line\nbreak\r\n", "line\nbreak\r\n", False),
        ("😀", "😀", False),
    ],
)
def test_validation_clean_text_values(value, text, empty):
    cleaned = clean_text(value)
    assert (cleaned.text, cleaned.empty, cleaned.truncated) == (text, empty, False)


def test_validation_clean_text_bytes_decoded_only_when_asked():
    with pytest.raises(InputError, match="bytes"):
        clean_text(b"ASN", row=4)
    assert clean_text(b"ASN \xff netral", decode_bytes=True).text == "ASN \ufffd netral"
    assert clean_texts([b"a", "b"], decode_bytes=True)[0].text == "a"


def test_validation_clean_text_error_names_row_and_field():
    with pytest.raises(InputError, match=r"row 7, field 'body': text is missing \(None\)"):
        clean_text(None, row=7, field="body")
    with pytest.raises(InputError, match=r"row 2, field 'text': expected a string, got int"):
        clean_texts(["a", "b", 3])
    with pytest.raises(InputError, match="NaN"):
        clean_text(math.nan, row=0)


@pytest.mark.parametrize("max_chars", [1, 10, SENTENCE_MAX_CHARS])
def test_validation_clean_text_cuts_by_characters(max_chars):
    cleaned = clean_text("é" * (max_chars + 5), max_chars=max_chars)
    assert cleaned.text == "é" * max_chars and cleaned.truncated
    assert not clean_text("é" * max_chars, max_chars=max_chars).truncated


def test_validation_clean_texts_accepts_any_iterable():
    assert [c.text for c in clean_texts(iter(["a", "b"]))] == ["a", "b"]
    assert [c.text for c in clean_texts(("a",))] == ["a"]
    with pytest.raises(InputError, match="sequence"):
        clean_texts(5)


# ---------------------------------------------------------------------------- bounded cost
def _best_of(call, runs: int = 3) -> float:
    best = math.inf
    for _ in range(runs):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best


def test_validation_ten_megabytes_cost_bounded(tagger):
    ten_k = TEN_MB[:10_000]
    tagger.tag(ten_k)  # warm-up
    result = tagger.tag(TEN_MB)
    assert result.truncated and not tagger.tag(ten_k).truncated
    assert result.sentences[-1].end <= ARTICLE_MAX_CHARS
    t_10k = _best_of(lambda: tagger.tag(ten_k))
    t_10mb = _best_of(lambda: tagger.tag(TEN_MB))
    assert t_10mb <= 2 * t_10k + 0.05, (t_10mb, t_10k)


def test_validation_ten_megabyte_sentence_is_cut(tfidf_model, tagger):
    cut = TEN_MB[:SENTENCE_MAX_CHARS]
    np.testing.assert_array_equal(tfidf_model.predict_proba([TEN_MB]), tfidf_model.predict_proba([cut]))
    np.testing.assert_array_equal(tagger.predict_proba([TEN_MB]), tagger.predict_proba([cut]))


# ---------------------------------------------------------------------------- property tests
SPECIAL = [
    "\x00",
    "\x1f",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\u200b",
    "\ufffd",
    "\n",
    "\r",
    "\t",
    " ",
    ".",
    "!",
    "?",
    "…",
    "\u201c",
    "\u201d",
    "(",
    ")",
    "–",
    "-",
    ":",
    "A",
    "a",
    "1",
]
CHARACTERS = st.one_of(
    st.characters(codec=None),  # any code point (Hypothesis leaves surrogates out of this one)
    st.integers(0xD800, 0xDFFF).map(chr),  # so lone surrogates come from here, often
    st.integers(0x00, 0x1F).map(chr),  # control characters, often
    st.sampled_from(SPECIAL),
)
WORDS = st.sampled_from(
    [
        "ASN",
        "Bawaslu",
        "netral",
        "kampanye",
        "sanksi",
        "Kab.",
        "Hj.",
        "M.",
        "Senin",
        "(5/10/2020)",
        "“Kami",
        "netral,”",
        "kata",
        "Baca juga:",
        "GARUT –",
        "1.",
        "ikrar",
    ]
)
TEXTS = st.one_of(
    st.text(CHARACTERS, max_size=200),
    st.lists(st.one_of(WORDS, st.text(CHARACTERS, max_size=4)), max_size=40).map(" ".join),
)
_BAD = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=TEXTS, max_chars=st.integers(1, 300))
def test_validation_clean_text_property(value, max_chars):
    cleaned = clean_text(value, max_chars=max_chars)
    assert len(cleaned.text) == min(len(value), max_chars)
    assert cleaned.truncated == (len(value) > max_chars)
    assert not _BAD.search(cleaned.text)
    assert cleaned.empty == (not cleaned.text.strip())
    cleaned.text.encode("utf-8")
    # One character for one character, so offsets into the cleaned text hold for the original.
    for original, kept in zip(value[:max_chars], cleaned.text, strict=True):
        assert kept == original or _BAD.match(original)
    again = clean_text(cleaned.text, max_chars=max_chars)
    assert again.text == cleaned.text and again.empty == cleaned.empty


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=TEXTS)
def test_validation_tag_property(tagger, value):
    result = tagger.tag(value)
    cleaned = clean_text(value, max_chars=ARTICLE_MAX_CHARS)
    assert result.truncated == cleaned.truncated
    if cleaned.empty:
        assert result.empty
    if result.empty:
        assert result.labels == [] and result.primary == OTHER and set(result.scores.values()) == {0.0}
    previous_end = 0
    for sentence in result.sentences:
        assert cleaned.text[sentence.start : sentence.end] == sentence.text
        assert sentence.start >= previous_end and sentence.end > sentence.start
        previous_end = sentence.end
        assert all(0.0 <= v <= 1.0 for v in sentence.scores.values())
        assert set(sentence.labels) <= set(tagger.labels.names)
    assert all(0.0 <= v <= 1.0 for v in result.scores.values())
    assert set(result.labels) <= set(tagger.labels.names)
    assert result.primary in (*tagger.labels.names, OTHER)
    json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(TEXTS, min_size=1, max_size=5))
def test_validation_predict_proba_property(tfidf_model, values):
    probs = tfidf_model.predict_proba(values)
    assert probs.shape == (len(values), 4)
    assert np.isfinite(probs).all() and (probs >= 0).all() and (probs <= 1).all()
    for row, value in zip(probs, values, strict=True):
        if clean_text(value).empty:
            assert not row.any()
