"""Saved-model directories: JSON + safetensors with a manifest, written atomically.

Layout of a saved model::

    MODEL_DIR/
        asnclf.json          manifest, written last: format version, kind, labels, config,
                             library versions, provenance, sha256 of every other file
        *.json, *.safetensors, tokenizer.json ...

Loading refuses pickle-family files before reading anything, checks the format version, and
verifies every hash before a tensor is read. Saving writes into a temporary sibling
directory, fsyncs it, and swaps it in with renames; if a crash happens between the two renames
the previous version is kept as ``.NAME.old-*`` and :func:`read_manifest` puts it back.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from asnclf.errors import (
    ArtifactError,
    ArtifactIntegrityError,
    ArtifactVersionError,
    ModelNotFoundError,
    UnsafeArtifactError,
)

FORMAT_VERSION = 1
"""Integer format of saved models. Older formats keep loading; newer ones are refused."""

MANIFEST = "asnclf.json"
FORBIDDEN_SUFFIXES = (".pkl", ".pickle", ".joblib", ".bin", ".pt", ".pth", ".ckpt", ".npy", ".npz", ".dill")
_MAX_JSON_BYTES = 64 * 1024 * 1024


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_json(value: Any) -> str:
    """Hash of a JSON-serialisable value, independent of key order."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, content: bytes) -> None:
    """Write one file atomically: a temporary sibling, fsync, then rename over ``path``."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_json(path: Path, value: Any) -> None:
    """Write JSON (UTF-8, sorted keys) and fsync it."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(value, handle, ensure_ascii=False, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())


def read_json(path: Path) -> Any:
    """Read a JSON file of a saved model; any problem is an :class:`ArtifactIntegrityError`."""
    try:
        if path.stat().st_size > _MAX_JSON_BYTES:
            raise ArtifactIntegrityError(f"{path}: JSON file is implausibly large")
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArtifactIntegrityError(f"{path}: cannot read JSON ({error})") from None


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Save named numpy arrays as safetensors."""
    from safetensors.numpy import save_file

    save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(path))


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    """Load named numpy arrays from a safetensors file (hashes already verified)."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as error:
        raise ArtifactIntegrityError(f"{path}: cannot read safetensors ({error})") from None


def refuse_unsafe_files(directory: Path) -> None:
    """Refuse a directory holding any pickle-family file, before anything in it is read."""
    for path in directory.rglob("*"):
        if path.suffix.lower() in FORBIDDEN_SUFFIXES:
            raise UnsafeArtifactError(
                f"{path}: refusing to load a model directory that holds {path.suffix} files "
                "(pickle-family formats can run code); asnclf models are JSON and safetensors only"
            )


def _restore_interrupted_save(directory: Path) -> None:
    """Put back the previous version if a save crashed between its two renames."""
    if directory.exists() or not directory.parent.is_dir():
        return
    for old in sorted(directory.parent.glob(f".{directory.name}.old-*")):
        if (old / MANIFEST).is_file():
            with contextlib.suppress(OSError):
                os.rename(old, directory)
                return


def read_manifest(directory: str | os.PathLike[str], *, verify: bool = True) -> dict[str, Any]:
    """Check a saved model directory and return its manifest.

    Args:
        directory: the model directory.
        verify: check the sha256 of every file listed in the manifest.

    Raises:
        ModelNotFoundError: the directory or its manifest does not exist.
        UnsafeArtifactError: the directory holds pickle-family files.
        ArtifactVersionError: the format is newer than this asnclf reads.
        ArtifactIntegrityError: the manifest is malformed, a file is missing, unlisted or its
            hash does not match.
    """
    directory = Path(directory)
    _restore_interrupted_save(directory)
    if not directory.is_dir():
        raise ModelNotFoundError(f"{directory}: no such model directory")
    refuse_unsafe_files(directory)
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise ModelNotFoundError(f"{directory}: not an asnclf model (no {MANIFEST})")
    manifest = read_json(manifest_path)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise ArtifactIntegrityError(f"{manifest_path}: malformed manifest (no 'files' table)")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ArtifactIntegrityError(f"{manifest_path}: malformed manifest (format_version {version!r})")
    if version > FORMAT_VERSION:
        raise ArtifactVersionError(
            f"{directory}: saved in model format {version}, this asnclf reads up to "
            f"{FORMAT_VERSION}; upgrade asnclf (the model was made by asnclf "
            f"{manifest.get('versions', {}).get('asnclf', '?')})"
        )
    listed = manifest["files"]
    present = {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()} - {MANIFEST}
    unlisted = sorted(present - set(listed))
    if unlisted:
        raise ArtifactIntegrityError(f"{directory}: files not in the manifest: {unlisted}")
    if verify:
        for name, expected in listed.items():
            path = directory / name
            if not path.is_file():
                raise ArtifactIntegrityError(f"{directory}: file {name} listed in the manifest is missing")
            if sha256_file(path) != expected:
                raise ArtifactIntegrityError(f"{path}: sha256 does not match the manifest (file corrupt or modified)")
    return manifest


def save_directory(
    directory: str | os.PathLike[str],
    write_files: Callable[[Path], None],
    manifest: dict[str, Any],
) -> Path:
    """Write a model directory atomically.

    Args:
        directory: target directory; an existing model there is replaced only once the new one
            is complete on disk.
        write_files: writes the model's files into the temporary directory it is given.
        manifest: manifest fields; ``format_version`` and ``files`` are filled in here.

    Returns:
        The target directory.
    """
    target = Path(directory).absolute()
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not (target / MANIFEST).is_file() and any(target.iterdir()):
        raise ArtifactError(f"{target}: exists and is not an asnclf model; refusing to overwrite it")
    for stale in [*parent.glob(f".{target.name}.tmp-*"), *parent.glob(f".{target.name}.old-*")]:
        if stale.is_dir() and (target.exists() or ".tmp-" in stale.name):
            shutil.rmtree(stale, ignore_errors=True)
    token = uuid.uuid4().hex[:12]
    temporary = parent / f".{target.name}.tmp-{token}"
    temporary.mkdir()
    try:
        write_files(temporary)
        refuse_unsafe_files(temporary)
        files = {
            p.relative_to(temporary).as_posix(): sha256_file(p) for p in sorted(temporary.rglob("*")) if p.is_file()
        }
        for name in files:
            with open(temporary / name, "rb") as handle:
                os.fsync(handle.fileno())
        write_json(temporary / MANIFEST, {**manifest, "format_version": FORMAT_VERSION, "files": files})
        _fsync_dir(temporary)
        if target.exists():
            old = parent / f".{target.name}.old-{token}"
            os.rename(target, old)
            os.rename(temporary, target)
            _fsync_dir(parent)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(temporary, target)
        _fsync_dir(parent)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return target
