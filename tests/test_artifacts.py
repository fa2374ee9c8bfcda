"""Saved models: exact round trips, refusal of pickles, corrupt files, versions, crash-safe saving."""

from __future__ import annotations

import json
import os
import pickle  # only to build poisoned fixtures; asnclf itself never imports it
import random
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from asnclf import api
from asnclf.artifacts import FORMAT_VERSION, MANIFEST, read_manifest, save_directory, sha256_file, sha256_json
from asnclf.errors import (
    ArtifactError,
    ArtifactIntegrityError,
    ArtifactVersionError,
    ModelNotFoundError,
    NotFittedError,
    UnsafeArtifactError,
)
from asnclf.models import load_model
from asnclf.models.base import Context
from asnclf.models.tfidf import TfidfConfig, TfidfModel
from asnclf.tagger import Tagger

FIXTURES = Path(__file__).parent / "fixtures"


def _rehash(directory: Path) -> None:
    """Make the manifest list the current files with their current hashes (a consistent fake)."""
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"] = {
        p.relative_to(directory).as_posix(): sha256_file(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    (directory / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _edit_manifest(directory: Path, **changes: object) -> None:
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is _DELETE:
            manifest.pop(key, None)
        else:
            manifest[key] = value
    (directory / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


_DELETE = object()


# ---------------------------------------------------------------------------- save/load exact
@pytest.fixture(scope="module")
def fresh_model(dev_sentences) -> TfidfModel:
    """A model fitted in this process (never saved yet), with contexts and a title block."""
    config = TfidfConfig(cv_folds=2, char_ngrams=(2, 4), max_char_features=5000, title_weight=0.3)
    return TfidfModel(config).fit(dev_sentences["texts"], dev_sentences["labels"], context=dev_sentences["context"])


@pytest.mark.parametrize("with_context", [False, True])
def test_artifacts_save_load_exact(fresh_model, dev_sentences, tmp_path, with_context):
    context = dev_sentences["context"] if with_context else None
    texts = dev_sentences["texts"]
    before = fresh_model.predict_proba(texts, context=context)
    loaded = load_model(fresh_model.save(tmp_path / "model"))
    after = loaded.predict_proba(texts, context=context)
    assert after.dtype == before.dtype and after.shape == before.shape
    assert after.tobytes() == before.tobytes()
    np.testing.assert_array_equal(loaded.thresholds_, fresh_model.thresholds_)
    np.testing.assert_array_equal(loaded.predict(texts, context=context), fresh_model.predict(texts, context=context))
    assert loaded.labels == fresh_model.labels and loaded.config == fresh_model.config


def test_artifacts_save_load_exact_with_article_rule(tfidf_model, tfidf_model_dir, tmp_path):
    """The session model (trained with a tuned article rule) survives a second save/load unchanged."""
    assert (tfidf_model_dir / "aggregator.json").is_file()
    again = load_model(tfidf_model.save(tmp_path / "again"))
    articles = [
        "ASN Diminta Netral\nSekda mengingatkan ASN agar tidak ikut kampanye. Bawaslu menerima laporan.",
        "Kepala desa dijatuhi sanksi karena berkampanye.",
    ]
    first, second = Tagger(tfidf_model).tag_many(articles), Tagger(again).tag_many(articles)
    assert [r.to_dict() for r in first] == [r.to_dict() for r in second]
    for name, value in vars(tfidf_model.aggregator_).items():
        np.testing.assert_array_equal(np.asarray(getattr(again.aggregator_, name)), np.asarray(value))


def test_artifacts_directory_holds_only_safe_files(tfidf_model_dir):
    files = sorted(p.name for p in tfidf_model_dir.rglob("*") if p.is_file())
    assert files == ["aggregator.json", MANIFEST, "vocabulary.json", "weights.safetensors"]
    manifest = read_manifest(tfidf_model_dir)
    assert set(manifest["files"]) == set(files) - {MANIFEST}


def test_artifacts_manifest_records_provenance(tfidf_model_dir, small_corpus):
    manifest = read_manifest(tfidf_model_dir)
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["kind"] == "tfidf"
    assert manifest["labels"]["names"] == ["declaration", "warning", "violation_report", "sanction"]
    for package in ("python", "asnclf", "numpy", "scikit-learn", "safetensors"):
        assert manifest["versions"].get(package), package
    assert manifest["config_sha256"] == sha256_json(manifest["config"])
    assert manifest["training"]["seed"] == manifest["config"]["seed"]
    assert manifest["training"]["data_sha256"] == sha256_file(small_corpus["train"])
    assert manifest["training"]["dev_data_sha256"] == sha256_file(small_corpus["dev"])
    assert "git_revision" in manifest and "created" in manifest


def test_artifacts_save_unfitted_model_is_an_error(tmp_path):
    with pytest.raises(NotFittedError):
        TfidfModel().save(tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_artifacts_save_refuses_to_overwrite_a_foreign_directory(tfidf_model, tmp_path):
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.txt").write_text("precious", encoding="utf-8")
    with pytest.raises(ArtifactError, match="not an asnclf model"):
        tfidf_model.save(foreign)
    assert (foreign / "chapter1.txt").read_text(encoding="utf-8") == "precious"


# ---------------------------------------------------------------------------- poisoned artifact
class _SystemPayload:
    """Unpickling this runs a shell command that creates a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


class _OpenPayload:
    """Unpickling this opens (creates) a file for writing."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


PAYLOADS = {"os.system": _SystemPayload, "open": _OpenPayload}


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_artifacts_poison_payload_is_live(tmp_path, payload):
    """Sanity check of the fixture: unpickling the payload does create the file."""
    marker = tmp_path / "pwned"
    result = pickle.loads(pickle.dumps(PAYLOADS[payload](marker)))
    if hasattr(result, "close"):
        result.close()
    assert marker.exists()


LOADERS = {
    "load_model": load_model,
    "TfidfModel.load": TfidfModel.load,
    "asnclf.load": lambda directory: api.load(directory),
    "read_manifest": read_manifest,
}


@pytest.mark.parametrize("loader", sorted(LOADERS))
@pytest.mark.parametrize("payload", sorted(PAYLOADS))
@pytest.mark.parametrize(
    "name",
    ["head.pkl", "model.bin", "pytorch_model.pt", "head.joblib", "state.pth", "rng.pickle", "sub/dir/classifier.PKL"],
)
@pytest.mark.parametrize("listed", [False, True], ids=["unlisted", "listed-in-manifest"])
def test_artifacts_poisoned_artifact_is_refused(tfidf_model_copy, tmp_path, loader, payload, name, listed):
    marker = tmp_path / "pwned"
    path = tfidf_model_copy / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(PAYLOADS[payload](marker)))
    if listed:
        _rehash(tfidf_model_copy)
    with pytest.raises(UnsafeArtifactError, match="refusing to load") as error:
        LOADERS[loader](tfidf_model_copy)
    assert path.suffix in str(error.value)
    assert not marker.exists()


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
@pytest.mark.parametrize("target", ["weights.safetensors", "vocabulary.json", "aggregator.json", MANIFEST])
def test_artifacts_pickle_disguised_as_safe_file_is_refused(tfidf_model_copy, tmp_path, payload, target):
    marker = tmp_path / "pwned"
    (tfidf_model_copy / target).write_bytes(pickle.dumps(PAYLOADS[payload](marker)))
    if target != MANIFEST:
        _rehash(tfidf_model_copy)
    with pytest.raises(ArtifactIntegrityError):
        load_model(tfidf_model_copy)
    assert not marker.exists()


# ---------------------------------------------------------------------------- corrupt artifact
def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 2)])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _garbage(path: Path) -> None:
    path.write_bytes(bytes(random.Random(0).randrange(256) for _ in range(4096)))


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _huge_header(path: Path) -> None:
    """A safetensors header that claims an absurd length."""
    path.write_bytes((2**62).to_bytes(8, "little") + b"{}")


