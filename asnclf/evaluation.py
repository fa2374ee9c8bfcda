"""Evaluate a tagger on labelled data and write the report (JSON, Markdown, PNG).

:func:`evaluate` scores sentences always, and articles end to end (raw article text through
``tagger.tag_many``) when the data has articles. The report is a plain JSON-ready dict; every
output format is a renderer of that dict (:data:`RENDERERS`), and every chart a drawing
function on one matplotlib axes (:data:`FIGURES`), so a new format (HTML) or a new chart
(reliability diagram, confusion heatmap) is one more entry, not a rewrite.

Report layout (keys that outside tooling relies on are marked *)::

    {"schema_version", "labels", "multi_label",
     "sentence"*: LEVEL, "article"*: LEVEL + {"primary_accuracy"*, "primary_accuracy_ci95",
                                              "primary"} or null,
     "model"*: tagger.describe(), "data"*: {"sha256"*, "source", "articles"*, "sentences"*},
     "throughput": {"sentences_per_s", "articles_per_s", "sentence_seconds", "article_seconds"},
     "provenance": {versions, git_revision, created, n_resamples, seed, alpha, ...}}

    LEVEL = {"n", "macro_f1"*, "macro_f1_ci95", "micro_f1"*, "micro_f1_ci95", "macro_precision",
             "macro_recall", "micro_precision", "micro_recall", "subset_accuracy",
             "subset_accuracy_ci95", "hamming_loss", ["accuracy" for multi-class label sets],
             "ci_method", "per_label"*: {LABEL: {"precision"*, "recall"*, "f1"*, "support"*,
             "predicted", "ci95"* (of F1), "precision_ci95", "recall_ci95"}},
             "calibration": metrics.calibration_summary or null, "confusion": metrics.label_confusion}
"""

from __future__ import annotations

import io
import json
import os
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from asnclf import metrics
from asnclf.corpus import LabeledData
from asnclf.errors import InputError
from asnclf.labels import OTHER, LabelSet
from asnclf.provenance import provenance

SCHEMA_VERSION = 1
ALPHA = 0.05


class TagResult(Protocol):
    labels: list[str]
    primary: str
    scores: dict[str, float]


class Tagger(Protocol):
    """What :func:`evaluate` needs from a model: any model kind or the article tagger."""

    labels: LabelSet

    def predict_proba(self, texts: Sequence[str], *, context: Any = None) -> np.ndarray: ...

    def predict(self, texts: Sequence[str], *, context: Any = None) -> np.ndarray: ...

    def tag_many(self, texts: Sequence[str]) -> Sequence[TagResult]: ...

    def describe(self) -> dict[str, Any]: ...


