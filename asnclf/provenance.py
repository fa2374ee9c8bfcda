"""What produced an artifact or a result: library versions, git revision, machine."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

_PACKAGES = (
    "asnclf",
    "numpy",
    "scikit-learn",
    "safetensors",
    "torch",
    "transformers",
    "tokenizers",
    "peft",
    "datasets",
)


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries that shape a model's numbers."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        if name in ("torch", "transformers", "peft") and name not in sys.modules:
            continue  # not used by this model: do not import heavy packages just to stamp them
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def git_revision(start: Path | None = None) -> str | None:
    """The git commit of the checkout holding asnclf (with ``-dirty``), or None outside one."""
    where = start or Path(__file__).resolve().parent.parent
    try:
        revision = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{revision}-dirty" if dirty else revision


def machine() -> dict[str, Any]:
    """A short description of the machine a measurement ran on."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    try:
        info["cpus_usable"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024**2, 1)
                break
    except OSError:
        pass
    return info


def provenance(**extra: Any) -> dict[str, Any]:
    """Versions, git revision and time, plus whatever the caller adds (seed, data hash ...)."""
    return {
        "versions": library_versions(),
        "git_revision": git_revision(),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        **extra,
    }