DAMAGE = {
    "truncated": _truncate,
    "empty": _empty,
    "garbage": _garbage,
    "flipped-byte": _flip_byte,
    "huge-header": _huge_header,
}


@pytest.mark.parametrize(
    ("damage", "rehash"),
    # A flipped byte under an updated hash is a legitimate edit, not damage.
    [(d, r) for d in sorted(DAMAGE) for r in (False, True) if not (d == "flipped-byte" and r)],
    ids=lambda value: {False: "hash-mismatch", True: "hash-updated"}[value] if isinstance(value, bool) else value,
)
@pytest.mark.parametrize("target", ["weights.safetensors", "vocabulary.json", "aggregator.json"])
def test_artifacts_corrupt_file_is_own_error_fast(tfidf_model_copy, target, damage, rehash):
    """Every damage gives the library's own error within a second, whether or not the manifest
    was updated to match (hash-updated: the readers themselves must cope)."""
    DAMAGE[damage](tfidf_model_copy / target)
    if rehash:
        _rehash(tfidf_model_copy)
    started = time.perf_counter()
    with pytest.raises(ArtifactError) as error:
        load_model(tfidf_model_copy)
    assert time.perf_counter() - started < 1.0
    assert isinstance(error.value, ArtifactIntegrityError)
    if not rehash:
        assert "sha256" in str(error.value)


