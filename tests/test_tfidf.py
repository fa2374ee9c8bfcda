"""The TF-IDF model: overfitting a tiny set, determinism, batch invariance, label sets, config."""

from __future__ import annotations

import numpy as np
import pytest

from asnclf import metrics
from asnclf.errors import ConfigError, LabelError, NotFittedError
from asnclf.labels import LABELS, LabelSet
from asnclf.models import KINDS, load_model, model_class
from asnclf.models.base import Context
from asnclf.models.tfidf import TfidfConfig, TfidfModel

TRAIN = [
    ("Ratusan ASN mengucapkan ikrar netralitas di halaman kantor bupati.", ["declaration"]),
    ("Para kepala desa membacakan ikrar netralitas menjelang pilkada.", ["declaration"]),
    ("Sekda mengingatkan ASN agar tidak ikut kampanye pasangan calon.", ["warning"]),
    ("Bupati mengingatkan pegawai agar tidak ikut kampanye di media sosial.", ["warning"]),
    ("Bawaslu menerima laporan dugaan camat hadir dalam kampanye.", ["violation_report"]),
    ("Warga melaporkan dugaan kepala desa membagikan stiker calon ke Bawaslu.", ["violation_report"]),
    ("KASN menjatuhkan sanksi penundaan kenaikan pangkat kepada guru itu.", ["sanction"]),
    ("Lurah tersebut dijatuhi sanksi pemberhentian sementara oleh wali kota.", ["sanction"]),
]
TEXTS = [text for text, _ in TRAIN]
LABEL_LISTS = [labels for _, labels in TRAIN]


@pytest.mark.parametrize("with_context", [False, True])
def test_tfidf_overfitting_IO(tmp_path, with_context):
    context = (
        [Context(TEXTS[i - 1] if i else "", "ASN Diminta Netral") for i in range(len(TEXTS))] if with_context else None
    )
    model = TfidfModel(TfidfConfig(cv_folds=2)).fit(TEXTS, LABEL_LISTS, context=context)
    gold = model.labels.encode(LABEL_LISTS)
    np.testing.assert_array_equal(model.predict(TEXTS, context=context), gold)
    probs = model.predict_proba(TEXTS, context=context)
    assert probs.shape == (8, len(LABELS)) and probs.dtype == np.float32
    assert (probs.argmax(axis=1) == gold.argmax(axis=1)).all()

    # identical after save/load
    loaded = load_model(model.save(tmp_path / "model"))
    assert loaded.predict_proba(TEXTS, context=context).tobytes() == probs.tobytes()
    np.testing.assert_array_equal(loaded.predict(TEXTS, context=context), gold)

    # batch vs one by one
    one_by_one = np.concatenate(
        [
            loaded.predict_proba([text], context=None if context is None else [context[i]])
            for i, text in enumerate(TEXTS)
        ]
    )
    np.testing.assert_allclose(one_by_one, probs, rtol=0, atol=1e-6)

    # permuted input gives permuted output
    order = np.random.default_rng(0).permutation(len(TEXTS))
    permuted = loaded.predict_proba(
        [TEXTS[i] for i in order], context=None if context is None else [context[i] for i in order]
    )
    np.testing.assert_allclose(permuted, probs[order], rtol=0, atol=1e-6)


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_tfidf_batch_invariance_on_corpus(tfidf_model, dev_sentences, batch_size):
    texts, context = dev_sentences["texts"], dev_sentences["context"]
    whole = tfidf_model.predict_proba(texts, context=context)
    parts = np.concatenate(
        [
            tfidf_model.predict_proba(texts[i : i + batch_size], context=context[i : i + batch_size])
            for i in range(0, len(texts), batch_size)
        ]
    )
    np.testing.assert_allclose(parts, whole, rtol=0, atol=1e-6)
    order = np.random.default_rng(batch_size).permutation(len(texts))
    permuted = tfidf_model.predict_proba([texts[i] for i in order], context=[context[i] for i in order])
    np.testing.assert_allclose(permuted, whole[order], rtol=0, atol=1e-6)


def test_tfidf_determinism(dev_sentences):
    """Two fits with one seed give identical weights, vocabularies, thresholds and metrics."""
    config = TfidfConfig(cv_folds=3, seed=7, char_ngrams=(2, 4), max_char_features=5000)
    texts, labels, context = dev_sentences["texts"], dev_sentences["labels"], dev_sentences["context"]
    first, second = (TfidfModel(config).fit(texts, labels, context=context) for _ in range(2))
    assert first.coef_.tobytes() == second.coef_.tobytes()
    assert first.intercept_.tobytes() == second.intercept_.tobytes()
    np.testing.assert_array_equal(first.thresholds_, second.thresholds_)
    for name, vectorizer in first.vectorizers_.items():
        assert vectorizer.vocabulary_ == second.vectorizers_[name].vocabulary_
        assert vectorizer.idf_.tobytes() == second.vectorizers_[name].idf_.tobytes()
    gold = first.labels.encode(labels)
    scores = [
        metrics.multilabel_scores(gold, model.predict(texts, context=context), LABELS) for model in (first, second)
    ]
    assert scores[0] == scores[1]
    cross = [model.cross_val_proba(texts, gold, context=context) for model in (first, second)]
    assert cross[0].tobytes() == cross[1].tobytes()


def test_tfidf_seed_changes_folds_not_contract(dev_sentences):
    texts, labels = dev_sentences["texts"], dev_sentences["labels"]
    gold = LabelSet().encode(labels)
    a, b = (TfidfModel(TfidfConfig(cv_folds=3, seed=s)).cross_val_proba(texts, gold) for s in (1, 2))
    assert a.shape == b.shape == gold.shape
    assert not np.array_equal(a, b)