# ---------------------------------------------------------------------------- evaluation
def evaluate(tagger: Tagger, data: LabeledData, *, n_resamples: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Score a tagger on labelled data.

    Args:
        tagger: object with ``labels`` (:class:`LabelSet`), ``predict_proba(texts, *,
            context=None)`` (``(n, k)`` probabilities in ``labels.names`` order),
            ``predict(texts, *, context=None)`` (``(n, k)`` 0/1), ``tag_many(texts)`` (results
            with ``.labels``, ``.primary``, ``.scores``) and ``describe()``. When it also has
            ``decide(probabilities)`` (every model kind does), sentence predictions come from
            the probabilities instead of a second scoring pass.
        data: labelled data from :func:`asnclf.corpus.read_labeled`; its per-sentence
            ``context`` (previous sentence and title), when present, is passed to the tagger.
        n_resamples: bootstrap resamples for the 95% intervals. Sentence intervals resample
            whole articles when the data has articles (cluster bootstrap), sentences otherwise.
        seed: seed of the bootstrap.

    Returns:
        The report: a JSON-serialisable dict laid out as in this module's docstring.

    Raises:
        InputError: the data is empty or inconsistent, or the tagger's output has the wrong
            shape. LabelError: gold or predicted labels outside the tagger's label set.
    """
    label_set = tagger.labels
    names = list(label_set.names)
    if not data.texts:
        raise InputError(f"{data.source}: no sentences to evaluate")
    y_true = label_set.encode(data.labels, source=data.source)

    # Sentences of articles are scored with their context (previous sentence, title), as tag_many does.
    context = {"context": data.context} if getattr(data, "context", None) else {}
    started = time.perf_counter()
    raw_probs = tagger.predict_proba(data.texts, **context)
    sentence_seconds = time.perf_counter() - started  # throughput: one scoring pass
    probs = _checked_matrix(raw_probs, len(data.texts), names, "predict_proba")
    decide: Callable[[np.ndarray], np.ndarray] | None = getattr(tagger, "decide", None)
    raw_pred = decide(probs) if callable(decide) else tagger.predict(data.texts, **context)
    y_pred = _checked_matrix(raw_pred, len(data.texts), names, "predict")

    bootstrap = {"n_resamples": n_resamples, "seed": seed}
    groups = _sentence_groups(data)
    sentence = _level_report(y_true, y_pred, probs, label_set, groups=groups, **bootstrap)
    sentence["ci_method"] = "cluster bootstrap over articles" if groups is not None else "bootstrap over sentences"

    article = None
    article_seconds = None
    if data.articles is not None:
        started = time.perf_counter()
        results = list(tagger.tag_many([a.text for a in data.articles]))
        article_seconds = time.perf_counter() - started
        article = _article_report(results, data, label_set, **bootstrap)

    return {
        "schema_version": SCHEMA_VERSION,
        "labels": names,
        "multi_label": label_set.multi_label,
        "sentence": sentence,
        "article": article,
        "model": tagger.describe(),
        "data": {
            "sha256": data.sha256,
            "source": data.source,
            "articles": 0 if data.articles is None else len(data.articles),
            "sentences": len(data.texts),
        },
        "throughput": {
            "sentences_per_s": _rate(len(data.texts), sentence_seconds),
            "articles_per_s": None if data.articles is None else _rate(len(data.articles), article_seconds),
            "sentence_seconds": sentence_seconds,
            "article_seconds": article_seconds,
        },
        "provenance": provenance(data_sha256=data.sha256, alpha=ALPHA, ci="percentile bootstrap", **bootstrap),
    }


def _rate(count: int, seconds: float | None) -> float | None:
    return count / seconds if seconds else None


def _checked_matrix(value: Any, n: int, names: list[str], method: str) -> np.ndarray:
    array = np.asarray(value)
    if array.shape != (n, len(names)):
        raise InputError(
            f"tagger.{method} returned shape {array.shape}; expected ({n}, {len(names)}): "
            f"one row per text, one column per label {names}"
        )
    return array


def _sentence_groups(data: LabeledData) -> list[int] | None:
    """The article index of every sentence, or None for flat sentence files."""
    if data.articles is None:
        return None
    groups = [i for i, article in enumerate(data.articles) for _ in article.units]
    if len(groups) != len(data.texts):
        raise InputError(f"{data.source}: the articles hold {len(groups)} sentences but the data has {len(data.texts)}")
    return groups


def _level_report(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    probs: np.ndarray,
    label_set: LabelSet,
    *,
    groups: Sequence[int] | None,
    n_resamples: int,
    seed: int,
) -> dict[str, Any]:
    """Scores, intervals, calibration and confusion of one level (sentence or article)."""
    names = list(label_set.names)
    scores = metrics.multilabel_scores(y_true, y_pred, names)

    def interval(metric: metrics.CountMetric) -> Any:
        return metrics.bootstrap_ci(
            y_true, y_pred, metric, groups=groups, n_resamples=n_resamples, seed=seed, alpha=ALPHA
        )

    per_label_ci = {
        m.name: interval(m) for m in (metrics.f1_per_label, metrics.precision_per_label, metrics.recall_per_label)
    }
    for j, name in enumerate(names):
        entry = scores["per_label"][name]
        entry["ci95"] = _pair(per_label_ci["f1"], j)
        entry["precision_ci95"] = _pair(per_label_ci["precision"], j)
        entry["recall_ci95"] = _pair(per_label_ci["recall"], j)
    report: dict[str, Any] = {"n": scores.pop("n")}
    for metric in (metrics.macro_f1, metrics.micro_f1, metrics.subset_accuracy):
        report[metric.name] = scores.pop(metric.name)
        report[f"{metric.name}_ci95"] = list(interval(metric))
    if not label_set.multi_label:
        report["accuracy"] = report["subset_accuracy"]
    report.update(scores)
    report["calibration"] = _calibration(y_true, probs, names)
    report["confusion"] = metrics.label_confusion(y_true, y_pred, names)
    return report


def _pair(interval: tuple[np.ndarray, np.ndarray], j: int) -> list[float]:
    return [float(interval[0][j]), float(interval[1][j])]


def _calibration(y_true: np.ndarray, probs: np.ndarray, names: list[str]) -> dict[str, Any] | None:
    """Calibration of the scores; None when they are not all probabilities (missing, NaN, > 1)."""
    try:
        return metrics.calibration_summary(y_true, probs, names)
    except InputError:
        return None


def _article_report(
    results: list[TagResult], data: LabeledData, label_set: LabelSet, *, n_resamples: int, seed: int
) -> dict[str, Any]:
    assert data.articles is not None
    names = list(label_set.names)
    if len(results) != len(data.articles):
        raise InputError(f"tagger.tag_many returned {len(results)} results for {len(data.articles)} articles")
    y_true = label_set.encode([a.labels for a in data.articles], field="article labels", source=data.source)
    y_pred = label_set.encode([r.labels for r in results], field="tag_many labels")
    probs = np.array([[float(r.scores.get(name, np.nan)) for name in names] for r in results])
    report = _level_report(y_true, y_pred, probs, label_set, groups=None, n_resamples=n_resamples, seed=seed)
    report["ci_method"] = "bootstrap over articles"

    classes = [*names, OTHER]
    gold_primary = [a.primary for a in data.articles]
    predicted_primary = [r.primary for r in results]
    primary = metrics.multiclass_scores(gold_primary, predicted_primary, classes)
    report["primary_accuracy"] = primary["accuracy"]
    report["primary_accuracy_ci95"] = list(
        metrics.bootstrap_ci(
            metrics.one_hot(gold_primary, classes),
            metrics.one_hot(predicted_primary, classes),
            metrics.subset_accuracy,
            n_resamples=n_resamples,
            seed=seed,
            alpha=ALPHA,
        )
    )
    report["primary"] = primary
    return report


# ---------------------------------------------------------------------------- markdown
def _num(value: Any, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ci(interval: Sequence[float] | None) -> str:
    return "-" if interval is None else f"[{interval[0]:.3f}, {interval[1]:.3f}]"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _per_label_table(level: dict[str, Any]) -> list[str]:
    rows = [
        [name, _num(s["precision"]), _num(s["recall"]), _num(s["f1"]), _ci(s["ci95"]), s["support"], s["predicted"]]
        for name, s in level["per_label"].items()
    ]
    rows.append(
        [
            "**macro**",
            _num(level["macro_precision"]),
            _num(level["macro_recall"]),
            _num(level["macro_f1"]),
            _ci(level["macro_f1_ci95"]),
            "",
            "",
        ]
    )
    rows.append(
        [
            "**micro**",
            _num(level["micro_precision"]),
            _num(level["micro_recall"]),
            _num(level["micro_f1"]),
            _ci(level["micro_f1_ci95"]),
            "",
            "",
        ]
    )
    return _table(["label", "precision", "recall", "F1", "F1 95% CI", "support", "predicted"], rows)


def to_markdown(report: dict[str, Any]) -> str:
    """A readable Markdown report of :func:`evaluate`'s result."""
    sentence, article = report["sentence"], report["article"]
    data, model, prov = report["data"], report["model"], report["provenance"]
    out = [f"# asnclf evaluation: {model.get('kind', 'model')} on `{_cell(data.get('source', ''))}`", ""]

    out += ["## Summary", ""]
    summary = [
        ["sentences", data["sentences"], ""],
        ["sentence macro F1", _num(sentence["macro_f1"]), _ci(sentence["macro_f1_ci95"])],
        ["sentence micro F1", _num(sentence["micro_f1"]), _ci(sentence["micro_f1_ci95"])],
        ["sentence exact match", _num(sentence["subset_accuracy"]), _ci(sentence["subset_accuracy_ci95"])],
        ["sentence Hamming loss", _num(sentence["hamming_loss"]), ""],
    ]
    if "accuracy" in sentence:
        summary.append(["sentence accuracy", _num(sentence["accuracy"]), _ci(sentence["subset_accuracy_ci95"])])
    if article is not None:
        summary += [
            ["articles", data["articles"], ""],
            ["article macro F1", _num(article["macro_f1"]), _ci(article["macro_f1_ci95"])],
            ["article micro F1", _num(article["micro_f1"]), _ci(article["micro_f1_ci95"])],
            ["article exact match", _num(article["subset_accuracy"]), _ci(article["subset_accuracy_ci95"])],
            ["primary-label accuracy", _num(article["primary_accuracy"]), _ci(article["primary_accuracy_ci95"])],
        ]
    out += _table(["metric", "value", "95% CI"], summary)
    out += [
        f"Intervals: percentile bootstrap, {prov.get('n_resamples')} resamples, seed {prov.get('seed')}; "
        f"sentences: {sentence['ci_method']}. A label with support 0 scores F1 0 and counts in the macro average.",
        "",
    ]

    out += ["## Sentence level", "", *_per_label_table(sentence)]
    if article is not None:
        out += ["## Article level (end to end on raw article text)", "", *_per_label_table(article)]
        primary = article["primary"]
        out += ["### Primary label: confusion matrix (rows gold, columns predicted)", ""]
        out += _table(
            ["gold \\ predicted", *primary["classes"]],
            [[c, *row] for c, row in zip(primary["classes"], primary["matrix"], strict=True)],
        )

    levels = [("sentence", sentence)] + ([("article", article)] if article is not None else [])
    n_bins = next((level["calibration"]["n_bins"] for _, level in levels if level["calibration"]), None)
    out += [f"## Calibration (expected calibration error, {n_bins} equal-width bins)", ""]
    calibration_rows = [
        [
            name,
            *[
                _num(level["calibration"]["per_label"][name]["ece"]) if level["calibration"] else "-"
                for _, level in levels
            ],
        ]
        for name in report["labels"]
    ]
    out += _table(["label", *[f"ECE ({title})" for title, _ in levels]], calibration_rows)

    out += [
        "## Top confusions",
        "",
        "A gold label the tagger missed, and the wrong label it predicted instead. Gold `none`: a "
        "spurious label where nothing was missed; predicted `none`: a missed label with nothing in its place.",
        "",
    ]
    for title, level in levels:
        top = level["confusion"]["top"]
        out += [f"{title.capitalize()} level:", ""]
        out += (
            _table(["gold", "predicted", "count"], [[c["gold"], c["predicted"], c["count"]] for c in top])
            if top
            else ["none", ""]
        )

    throughput = report["throughput"]
    out += ["## Throughput", ""]
    out += _table(
        ["unit", "per second"],
        [["sentences", _num(throughput["sentences_per_s"], 1)], ["articles", _num(throughput["articles_per_s"], 1)]],
    )

    out += ["## Model", "", "```json", json.dumps(model, indent=2, ensure_ascii=False, default=str), "```", ""]
    versions = ", ".join(f"{k} {v}" for k, v in prov.get("versions", {}).items())
    out += ["## Provenance", ""]
    out += _table(
        ["field", "value"],
        [
            ["data sha256", data["sha256"]],
            ["git revision", prov.get("git_revision") or "unknown"],
            ["created", prov.get("created", "")],
            ["bootstrap", f"{prov.get('n_resamples')} resamples, seed {prov.get('seed')}, alpha {prov.get('alpha')}"],
            ["versions", versions],
        ],
    )
    return "\n".join(out)


# ---------------------------------------------------------------------------- charts
def _draw_f1(report: dict[str, Any], ax: Any) -> None:
    """Per-label F1 (and macro F1) with 95% CI error bars, sentence and article side by side."""
    names = [*report["labels"], "macro"]
    levels = [("sentence", report["sentence"])]
    if report["article"] is not None:
        levels.append(("article", report["article"]))
    width = 0.8 / len(levels)
    x = np.arange(len(names))
    for i, (title, level) in enumerate(levels):
        f1 = [level["per_label"][n]["f1"] for n in report["labels"]] + [level["macro_f1"]]
        ci = [level["per_label"][n]["ci95"] for n in report["labels"]] + [level["macro_f1_ci95"]]
        errors = np.array([[max(v - lo, 0.0), max(hi - v, 0.0)] for v, (lo, hi) in zip(f1, ci, strict=True)]).T
        ax.bar(x + (i - (len(levels) - 1) / 2) * width, f1, width, yerr=errors, capsize=3, label=title)
    ax.set_xticks(x, names, rotation=20, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("F1 (95% CI)")
    ax.set_title(f"{report['model'].get('kind', 'model')}: F1 per label")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)


FIGURES: dict[str, Callable[[dict[str, Any], Any], None]] = {"f1": _draw_f1}
"""Chart name -> function drawing it from a report on one matplotlib axes."""


def render_png(report: dict[str, Any], figure: str = "f1") -> bytes:
    """One chart of :data:`FIGURES` as PNG bytes (matplotlib's Agg canvas, no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    FIGURES[figure](report, fig.add_subplot())
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def plot_report(report: dict[str, Any], path_png: str | Path) -> Path:
    """Write the per-label F1 chart (sentence vs article, CI error bars) as a PNG."""
    path = Path(path_png)
    _write_atomic(path, render_png(report))
    return path


# ---------------------------------------------------------------------------- files
def to_json(report: dict[str, Any]) -> str:
    """The report as strict JSON (no NaN)."""
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False)


RENDERERS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "report.json": lambda report: to_json(report).encode("utf-8"),
    "report.md": lambda report: to_markdown(report).encode("utf-8"),
    "report.png": render_png,
}
"""File name -> renderer; :func:`write_report` writes one file per entry."""


def _write_atomic(path: Path, content: bytes) -> None:
    """Write to a temporary sibling, fsync, then rename over ``path``."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_report(report: dict[str, Any], directory: str | Path) -> dict[str, Path]:
    """Write every :data:`RENDERERS` file (``report.json``, ``report.md``, ``report.png``).

    Each file is rendered in full before anything is written, then written atomically, so a
    failure never leaves a half-written file.

    Returns:
        File suffix (``"json"``, ``"md"``, ``"png"``) -> written path.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rendered = {name: render(report) for name, render in RENDERERS.items()}
    written = {}
    for name, content in rendered.items():
        path = directory / name
        _write_atomic(path, content)
        written[path.suffix.lstrip(".")] = path
    return written


__all__ = [
    "FIGURES",
    "RENDERERS",
    "Tagger",
    "evaluate",
    "plot_report",
    "render_png",
    "to_json",
    "to_markdown",
    "write_report",
]