@pytest.mark.parametrize("damage", ["truncated", "empty", "garbage", "not-an-object", "no-files", "latin1"])
def test_artifacts_corrupt_manifest_is_own_error_fast(tfidf_model_copy, damage):
    path = tfidf_model_copy / MANIFEST
    if damage in DAMAGE:
        DAMAGE[damage](path)
    elif damage == "not-an-object":
        path.write_text("[1, 2, 3]", encoding="utf-8")
    elif damage == "no-files":
        _edit_manifest(tfidf_model_copy, files=_DELETE)
    else:
        path.write_bytes(path.read_bytes().replace(b'"kind"', b'"k\xe9nd"'))
    started = time.perf_counter()
    with pytest.raises(ArtifactIntegrityError):
        load_model(tfidf_model_copy)
    assert time.perf_counter() - started < 1.0


MANIFEST_EDITS = {
    "unknown-kind": {"kind": "xgboost"},
    "no-kind": {"kind": _DELETE},
    "other-kind": {"kind": "rules"},
    "version-string": {"format_version": "1"},
    "version-zero": {"format_version": 0},
    "no-version": {"format_version": _DELETE},
    "thresholds-short": {"thresholds": [0.5]},
    "thresholds-text": {"thresholds": "half"},
    "no-thresholds": {"thresholds": _DELETE},
    "labels-not-list": {"labels": {"names": "declaration"}},
    "labels-duplicate": {"labels": {"names": ["a", "a", "b", "c"]}},
    "labels-wrong-count": {"labels": {"names": ["a", "b"]}},
    "config-unknown-key": {"config": {"bogus": 1}},
    "config-bad-type": {"config": {"min_df": "two"}},
    "config-invalid": {"config": {"cv_folds": 1}},
    "config-changes-blocks": {"config": {"previous_weight": 0.0}},
    "config-not-object": {"config": [1, 2]},
    "files-not-object": {"files": ["vocabulary.json"]},
}


@pytest.mark.parametrize("edit", sorted(MANIFEST_EDITS))
def test_artifacts_malformed_manifest_field_is_own_error(tfidf_model_copy, edit):
    _edit_manifest(tfidf_model_copy, **MANIFEST_EDITS[edit])
    started = time.perf_counter()
    with pytest.raises(ArtifactIntegrityError):
        load_model(tfidf_model_copy)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "vocabulary",
    [{}, [], {"word": 3}, {"word": ["a"], "char": ["b"], "previous": ["c"]}, "text"],
    ids=["empty-object", "list", "not-lists", "wrong-lengths", "string"],
)
def test_artifacts_consistent_but_wrong_vocabulary_is_own_error(tfidf_model_copy, vocabulary):
    (tfidf_model_copy / "vocabulary.json").write_text(json.dumps(vocabulary), encoding="utf-8")
    _rehash(tfidf_model_copy)
    with pytest.raises(ArtifactIntegrityError):
        load_model(tfidf_model_copy)


@pytest.mark.parametrize("change", ["coef-shape", "missing-intercept", "missing-idf", "aggregator-shape"])
def test_artifacts_consistent_but_wrong_arrays_are_own_error(tfidf_model_copy, change):
    from safetensors.numpy import load_file, save_file

    weights = tfidf_model_copy / "weights.safetensors"
    arrays = dict(load_file(str(weights)))
    if change == "coef-shape":
        arrays["coef"] = arrays["coef"][:, :-1].copy()
    elif change == "missing-intercept":
        del arrays["intercept"]
    elif change == "missing-idf":
        del arrays["word_idf"]
    else:
        aggregator = json.loads((tfidf_model_copy / "aggregator.json").read_text(encoding="utf-8"))
        aggregator["coef"] = aggregator["coef"][:1]
        (tfidf_model_copy / "aggregator.json").write_text(json.dumps(aggregator), encoding="utf-8")
    save_file(arrays, str(weights))
    _rehash(tfidf_model_copy)
    with pytest.raises(ArtifactIntegrityError):
        load_model(tfidf_model_copy)