def test_tfidf_multi_class_label_set(tmp_path):
    labels = LabelSet(("a", "b", "c"), multi_label=False)
    texts = [
        "kucing makan ikan",
        "kucing tidur siang",
        "anjing menggonggong keras",
        "anjing berlari kencang",
        "burung terbang tinggi",
        "burung berkicau pagi",
    ]
    gold = [["a"], ["a"], ["b"], ["b"], ["c"], ["c"]]
    model = TfidfModel(TfidfConfig(cv_folds=2, min_df=1), labels=labels).fit(texts, gold)
    probs = model.predict_proba(texts)
    assert probs.shape == (6, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-5)
    predicted = model.predict(texts)
    assert (predicted.sum(axis=1) == 1).all()
    assert labels.decode(predicted) == gold
    assert not model.predict([""]).any()  # empty text: no label, not an arbitrary one
    loaded = load_model(model.save(tmp_path / "model"))
    assert loaded.labels == labels
    assert loaded.predict_proba(texts).tobytes() == probs.tobytes()
    with pytest.raises(LabelError, match="exactly one"):
        TfidfModel(labels=labels).fit(texts[:2], [["a", "b"], ["a"]])


@pytest.mark.parametrize("classes", [("x", "y"), ("solo",)])
def test_tfidf_multi_class_with_few_classes(classes):
    labels = LabelSet(("x", "y", "z") if len(classes) == 2 else ("solo", "other2"), multi_label=False)
    texts = ["satu dua tiga", "empat lima enam", "tujuh delapan", "sembilan sepuluh"]
    gold = [[classes[i % len(classes)]] for i in range(4)]
    model = TfidfModel(TfidfConfig(cv_folds=2, min_df=1), labels=labels).fit(texts, gold)
    assert labels.decode(model.predict(texts)) == gold
    np.testing.assert_allclose(model.predict_proba(texts).sum(axis=1), 1.0, atol=1e-5)


def test_tfidf_constant_label_columns():
    """A label never (or always) present in training gets a constant, confident score."""
    model = TfidfModel(TfidfConfig(cv_folds=2)).fit(TEXTS[:4], [["declaration", "warning"]] * 2 + [["warning"]] * 2)
    probs = model.predict_proba(["apa saja"])
    assert probs[0, LABELS.index("warning")] > 0.99
    assert probs[0, LABELS.index("sanction")] < 0.01


@pytest.mark.parametrize("where", ["labels", "dev_labels"])
def test_tfidf_unknown_label_lists_unknown_and_known(where):
    bad = [*LABEL_LISTS[:3], ["warning", "bribery"], *LABEL_LISTS[4:]]
    kwargs = {"dev_texts": TEXTS, "dev_labels": bad} if where == "dev_labels" else {}
    with pytest.raises(LabelError) as error:
        TfidfModel(TfidfConfig(cv_folds=2)).fit(TEXTS, bad if where == "labels" else LABEL_LISTS, **kwargs)
    message = str(error.value)
    assert "'bribery'" in message and "row 3" in message and where in message
    for name in LABELS:
        assert name in message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"bogus": 1}, "unknown key"),
        ({"min_df": "two"}, "expected an integer"),
        ({"cv_folds": 1}, "cv_folds"),
        ({"C": 0}, "C must be"),
        ({"word_ngrams": [3, 1]}, "word_ngrams"),
        ({"class_weight": "auto"}, "class_weight"),
        ({"previous_weight": -1}, "previous_weight"),
        ({"sublinear_tf": 1}, "true/false"),
    ],
)
def test_tfidf_config_errors(data, message):
    with pytest.raises(ConfigError, match=message):
        TfidfConfig.from_dict(data)


def test_tfidf_config_unknown_key_lists_known_keys():
    with pytest.raises(ConfigError) as error:
        TfidfConfig.from_dict({"cv_fold": 3})
    assert "'cv_fold'" in str(error.value) and "'cv_folds'" in str(error.value)


def test_tfidf_needs_its_own_config_and_fit_before_predict():
    from asnclf.config import Config

    with pytest.raises(TypeError):
        TfidfModel(Config())
    with pytest.raises(NotFittedError):
        TfidfModel().predict_proba(["ASN"])
    with pytest.raises(NotFittedError):
        TfidfModel().predict(["ASN"])


def test_tfidf_registered_kind():
    assert model_class("tfidf") is TfidfModel
    assert "tfidf" in KINDS
    with pytest.raises(ConfigError, match="known kinds"):
        model_class("xgboost")


def test_tfidf_context_is_used(tfidf_model):
    """With ``previous_weight > 0`` the previous sentence changes the scores; without context it does not."""
    text = ["Hal itu disampaikan kepada wartawan."]
    alone = tfidf_model.predict_proba(text)
    np.testing.assert_array_equal(alone, tfidf_model.predict_proba(text, context=[Context()]))
    previous = [Context("Bawaslu menerima laporan dugaan pelanggaran.", "")]
    with_previous = tfidf_model.predict_proba(text, context=previous)
    assert not np.array_equal(alone, with_previous)


def test_tfidf_describe(tfidf_model):
    info = tfidf_model.describe()
    assert info["kind"] == "tfidf" and info["labels"] == list(LABELS)
    assert len(info["thresholds"]) == len(LABELS)
    assert info["config"]["cv_folds"] == 2
