"""The article tagger: spans, titles, aggregation, and agreement between its entry points."""

from __future__ import annotations

import numpy as np
import pytest

from asnclf.corpus import load_articles
from asnclf.errors import InputError
from asnclf.labels import LABELS, OTHER
from asnclf.models.tfidf import TfidfConfig, TfidfModel
from asnclf.tagger import ArticleTags, Tagger

ARTICLE = (
    "Bawaslu Temukan ASN Ikut Kampanye\n"
    "GARUT – Bawaslu Kabupaten Garut menerima laporan dugaan seorang camat hadir dalam kampanye pasangan calon. "
    "Sekda mengingatkan seluruh ASN agar tidak ikut kampanye. "
    "KASN kemudian menjatuhkan sanksi penundaan kenaikan pangkat kepada camat tersebut."
)


@pytest.fixture(scope="module")
def articles() -> list[str]:
    return [a.text for a in load_articles("test")[:12]]


def test_tagger_tag_structure(tagger):
    result = tagger.tag(ARTICLE)
    assert isinstance(result, ArticleTags) and not result.empty and not result.truncated
    assert result.sentences[0].is_title and result.sentences[0].text == "Bawaslu Temukan ASN Ikut Kampanye"
    assert not any(s.is_title for s in result.sentences[1:])
    for sentence in result.sentences:
        assert ARTICLE[sentence.start : sentence.end] == sentence.text
        assert list(sentence.scores) == list(LABELS)
    assert list(result.scores) == list(LABELS)
    for name in LABELS:  # the article score is the highest sentence score
        assert result.scores[name] == max(s.scores[name] for s in result.sentences)
    assert set(result.labels) <= set(LABELS)
    assert result.primary == OTHER if not result.labels else result.primary in result.labels
    assert result.evidence == [s for s in result.sentences if s.labels]
    compact = result.to_dict(sentences=False)
    assert "sentences" not in compact and compact["labels"] == result.labels


def test_tagger_entry_points_agree(tagger, articles):
    many = [r.to_dict() for r in tagger.tag_many(articles)]
    assert [tagger.tag(a).to_dict() for a in articles] == many
    assert [r.to_dict() for r in tagger.iter_tag(iter(articles), chunk_size=5)] == many
    assert [r.to_dict() for r in tagger.tag_many(articles[::-1])] == many[::-1]


@pytest.mark.parametrize("batch_size", [1, 3, 1000])
def test_tagger_batch_size_does_not_change_results(tfidf_model, tagger, articles, batch_size):
    other = Tagger(tfidf_model, batch_size=batch_size)
    expected = [r.to_dict() for r in tagger.tag_many(articles)]
    assert [r.to_dict() for r in other.tag_many(articles)] == expected


def test_tagger_predict_proba_matches_model(tfidf_model, tagger, dev_sentences):
    texts, context = dev_sentences["texts"], dev_sentences["context"]
    np.testing.assert_array_equal(
        tagger.predict_proba(texts, context=context), tfidf_model.predict_proba(texts, context=context)
    )
    np.testing.assert_array_equal(tagger.predict(texts), tfidf_model.predict(texts))
    probs = tagger.predict_proba(texts)
    np.testing.assert_array_equal(tagger.decide(probs), tfidf_model.decide(probs))


def test_tagger_mixed_batch_keeps_order(tagger):
    results = tagger.tag_many(["", ARTICLE, "   ", "a"])
    assert [r.empty for r in results] == [True, False, True, False]
    assert results[1].to_dict() == tagger.tag(ARTICLE).to_dict()
    assert tagger.tag_many([]) == []


def test_tagger_describe(tagger):
    info = tagger.describe()
    assert info["kind"] == "tfidf" and info["article_rule"] == "tuned"
    assert len(info["article_thresholds"]) == len(LABELS)


def test_tagger_default_article_rule():
    texts = [
        "Sekda mengingatkan ASN agar netral.",
        "Bupati mengingatkan pegawai agar netral.",
        "KASN menjatuhkan sanksi kepada camat.",
        "Camat dijatuhi sanksi oleh KASN.",
    ]
    model = TfidfModel(TfidfConfig(cv_folds=2)).fit(texts, [["warning"], ["warning"], ["sanction"], ["sanction"]])
    tagger = Tagger(model)
    assert tagger.describe()["article_rule"] == "default"
    result = tagger.tag("Sekda mengingatkan ASN agar netral. Camat dijatuhi sanksi oleh KASN.")
    decided = model.decide(np.array([[s.scores[n] for n in LABELS] for s in result.sentences]))
    assert set(result.labels) == {LABELS[j] for j in np.flatnonzero(decided.any(axis=0))}


def test_tagger_needs_fitted_model():
    with pytest.raises(InputError, match="fitted"):
        Tagger(TfidfModel())


def test_tagger_single_line_has_no_title(tagger):
    result = tagger.tag("Sekda mengingatkan ASN agar netral. Camat dijatuhi sanksi oleh KASN.")
    assert not any(s.is_title for s in result.sentences)