@pytest.mark.parametrize("problem", ["extra-file", "extra-file-in-subdir", "missing-file", "missing-weights"])
def test_artifacts_file_set_must_match_manifest(tfidf_model_copy, problem):
    if problem == "extra-file":
        (tfidf_model_copy / "notes.txt").write_text("hello", encoding="utf-8")
    elif problem == "extra-file-in-subdir":
        (tfidf_model_copy / "extra").mkdir()
        (tfidf_model_copy / "extra" / "weights.safetensors").write_bytes(b"x")
    elif problem == "missing-file":
        (tfidf_model_copy / "vocabulary.json").unlink()
    else:
        (tfidf_model_copy / "weights.safetensors").unlink()
    started = time.perf_counter()
    with pytest.raises(ArtifactIntegrityError, match=r"not in the manifest|missing"):
        load_model(tfidf_model_copy)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("where", ["no-directory", "empty-directory", "no-manifest", "a-file"])
def test_artifacts_missing_model_is_not_found(tfidf_model_copy, tmp_path, where):
    target = {
        "no-directory": tmp_path / "nowhere",
        "empty-directory": tmp_path / "empty",
        "no-manifest": tfidf_model_copy,
        "a-file": tmp_path / "file.json",
    }[where]
    if where == "empty-directory":
        target.mkdir()
    elif where == "no-manifest":
        (tfidf_model_copy / MANIFEST).unlink()
    elif where == "a-file":
        target.write_text("{}", encoding="utf-8")
    with pytest.raises(ModelNotFoundError):
        load_model(target)


# ---------------------------------------------------------------------------- format versions
@pytest.mark.parametrize("version", [FORMAT_VERSION + 1, 99])
def test_artifacts_newer_format_names_the_version(tfidf_model_copy, version):
    _edit_manifest(tfidf_model_copy, format_version=version, versions={"asnclf": "9.9.9"})
    for loader in (load_model, TfidfModel.load, read_manifest):
        with pytest.raises(ArtifactVersionError) as error:
            loader(tfidf_model_copy)
        message = str(error.value)
        assert f"format {version}" in message
        assert f"up to {FORMAT_VERSION}" in message and "upgrade" in message and "9.9.9" in message


def test_artifacts_every_format_version_has_a_fixture():
    for version in range(1, FORMAT_VERSION + 1):
        assert (FIXTURES / f"tfidf_v{version}" / MANIFEST).is_file(), f"no saved artifact of format {version}"
        assert (FIXTURES / f"tfidf_v{version}_expected.json").is_file()


