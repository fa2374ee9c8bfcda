"""The transformer model kind, on a tiny random BERT built offline from a config."""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")

from asnclf.augment import noisy_copy, noisy_texts
from asnclf.errors import BackboneError, ConfigError
from asnclf.models import load_model
from asnclf.models.base import Context, Split
from asnclf.models.transformer import TransformerConfig, TransformerModel, _epoch_variants, _same_training
from asnclf.tagger import Tagger
from tests.tiny_bert import build_tiny_bert

SENTENCES = [
    ("Ratusan ASN membacakan ikrar netralitas di halaman kantor bupati.", ["declaration"]),
    ("Para camat menandatangani pakta integritas netralitas.", ["declaration"]),
    ("Bawaslu mengimbau ASN tidak mengunggah foto bersama calon.", ["warning"]),
    ("ASN dilarang menghadiri kegiatan kampanye.", ["warning"]),
    ("Bawaslu menerima laporan dugaan kepala sekolah ikut berkampanye.", ["violation_report"]),
    ("Sebanyak 12 ASN telah dilaporkan ke BKN.", ["violation_report"]),
    ("BKN menjatuhkan sanksi penundaan kenaikan pangkat kepada dua ASN.", ["sanction"]),
    ("Cuaca cerah sepanjang hari di kota itu.", []),
]
TEXTS = [t for t, _ in SENTENCES]
LABELS = [labels for _, labels in SENTENCES]
CONTEXT = [Context(TEXTS[i - 1] if i else "", "Netralitas ASN") for i in range(len(TEXTS))]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    return build_tiny_bert(tmp_path_factory.mktemp("tiny") / "bert")


def small_config(tiny_bert, **overrides) -> TransformerConfig:
    settings = dict(
        backbone=str(tiny_bert),
        prefix="",
        max_length=32,
        context_tokens=8,
        batch_size=4,
        epochs=30,
        learning_rate=5e-3,
        head_learning_rate=5e-2,
        lora_r=4,
        lora_alpha=8,
        train_layers=1,
        patience=100,
        dropout=0.0,
        lora_dropout=0.0,
        num_threads=1,
        warmup_ratio=0.0,
    )
    settings.update(overrides)
    return TransformerConfig(**settings)


def fit(config: TransformerConfig) -> TransformerModel:
    model = TransformerModel(config)
    model.fit(TEXTS, LABELS, context=CONTEXT, dev_texts=TEXTS, dev_labels=LABELS, dev_context=CONTEXT)
    return model


