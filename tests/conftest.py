"""Shared fixtures: the network is blocked for the whole suite, and one small TF-IDF model is
trained once per session on a slice of the bundled corpus (tests that change it get a copy)."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

# Set before any test module can import transformers / huggingface_hub / datasets.
for _variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ[_variable] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

FIXTURES = Path(__file__).parent / "fixtures"

SMALL_CONFIG = {
    "cv_folds": 2,
    "char_ngrams": [2, 4],
    "max_char_features": 20_000,
    "max_word_features": 10_000,
}
"""Config of the session model: the default TF-IDF, smaller and faster."""

TRAIN_ARTICLES = 60
DEV_ARTICLES = 15

BLOCKED_CONNECTIONS: list[str] = []


class NetworkBlockedError(ConnectionRefusedError):
    """Raised by every outgoing internet connection during the test session."""


@pytest.fixture(scope="session", autouse=True)
def block_network():
    """Refuse every internet connection (local Unix sockets still work): the suite is offline.

    The error is an ``OSError`` so that libraries take their ordinary offline path; attempts
    are listed at the end of the run.
    """
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def refuse(address: object) -> None:
        BLOCKED_CONNECTIONS.append(repr(address))
        raise NetworkBlockedError(f"network access blocked in tests (tried {address!r})")

    def connect(self: socket.socket, address: object) -> None:
        if self.family == socket.AF_UNIX:
            return original_connect(self, address)
        refuse(address)

    def connect_ex(self: socket.socket, address: object) -> int:
        if self.family == socket.AF_UNIX:
            return original_connect_ex(self, address)
        refuse(address)
        return 1  # unreachable

    def create_connection(address: object, *args: object, **kwargs: object) -> socket.socket:
        refuse(address)
        raise AssertionError("unreachable")

    patcher = pytest.MonkeyPatch()
    patcher.setattr(socket.socket, "connect", connect)
    patcher.setattr(socket.socket, "connect_ex", connect_ex)
    patcher.setattr(socket, "create_connection", create_connection)
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        patcher.setenv(variable, "1")
    yield
    patcher.undo()


@pytest.fixture
def blocked_connections() -> list[str]:
    """Addresses refused so far (a test that connects on purpose may remove its own entries)."""
    return BLOCKED_CONNECTIONS


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if BLOCKED_CONNECTIONS:
        terminalreporter.write_sep("-", "network connections blocked during the tests")
        for address in sorted(set(BLOCKED_CONNECTIONS)):
            terminalreporter.write_line(address)


# ---------------------------------------------------------------------------- data slices
def _write_slice(split: str, n: int, path: Path) -> Path:
    from asnclf.corpus import split_path

    lines = [line for line in split_path(split).read_text(encoding="utf-8").splitlines() if line.strip()]
    path.write_text("\n".join(lines[:n]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> dict[str, Path]:
    """Corpus-format JSONL slices: ``train`` (60 articles), ``dev`` (15) and ``tiny`` (6)."""
    directory = tmp_path_factory.mktemp("corpus")
    return {
        "train": _write_slice("train", TRAIN_ARTICLES, directory / "train_small.jsonl"),
        "dev": _write_slice("dev", DEV_ARTICLES, directory / "dev_small.jsonl"),
        "tiny": _write_slice("train", 6, directory / "tiny.jsonl"),
    }


# ---------------------------------------------------------------------------- the session model
@pytest.fixture(scope="session")
def tfidf_model_dir(tmp_path_factory, small_corpus) -> Path:
    """A fitted TF-IDF model (sentence thresholds and a tuned article rule), saved once.

    Read-only: a test that changes the directory uses ``tfidf_model_copy``.
    """
    from asnclf.training import train

    directory = tmp_path_factory.mktemp("models") / "tfidf_small"
    train("tfidf", SMALL_CONFIG, train_data=small_corpus["train"], dev_data=small_corpus["dev"], output=directory)
    return directory


@pytest.fixture(scope="session")
def tfidf_model(tfidf_model_dir):
    """The session model, loaded (do not mutate)."""
    from asnclf.models import load_model

    return load_model(tfidf_model_dir)


@pytest.fixture(scope="session")
def tagger(tfidf_model):
    """A tagger over the session model."""
    from asnclf.tagger import Tagger

    return Tagger(tfidf_model)


@pytest.fixture
def tfidf_model_copy(tfidf_model_dir, tmp_path) -> Path:
    """A private copy of the session model's directory."""
    return Path(shutil.copytree(tfidf_model_dir, tmp_path / "model"))


@pytest.fixture(scope="session")
def dev_sentences() -> dict[str, list]:
    """Sentences (with contexts and labels) of the first 10 dev articles."""
    from asnclf.corpus import load_articles, sentence_rows
    from asnclf.models.base import Context

    rows = sentence_rows(load_articles("dev")[:10])
    return {
        "texts": [r["text"] for r in rows],
        "labels": [r["labels"] for r in rows],
        "context": [Context(r["previous"], r["title"]) for r in rows],
    }
