"""No unsafe loading anywhere in ``asnclf/``, and the test suite itself runs offline."""

from __future__ import annotations

import ast
import io
import os
import re
import socket
import sys
import tokenize
from pathlib import Path

import pytest

import asnclf
from asnclf.artifacts import FORBIDDEN_SUFFIXES

PACKAGE = Path(asnclf.__file__).resolve().parent
REPOSITORY = PACKAGE.parent

PICKLE_MODULES = {"pickle", "cPickle", "_pickle", "joblib", "cloudpickle", "dill", "shelve", "skops"}


def _code_without_strings(source: str) -> str:
    """The source with every string literal and comment blanked (docstrings may mention pickle)."""
    out = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.STRING, tokenize.COMMENT):
            out.append('""')
        elif token.type == getattr(tokenize, "FSTRING_MIDDLE", None):
            continue
        else:
            out.append(token.string)
    return " ".join(out)


def _is_true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def unsafe_loading(source: str) -> list[str]:
    """Every unsafe pattern in one Python source."""
    problems: list[str] = []
    tree = ast.parse(source)
    torch_names = {"torch"}
    torch_load_names: set[str] = set()
    evaluate_names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                if root in PICKLE_MODULES:
                    problems.append(f"line {node.lineno}: import {alias.name}")
                if root == "torch":
                    torch_names.add(alias.asname or "torch")
                if alias.name == "evaluate":
                    evaluate_names.add(alias.asname or "evaluate")
        elif isinstance(node, ast.ImportFrom) and node.module:
            root = node.module.split(".")[0]
            if root in PICKLE_MODULES:
                problems.append(f"line {node.lineno}: from {node.module} import ...")
            if node.module == "torch":
                torch_load_names |= {a.asname or a.name for a in node.names if a.name == "load"}
            if root == "evaluate" and any(a.name == "load" for a in node.names):
                problems.append(f"line {node.lineno}: from evaluate import load")
        elif isinstance(node, ast.Call):
            func = node.func
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            dotted = ast.unparse(func)
            is_torch_load = (
                isinstance(func, ast.Attribute)
                and func.attr == "load"
                and isinstance(func.value, ast.Name)
                and func.value.id in torch_names
            ) or (isinstance(func, ast.Name) and func.id in torch_load_names)
            if is_torch_load and not _is_true(keywords.get("weights_only")):
                problems.append(f"line {node.lineno}: {dotted}(...) without weights_only=True")
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "load"
                and isinstance(func.value, ast.Name)
                and func.value.id in evaluate_names
            ):
                problems.append(f"line {node.lineno}: {dotted}(...) loads metric code from the hub")
            if "trust_remote_code" in keywords and not (
                isinstance(keywords["trust_remote_code"], ast.Constant) and keywords["trust_remote_code"].value is False
            ):
                problems.append(f"line {node.lineno}: trust_remote_code is not literally False")
            if _is_true(keywords.get("allow_pickle")):
                problems.append(f"line {node.lineno}: allow_pickle=True")
            if (isinstance(func, ast.Attribute) and func.attr in ("import_module", "__import__")) or (
                isinstance(func, ast.Name) and func.id == "__import__"
            ):
                for arg in node.args[:1]:
                    if isinstance(arg, ast.Constant) and str(arg.value).split(".")[0] in PICKLE_MODULES:
                        problems.append(f"line {node.lineno}: dynamic import of {arg.value}")
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "trust_remote_code" and _is_true(value):
                    problems.append(f"line {node.lineno}: {{'trust_remote_code': True}}")
    code = _code_without_strings(source)
    for pattern, what in [
        (r"\btrust_remote_code\s*=\s*True\b", "trust_remote_code=True"),
        (r"\bevaluate\s*\.\s*load\s*\(", "evaluate.load("),
        (r"\b(?:joblib|cloudpickle|dill)\b", "a pickle-family library"),
    ]:
        if re.search(pattern, code):
            problems.append(what)
    return problems


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_safety_sources_found():
    names = {p.relative_to(PACKAGE).as_posix() for p in _sources()}
    assert {"artifacts.py", "models/base.py", "models/tfidf.py", "cli.py"} <= names


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_safety_no_unsafe_loading(path):
    assert unsafe_loading(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "snippet",
    [
        "import pickle",
        "import pickle as p",
        "from pickle import loads",
        "import joblib",
        "import cloudpickle",
        "import dill",
        "from joblib import load",
        "import _pickle",
        "import torch\ntorch.load('x')",
        "import torch\ntorch.load('x', weights_only=False)",
        "import torch as T\nT.load(path, map_location='cpu')",
        "from torch import load\nload('x')",
        "m = AutoModel.from_pretrained('x', trust_remote_code=True)",
        "m = AutoModel.from_pretrained('x', trust_remote_code=flag)",
        "kwargs = {'trust_remote_code': True}",
        "import evaluate\nf1 = evaluate.load('f1')",
        "from evaluate import load",
        "import numpy as np\nnp.load('a.npy', allow_pickle=True)",
        "import importlib\nimportlib.import_module('pickle')",
        "x = joblib.load(path)",
    ],
)
def test_safety_checker_catches_unsafe_patterns(snippet):
    """The checker itself works: every unsafe pattern is found."""
    assert unsafe_loading(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        '"""No pickle, joblib or dill here; never torch.load."""',
        "SUFFIXES = ('.pkl', '.joblib', '.dill')",
        "import torch\nstate = torch.load(path, weights_only=True)",
        "m = AutoModel.from_pretrained('x', trust_remote_code=False)",
        "from asnclf.evaluation import evaluate\nreport = evaluate(tagger, data)",
    ],
)
def test_safety_checker_allows_safe_patterns(snippet):
    assert unsafe_loading(snippet) == []


def test_safety_loading_refuses_every_pickle_suffix():
    assert {".pkl", ".pickle", ".joblib", ".bin", ".pt", ".pth", ".ckpt", ".dill"} <= set(FORBIDDEN_SUFFIXES)


def test_safety_no_pickle_family_files_shipped():
    roots = [PACKAGE, REPOSITORY / "models", Path(__file__).parent / "fixtures"]
    found = [
        str(p)
        for root in roots
        if root.is_dir()
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in FORBIDDEN_SUFFIXES
    ]
    assert found == []


def test_safety_network_is_blocked_in_tests(blocked_connections):
    already = len(blocked_connections)
    for address in [("127.0.0.1", 9), ("10.255.255.1", 443)]:
        with pytest.raises(ConnectionRefusedError, match="network access blocked"):
            socket.create_connection(address, timeout=1)
        with (
            socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
            pytest.raises(ConnectionRefusedError, match="network access blocked"),
        ):
            sock.connect(address)
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        assert os.environ.get(variable) == "1"
    assert len(blocked_connections) == already + 4
    del blocked_connections[already:]  # deliberate attempts: not worth listing at the end of the run


def test_safety_import_is_light():
    """``import asnclf`` pulls in neither torch nor transformers nor scikit-learn."""
    import subprocess

    code = (
        "import sys, asnclf; heavy = [m for m in ('torch', 'transformers', 'sklearn') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert completed.stdout.strip() == ""