@pytest.mark.parametrize("version", range(1, FORMAT_VERSION + 1))
def test_artifacts_old_format_keeps_loading(tmp_path, version):
    """A committed artifact of every format version loads and predicts the recorded numbers."""
    directory = Path(shutil.copytree(FIXTURES / f"tfidf_v{version}", tmp_path / "old"))
    expected = json.loads((FIXTURES / f"tfidf_v{version}_expected.json").read_text(encoding="utf-8"))
    assert read_manifest(directory)["format_version"] == version == expected["format_version"]
    model = load_model(directory)
    probes = expected["probes"]
    context = [Context(*c) for c in expected["probe_context"]]
    np.testing.assert_array_equal(model.thresholds_, expected["thresholds"])
    np.testing.assert_allclose(model.predict_proba(probes), expected["proba"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(
        model.predict_proba(probes, context=context), expected["proba_with_context"], rtol=0, atol=1e-6
    )
    np.testing.assert_array_equal(model.predict(probes), expected["predict"])
    # The fixture is not touched by loading.
    committed = FIXTURES / f"tfidf_v{version}"
    assert sorted(p.name for p in directory.iterdir()) == sorted(p.name for p in committed.iterdir())


# ---------------------------------------------------------------------------- crash-safe saving
def _stale(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.parent.glob(f".{directory.name}.*"))


def _run_in_child(work) -> int:
    """Fork; run ``work()`` in the child (which never returns into pytest); return the child pid."""
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            work()
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    return pid


def test_artifacts_kill_during_save_keeps_previous_model(tfidf_model, dev_sentences, tmp_path):
    """20 saves SIGKILLed at random moments: the directory always loads, with the same predictions."""
    target = tmp_path / "model"
    tfidf_model.save(target)
    texts = dev_sentences["texts"][:20]
    expected = tfidf_model.predict_proba(texts).tobytes()
    rng = random.Random(1234)
    started = time.perf_counter()
    save_once = time.perf_counter()
    tfidf_model.save(target)
    save_seconds = time.perf_counter() - save_once

    def save_forever() -> None:
        while True:
            tfidf_model.save(target)

    delays = []
    for _ in range(20):
        delay = rng.uniform(0.0, 3 * save_seconds + 0.01)
        delays.append(round(delay, 4))
        pid = _run_in_child(save_forever)
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status), f"the saving child ended on its own (status {status})"
        model = load_model(target)  # restores an interrupted swap when needed
        assert model.predict_proba(texts).tobytes() == expected, f"delays so far: {delays}"
    tfidf_model.save(target)
    assert _stale(target) == [], "stale temporaries left after a completed save"
    assert load_model(target).predict_proba(texts).tobytes() == expected
    assert time.perf_counter() - started < 60


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _crash_after_files_written() -> None:
    import asnclf.artifacts as artifacts

    artifacts._fsync_dir = lambda path: _kill_self()


def _crash_between_renames() -> None:
    import asnclf.artifacts as artifacts

    real_rename = os.rename

    def rename(source, destination):
        real_rename(source, destination)
        if ".old-" in str(destination):
            _kill_self()

    artifacts.os.rename = rename


def _crash_while_removing_old() -> None:
    import asnclf.artifacts as artifacts

    def rmtree(path, ignore_errors=False):
        if ".old-" in str(path):
            first = sorted(Path(path).iterdir())[0]
            first.unlink()
            _kill_self()
        shutil.rmtree(path, ignore_errors=ignore_errors)

    artifacts.shutil.rmtree = rmtree


CRASHES = {
    "after-files-written": _crash_after_files_written,
    "between-renames": _crash_between_renames,
    "while-removing-old": _crash_while_removing_old,
}


@pytest.mark.parametrize("crash", sorted(CRASHES))
def test_artifacts_crash_at_each_step_of_save(tfidf_model, fresh_model, dev_sentences, tmp_path, crash):
    """A crash at each step of the swap leaves a loadable model; the next save cleans up."""
    target = tmp_path / "model"
    tfidf_model.save(target)
    texts = dev_sentences["texts"][:10]
    old = tfidf_model.predict_proba(texts).tobytes()
    new = fresh_model.predict_proba(texts).tobytes()

    def crash_and_save() -> None:
        CRASHES[crash]()
        fresh_model.save(target)

    _, status = os.waitpid(_run_in_child(crash_and_save), 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert _stale(target), "the crash should have left a temporary behind"
    if crash == "between-renames":
        assert not target.exists()  # the interrupted swap: only .model.old-* holds the model
    loaded = load_model(target).predict_proba(texts).tobytes()
    assert loaded == (new if crash == "while-removing-old" else old)
    fresh_model.save(target)
    assert _stale(target) == []
    assert load_model(target).predict_proba(texts).tobytes() == new


@pytest.mark.parametrize("target_exists", [True, False])
def test_artifacts_stale_temporaries_cleaned_by_next_save(tfidf_model, tmp_path, target_exists):
    target = tmp_path / "model"
    if target_exists:
        tfidf_model.save(target)
    for name in (".model.tmp-0123456789ab", ".model.tmp-deadbeef0000"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "weights.safetensors").write_bytes(b"half written")
    if target_exists:
        (tmp_path / ".model.old-cafebabe0000").mkdir()
        (tmp_path / ".model.old-cafebabe0000" / "vocabulary.json").write_text("{}", encoding="utf-8")
    (tmp_path / ".other.tmp-0123456789ab").mkdir()  # another model's temporary is left alone
    tfidf_model.save(target)
    assert _stale(target) == []
    assert (tmp_path / ".other.tmp-0123456789ab").is_dir()
    load_model(target)


def test_artifacts_failed_write_leaves_no_temporary(tmp_path):
    def write(directory: Path) -> None:
        (directory / "weights.safetensors").write_bytes(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        save_directory(tmp_path / "model", write, {"kind": "tfidf"})
    assert list(tmp_path.iterdir()) == []


def test_artifacts_writer_cannot_smuggle_a_pickle(tmp_path):
    def write(directory: Path) -> None:
        (directory / "head.pkl").write_bytes(b"\x80\x04K\x01.")

    with pytest.raises(UnsafeArtifactError):
        save_directory(tmp_path / "model", write, {"kind": "tfidf"})
    assert list(tmp_path.iterdir()) == []