@pytest.mark.parametrize(
    "method,train_layers,fusion",
    [
        ("lora", 1, "input"),
        ("lora", 0, "input"),
        ("frozen_embeddings", 1, "input"),
        ("head", 0, "input"),
        ("lora", 1, "late"),
        ("frozen_embeddings", 1, "late"),
    ],
)
def test_transformer_overfitting_IO(tiny_bert, tmp_path, method, train_layers, fusion):
    model = fit(
        small_config(
            tiny_bert,
            method=method,
            train_layers=train_layers,
            context_fusion=fusion,
            context="previous+title",
            epochs=60 if method == "head" else 30,
        )
    )
    predicted = model.predict(TEXTS, context=CONTEXT)
    expected = model.labels.encode(LABELS)
    if method != "head":  # a linear head on a random frozen encoder cannot be expected to fit
        assert (predicted == expected).mean() >= 0.9
    before = model.predict_proba(TEXTS, context=CONTEXT)
    model.save(tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert np.array_equal(before, loaded.predict_proba(TEXTS, context=CONTEXT))
    one_by_one = np.concatenate([loaded.predict_proba([t], context=[c]) for t, c in zip(TEXTS, CONTEXT)])
    assert np.abs(one_by_one - before).max() < 1e-5
    permutation = np.random.default_rng(0).permutation(len(TEXTS))
    permuted = loaded.predict_proba([TEXTS[i] for i in permutation], context=[CONTEXT[i] for i in permutation])
    assert np.abs(permuted - before[permutation]).max() < 1e-5


def test_transformer_artifact_holds_only_trained_weights(tiny_bert, tmp_path):
    model = fit(small_config(tiny_bert, epochs=2))
    model.save(tmp_path / "model")
    names = set(model.trained_state_)
    assert names and all("lora_" in n or n.startswith("head.") for n in names)
    manifest = load_model(tmp_path / "model").manifest_
    assert manifest["backbone"]["sha256"] == model.backbone_["sha256"]


def test_transformer_same_seed_same_weights(tiny_bert):
    config = small_config(tiny_bert, epochs=3, dropout=0.1, lora_dropout=0.1)
    first, second = fit(config), fit(config)
    assert first.trained_state_.keys() == second.trained_state_.keys()
    for name in first.trained_state_:
        assert np.array_equal(first.trained_state_[name], second.trained_state_[name]), name
    assert first.history_ == second.history_ or [h["dev_macro_f1"] for h in first.history_] == [
        h["dev_macro_f1"] for h in second.history_
    ]


@pytest.mark.parametrize(
    "stop_after,fusion,augment",
    [(3, "input", 0.0), (5, "input", 0.0), (3, "late", 0.0), (5, "late", 0.5), (5, "input", 0.5)],
)
def test_transformer_resume_is_exact(tiny_bert, tmp_path, stop_after, fusion, augment):
    settings = dict(epochs=3, dropout=0.1, lora_dropout=0.1, context_fusion=fusion, augment=augment)
    straight = fit(small_config(tiny_bert, **settings))
    checkpoint = str(tmp_path / "checkpoint")
    fit(small_config(tiny_bert, **settings, checkpoint_dir=checkpoint, max_steps=stop_after))
    resumed = fit(small_config(tiny_bert, **settings, checkpoint_dir=checkpoint))
    for name in straight.trained_state_:
        assert np.array_equal(straight.trained_state_[name], resumed.trained_state_[name]), name
    assert resumed.training_["steps"] == straight.training_["steps"]


def test_transformer_resume_refuses_other_settings(tiny_bert, tmp_path):
    checkpoint = str(tmp_path / "checkpoint")
    fit(small_config(tiny_bert, epochs=2, checkpoint_dir=checkpoint, max_steps=1))
    with pytest.raises(ConfigError, match="another configuration"):
        fit(small_config(tiny_bert, epochs=2, checkpoint_dir=checkpoint, learning_rate=1e-3))


def test_transformer_checkpoint_has_no_pickle(tiny_bert, tmp_path):
    checkpoint = tmp_path / "checkpoint"
    fit(small_config(tiny_bert, epochs=1, checkpoint_dir=str(checkpoint)))
    suffixes = {p.suffix for p in checkpoint.iterdir()}
    assert suffixes <= {".json", ".safetensors"}


def test_transformer_refuses_a_different_base(tiny_bert, tmp_path):
    model = fit(small_config(tiny_bert, epochs=1))
    model.save(tmp_path / "model")
    other = build_tiny_bert(tmp_path / "other", seed=1)
    shutil.rmtree(tiny_bert.parent / "swap", ignore_errors=True)
    shutil.copytree(tiny_bert, tiny_bert.parent / "swap")
    try:
        shutil.rmtree(tiny_bert)
        shutil.copytree(other, tiny_bert)
        with pytest.raises(BackboneError, match=r"not the one|different"):
            load_model(tmp_path / "model")
    finally:
        shutil.rmtree(tiny_bert)
        shutil.copytree(tiny_bert.parent / "swap", tiny_bert)


def test_transformer_missing_base_is_a_clear_error(tiny_bert, tmp_path):
    with pytest.raises(BackboneError):
        TransformerModel(small_config(tiny_bert, backbone=str(tmp_path / "nowhere"))).fit(TEXTS, LABELS)


@pytest.mark.parametrize(
    "field,value",
    [
        ("context", "nearby"),
        ("method", "full"),
        ("max_length", 2),
        ("device", "gpu"),
        ("device", "cuda:x"),
        ("context_fusion", "early"),
        ("augment", 1.5),
        ("augment", -0.1),
    ],
)
def test_transformer_config_rejects_bad_values(field, value):
    with pytest.raises(ConfigError):
        TransformerConfig(**{field: value})


def test_transformer_unavailable_device_fails_training_but_not_loading(tiny_bert):
    import torch

    model = TransformerModel(small_config(tiny_bert, device="cuda:99"))
    with pytest.raises(ConfigError, match="cuda:99"):
        model.fit(TEXTS, LABELS)
    assert model._resolve_device(for_training=False) == torch.device("cpu")
    automatic = TransformerModel(small_config(tiny_bert, device="auto"))._resolve_device(for_training=True)
    assert automatic.type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_transformer_late_fusion_encodes_each_text_once(tiny_bert, tmp_path):
    model = fit(small_config(tiny_bert, epochs=2, context_fusion="late", context="previous+title"))
    encoded = model._encode(TEXTS, CONTEXT)
    states = model._bottom_states(encoded)
    assert len(states) == len(set(TEXTS)) + 1  # every sentence once, serving as its successor's context; the title
    assert "memory" in model.trained_state_ and model.trained_state_["memory"].shape == (32,)
    assert np.abs(model.trained_state_["memory"]).max() > 0  # the context marker was trained
    # The context is read: another previous sentence changes the scores.
    swapped = [Context(TEXTS[-1], c.title) for c in CONTEXT]
    assert np.abs(model.predict_proba(TEXTS, context=swapped) - model.predict_proba(TEXTS, context=CONTEXT)).max() > 0
    # Scoring more sentences than one chunk of lower-layer states gives the same scores.
    many = TEXTS * 200
    context = [Context(many[i - 1] if i else "", "Netralitas ASN") for i in range(len(many))]
    probabilities = model.predict_proba(many, context=context)
    assert np.abs(probabilities[8:16] - probabilities[1208:1216]).max() < 1e-5


@pytest.mark.parametrize("overrides", [{"train_layers": 0}, {"method": "head"}])
def test_transformer_late_fusion_needs_frozen_lower_layers(tiny_bert, overrides):
    with pytest.raises(ConfigError, match="late"):
        fit(small_config(tiny_bert, context_fusion="late", **overrides))


@pytest.mark.parametrize("fusion", ["input", "late"])
def test_transformer_long_text_cost_is_bounded(tiny_bert, fusion):
    tagger = Tagger(fit(small_config(tiny_bert, epochs=1, context_fusion=fusion)))
    paragraph = " ".join(TEXTS) + " "
    short, huge = (paragraph * 200)[:10_000], paragraph * (10_000_000 // len(paragraph))

    def best_time(text: str) -> float:
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            result = tagger.tag(text)
            timings.append(time.perf_counter() - started)
        return min(timings), result

    best_time(short)
    short_time, _ = best_time(short)
    huge_time, result = best_time(huge)
    assert result.truncated
    assert huge_time <= 2 * short_time + 0.05


def test_transformer_augment_trains_on_noisy_copies(tiny_bert):
    train = Split(TEXTS, TransformerModel(small_config(tiny_bert)).labels.encode(LABELS), CONTEXT)
    texts, context = noisy_texts(train.texts, train.context, 13)
    assert texts == [noisy_copy(t, 13) for t in TEXTS]
    # a sentence's noisy copy is its successor's noisy previous sentence
    assert [c.previous for c in context[1:]] == texts[:-1] and context[0].previous == ""
    assert _epoch_variants(8, 0.0, 13, 0) == list(range(8))
    assert _epoch_variants(8, 1.0, 13, 0) == list(range(8, 16))
    mixed = [_epoch_variants(400, 0.3, 13, epoch) for epoch in range(2)]
    assert mixed[0] != mixed[1] and all(90 <= sum(i >= 400 for i in m) <= 150 for m in mixed)
    assert mixed[0] == _epoch_variants(400, 0.3, 13, 0)


def test_transformer_augment_changes_training_only(tiny_bert, tmp_path):
    settings = dict(epochs=3, context_fusion="late", context="previous+title")
    clean, noisy = fit(small_config(tiny_bert, **settings)), fit(small_config(tiny_bert, **settings, augment=1.0))
    assert any(not np.array_equal(clean.trained_state_[n], noisy.trained_state_[n]) for n in clean.trained_state_)
    before = noisy.predict_proba(TEXTS, context=CONTEXT)
    loaded = load_model(noisy.save(tmp_path / "model"))
    assert loaded.config.augment == 1.0
    assert np.array_equal(before, loaded.predict_proba(TEXTS, context=CONTEXT))


@pytest.mark.parametrize("fusion", ["input", "late"])
def test_transformer_augment_pairs_each_noisy_copy_with_its_labels(tiny_bert, fusion):
    # Training on noisy copies only is training on the noisy split itself: same batches, same labels.
    settings = dict(epochs=3, context_fusion=fusion, context="previous+title", dropout=0.1, lora_dropout=0.1)
    augmented = fit(small_config(tiny_bert, **settings, augment=1.0))
    split = Split(TEXTS, augmented.labels.encode(LABELS), CONTEXT)
    texts, context = noisy_texts(split.texts, split.context, 13)
    assert texts != TEXTS
    direct = TransformerModel(small_config(tiny_bert, **settings))
    direct.fit(texts, LABELS, context=context, dev_texts=TEXTS, dev_labels=LABELS, dev_context=CONTEXT)
    for name in augmented.trained_state_:
        np.testing.assert_allclose(augmented.trained_state_[name], direct.trained_state_[name], atol=1e-5)


def test_transformer_checkpoint_from_before_a_new_field_still_resumes():
    current = TransformerConfig(augment=0.0).training_identity()
    older = {k: v for k, v in current.items() if k != "augment"}
    assert _same_training(older, current)
    assert not _same_training(older, TransformerConfig(augment=0.3).training_identity())
    assert not _same_training({**older, "epochs": 99}, current)
    assert not _same_training(None, current)
