"""The visual report: charts for every kind of label set, the self-contained HTML page, and (when
Chromium is installed) that it shows in a headless browser."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from asnclf import evaluation, html_report
from asnclf.corpus import LabeledData
from asnclf.labels import ASN_LABELS, LabelSet

ROOT = Path(__file__).resolve().parent.parent
SENTIMENT = LabelSet(("positive", "neutral", "negative"), multi_label=False)
GROUPED = LabelSet.from_groups(
    {"fuel": ["negative", "neutral", "positive"], "price": ["negative", "neutral", "positive"]}
)


class ScoreTagger:
    """Returns fixed probabilities; decides like the model kinds (threshold, arg-max, arg-max per group)."""

    def __init__(self, labels: LabelSet, probs: np.ndarray, thresholds: Sequence[float] | None = None) -> None:
        self.labels, self.probs = labels, probs
        self.thresholds = np.full(len(labels), 0.5) if thresholds is None else np.asarray(thresholds)

    def predict_proba(self, texts: Sequence[str], *, context: Any = None) -> np.ndarray:
        return self.probs[: len(texts)]

    def decide(self, probs: np.ndarray) -> np.ndarray:
        choices = self.labels.choices()
        if not choices:
            return (probs >= self.thresholds).astype(np.int8)
        out = np.zeros(probs.shape, dtype=np.int8)
        for columns in choices:
            out[np.arange(len(probs)), columns[probs[:, columns].argmax(axis=1)]] = 1
        return out

    def predict(self, texts: Sequence[str], *, context: Any = None) -> np.ndarray:
        return self.decide(self.predict_proba(texts))

    def tag_many(self, texts: Sequence[str]) -> list[Any]:
        raise AssertionError("flat data has no articles")

    def describe(self) -> dict[str, Any]:
        return {"kind": "fixed <b>scores</b>", "thresholds": self.thresholds.tolist()}


def make_report(labels: LabelSet, n: int = 80, seed: int = 0, scale: float = 1.0) -> dict[str, Any]:
    """An evaluation report of a noisy tagger (``scale`` > 1 makes the scores non-probabilities)."""
    rng = np.random.default_rng(seed)
    k = len(labels)
    if labels.multi_label and not labels.groups:
        gold = rng.random((n, k)) < 0.3
    else:
        gold = np.zeros((n, k), dtype=bool)
        for columns in labels.choices():
            gold[np.arange(n), rng.choice(columns, n)] = True
    probs = np.clip(gold * 0.6 + rng.random((n, k)) * 0.5, 0, 1) * scale
    names = labels.names
    data = LabeledData(
        [f"kalimat {i}" for i in range(n)],
        [[names[j] for j in np.flatnonzero(row)] for row in gold],
        None,
        "0" * 64,
        "memory",
    )
    return evaluation.evaluate(ScoreTagger(labels, probs), data, n_resamples=50)


@pytest.fixture(scope="module", params=["multi-label", "multi-class", "grouped"])
def report(request) -> dict[str, Any]:
    return make_report({"multi-label": ASN_LABELS, "multi-class": SENTIMENT, "grouped": GROUPED}[request.param])


@pytest.mark.parametrize("name", ["f1", "reliability", "confusion", "thresholds"])
def test_html_report_figures_render_for_every_label_set(report: dict[str, Any], name: str) -> None:
    png = evaluation.render_png(report, name)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def test_html_report_figures_without_probabilities() -> None:
    report = make_report(SENTIMENT, scale=3.0)
    assert report["sentence"]["calibration"] is None and report["sentence"]["threshold_curves"] is None
    for name in ("reliability", "thresholds", "confusion"):
        assert evaluation.render_png(report, name).startswith(b"\x89PNG")


def test_html_report_report_sections(report: dict[str, Any]) -> None:
    curves = report["sentence"]["threshold_curves"]
    assert set(curves["per_label"]) == set(report["labels"]) and len(curves["grid"]) == 19
    if report["labels"] != list(ASN_LABELS.names):
        assert 0 <= report["sentence"]["indonlu"]["f1"] <= 1
    else:
        assert "indonlu" not in report["sentence"]


def test_html_report_page_is_self_contained_and_escaped(report: dict[str, Any]) -> None:
    page = html_report.render_evaluation(report)
    assert page.startswith("<!DOCTYPE html>") and f'<main id="{html_report.REPORT_ID}">' in page
    assert re.search(r"<title>asnclf evaluation: fixed &lt;b&gt;scores&lt;/b&gt; on memory</title>", page)
    assert "<b>scores</b>" not in page  # model text is escaped
    assert "<script" not in page and not re.search(r"""(src|href)=["'](?!data:|#)""", page)
    assert page.count('src="data:image/png;base64,') == 4


def test_html_report_table_escapes_and_aligns() -> None:
    table = html_report.table(["a", "<b>"], [["x&y", 1.5], [html_report.Raw("<i>ok</i>"), None]], numeric=(1,))
    assert "<th>&lt;b&gt;</th>" in table and "<td>x&amp;y</td>" in table and '<td class="num">1.5</td>' in table
    assert "<td><i>ok</i></td>" in table and '<td class="num">-</td>' in table


def test_html_report_write_report_visual(tmp_path: Path) -> None:
    report = make_report(SENTIMENT)
    plain = evaluation.write_report(report, tmp_path / "plain")
    assert sorted(p.name for p in (tmp_path / "plain").iterdir()) == ["report.json", "report.md", "report.png"]
    visual = evaluation.write_report(report, tmp_path / "visual", visual=True)
    assert set(visual) == {*plain, "html", "reliability", "confusion", "thresholds"}
    assert visual["html"].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert json.loads(visual["json"].read_text(encoding="utf-8"))["sentence"]["indonlu"]["classes"] == list(
        SENTIMENT.names
    )


# ---------------------------------------------------------------------------- the browser check
def _render_script():
    spec = importlib.util.spec_from_file_location("render_report", ROOT / "benchmarks" / "render_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_html_report_static_checks_of_the_render_script() -> None:
    script = _render_script()
    page = html_report.page("t", [html_report.figure(evaluation.render_png(make_report(SENTIMENT)), "c")])
    checks = script.static_checks(page)
    assert checks == {
        "title": "t",
        "has_report_element": True,
        "images": 1,
        "images_inline": True,
        "external_references": [],
        "scripts": 0,
    }
    leaky = script.static_checks('<img src="https://example.org/x.png"><script src="a.js"></script>')
    assert leaky["external_references"] == ["https://example.org/x.png", "a.js"] and leaky["scripts"] == 1


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")
def test_html_report_shows_in_headless_chromium(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(html_report.render_evaluation(make_report(GROUPED)), encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "render_report.py"),
            str(path),
            "--screenshot",
            str(tmp_path / "shot.png"),
            "--width",
            "1000",
            "--height",
            "900",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(done.stdout)
    assert done.returncode == 0 and result["ok"], result
    assert result["live"]["images"] == 4 and result["screenshot_size"] == [1000, 900]
