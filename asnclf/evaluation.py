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

    The sentence level also has "threshold_curves" (metrics.threshold_curves, or null when the
    scores are not probabilities) and, for multi-class and grouped label sets, "indonlu":
    metrics.indonlu_scores + {"f1_ci95", "matrix"} (IndoNLU's own metric definition).

:func:`score` runs the tagger once and returns the :class:`Scored` predictions that
:func:`evaluate` and :func:`error_rows` (misclassified sentences for annotators) share.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np

from asnclf import metrics
from asnclf.artifacts import write_atomic
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
class Scored(NamedTuple):
    """One scoring pass of a tagger over labelled sentences.

    Attributes:
        y_true: ``(n, k)`` 0/1 gold matrix in label order.
        probs: ``(n, k)`` scores from ``predict_proba``.
        y_pred: ``(n, k)`` 0/1 decisions.
        seconds: wall time of the ``predict_proba`` call.
    """

    y_true: np.ndarray
    probs: np.ndarray
    y_pred: np.ndarray
    seconds: float


def score(tagger: Tagger, data: LabeledData) -> Scored:
    """Score every sentence of ``data`` once (with its context when the data has any).

    Sentence predictions come from ``tagger.decide(probabilities)`` when the tagger has it
    (every model kind does), otherwise from a second pass of ``tagger.predict``.

    Raises:
        InputError: the data is empty or the tagger's output has the wrong shape.
        LabelError: gold labels outside the tagger's label set.
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
    seconds = time.perf_counter() - started  # throughput: one scoring pass
    probs = _checked_matrix(raw_probs, len(data.texts), names, "predict_proba")
    decide: Callable[[np.ndarray], np.ndarray] | None = getattr(tagger, "decide", None)
    raw_pred = decide(probs) if callable(decide) else tagger.predict(data.texts, **context)
    y_pred = _checked_matrix(raw_pred, len(data.texts), names, "predict")
    return Scored(y_true, probs, y_pred, seconds)


def evaluate(
    tagger: Tagger, data: LabeledData, *, n_resamples: int = 1000, seed: int = 0, scored: Scored | None = None
) -> dict[str, Any]:
    """Score a tagger on labelled data.

    Args:
        tagger: object with ``labels`` (:class:`LabelSet`), ``predict_proba(texts, *,
            context=None)`` (``(n, k)`` probabilities in ``labels.names`` order),
            ``predict(texts, *, context=None)`` (``(n, k)`` 0/1), ``tag_many(texts)`` (results
            with ``.labels``, ``.primary``, ``.scores``; only used when the data has articles)
            and ``describe()``. When it also has ``decide(probabilities)`` (every model kind
            does), sentence predictions come from the probabilities instead of a second
            scoring pass.
        data: labelled data from :func:`asnclf.corpus.read_labeled`; its per-sentence
            ``context`` (previous sentence and title), when present, is passed to the tagger.
        n_resamples: bootstrap resamples for the 95% intervals. Sentence intervals resample
            whole articles when the data has articles (cluster bootstrap), sentences otherwise.
        seed: seed of the bootstrap.
        scored: the result of :func:`score` for this tagger and data, to reuse instead of
            scoring again.

    Returns:
        The report: a JSON-serialisable dict laid out as in this module's docstring.

    Raises:
        InputError: the data is empty or inconsistent, or the tagger's output has the wrong
            shape. LabelError: gold or predicted labels outside the tagger's label set.
    """
    label_set = tagger.labels
    names = list(label_set.names)
    if scored is None:
        scored = score(tagger, data)
    elif scored.y_true.shape != (len(data.texts), len(names)):
        raise InputError(f"scored predictions of shape {scored.y_true.shape} do not fit {len(data.texts)} sentences")
    y_true, probs, y_pred = scored.y_true, scored.probs, scored.y_pred
    sentence_seconds = scored.seconds

    bootstrap = {"n_resamples": n_resamples, "seed": seed}
    groups = _sentence_groups(data)
    sentence = _level_report(y_true, y_pred, probs, label_set, groups=groups, **bootstrap)
    sentence["ci_method"] = "cluster bootstrap over articles" if groups is not None else "bootstrap over sentences"
    sentence["threshold_curves"] = _threshold_curves(y_true, probs, label_set)
    if label_set.choices():
        sentence["indonlu"] = _indonlu_report(y_true, y_pred, label_set, groups=groups, **bootstrap)

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


def _threshold_curves(y_true: np.ndarray, probs: np.ndarray, label_set: LabelSet) -> dict[str, Any] | None:
    """Threshold curves per label; for a grouped set also one per class, pooled over groups."""
    pool: dict[str, list[int]] = {}
    if label_set.groups:
        for j, name in enumerate(label_set.names):
            pool.setdefault(label_set.value_of(name), []).append(j)
    try:
        return metrics.threshold_curves(y_true, probs, label_set, pool=pool or None)
    except InputError:
        return None


def _indonlu_report(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    label_set: LabelSet,
    *,
    groups: Sequence[int] | None,
    n_resamples: int,
    seed: int,
) -> dict[str, Any]:
    """IndoNLU's scores, a 95% interval of its F1, and the pooled class confusion matrix."""
    report = metrics.indonlu_scores(y_true, y_pred, label_set)
    report["f1_ci95"] = list(
        metrics.bootstrap_ci(
            y_true,
            y_pred,
            metrics.indonlu_f1(label_set),
            groups=groups,
            n_resamples=n_resamples,
            seed=seed,
            alpha=ALPHA,
        )
    )
    classes = report["classes"]
    matrix = np.zeros((len(classes), len(classes) + 1), dtype=np.int64)  # last column: no prediction
    for columns in label_set.choices():
        gold = np.array([classes.index(label_set.value_of(label_set.names[c])) for c in columns])
        has_gold = y_true[:, columns].any(axis=1)
        gold_class = gold[y_true[:, columns].argmax(axis=1)]
        predicted = y_pred[:, columns].any(axis=1)
        predicted_class = np.where(predicted, gold[y_pred[:, columns].argmax(axis=1)], len(classes))
        np.add.at(matrix, (gold_class[has_gold], predicted_class[has_gold]), 1)
    report["matrix"] = matrix.tolist()
    report["definition"] = (
        "macro-F1 over the classes present in gold or prediction, every (item, choice) pair counted once "
        "(IndoNLU utils/metrics.py: document_sentiment_metrics_fn, emotion_detection_metrics_fn, absa_metrics_fn)"
    )
    return report


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
    if sentence.get("indonlu"):
        indonlu = sentence["indonlu"]
        summary.append(
            [
                "IndoNLU F1 (macro over " + "/".join(indonlu["classes"]) + ")",
                _num(indonlu["f1"]),
                _ci(indonlu["f1_ci95"]),
            ]
        )
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


def _draw_reliability(report: dict[str, Any], ax: Any) -> None:
    """Reliability diagram of the sentence scores: observed frequency against mean score per bin.

    The bold line pools every label (bins weighted by their items); thin lines show each label
    when there are at most eight.
    """
    calibration = report["sentence"].get("calibration")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect calibration")
    if not calibration:
        ax.text(0.5, 0.5, "scores are not probabilities", ha="center", va="center", transform=ax.transAxes)
    else:
        per_label = calibration["per_label"]
        n_bins = calibration["n_bins"]
        count = np.zeros(n_bins)
        prob_sum = np.zeros(n_bins)
        positive_sum = np.zeros(n_bins)
        for name, entry in per_label.items():
            c = np.asarray(entry["count"], dtype=float)
            mean_prob = np.array([np.nan if v is None else v for v in entry["mean_prob"]])
            frac = np.array([np.nan if v is None else v for v in entry["frac_positive"]])
            count += c
            prob_sum += np.nan_to_num(mean_prob) * c
            positive_sum += np.nan_to_num(frac) * c
            if len(per_label) <= 8:
                keep = c > 0
                ax.plot(
                    mean_prob[keep],
                    frac[keep],
                    marker=".",
                    linewidth=1,
                    alpha=0.7,
                    label=f"{name} (ECE {entry['ece']:.3f})",
                )
        keep = count > 0
        ax.plot(
            prob_sum[keep] / count[keep],
            positive_sum[keep] / count[keep],
            marker="o",
            color="black",
            linewidth=2.2,
            label=f"all labels (mean ECE {calibration['mean_ece']:.3f})",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("mean predicted probability in bin")
    ax.set_ylabel("observed frequency of the label")
    ax.set_title(f"{report['model'].get('kind', 'model')}: reliability diagram (sentences)")
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)


def _confusion_view(report: dict[str, Any]) -> tuple[list[str], list[str], np.ndarray, str]:
    """Rows, columns, counts and title of the most telling confusion matrix of a report."""
    sentence = report["sentence"]
    indonlu = sentence.get("indonlu")
    if indonlu and len(report["labels"]) > len(indonlu["classes"]):
        matrix = np.asarray(indonlu["matrix"])
        columns = list(indonlu["classes"])
        if matrix[:, -1].any():
            columns.append("none")
        else:
            matrix = matrix[:, :-1]
        return list(indonlu["classes"]), columns, matrix, "gold vs predicted class, pooled over groups"
    confusion = sentence["confusion"]
    matrix = np.asarray(confusion["errors"])
    names = list(confusion["labels"])
    keep_row = matrix.sum(axis=1) > 0
    keep_col = matrix.sum(axis=0) > 0
    if not report.get("multi_label", True):  # multi-class: the "none" row/column only when used
        matrix, names_r, names_c = (
            matrix[keep_row][:, keep_col],
            [n for n, k in zip(names, keep_row) if k],
            [n for n, k in zip(names, keep_col) if k],
        )
        return names_r, names_c, matrix, "gold vs predicted label"
    return names, names, matrix, "missed gold label vs wrong label predicted instead (diagonal: correct)"


def _draw_confusion(report: dict[str, Any], ax: Any) -> None:
    """Heatmap of label confusion on sentences: rows gold, columns predicted, counts in cells."""
    rows, columns, matrix, subtitle = _confusion_view(report)
    totals = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, totals, out=np.zeros(matrix.shape), where=totals > 0)
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the row")
    ax.set_xticks(range(len(columns)), columns, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    if matrix.size <= 400:
        for i in range(matrix.shape[0]):
            for j in range(matrix.shape[1]):
                ax.text(
                    j,
                    i,
                    str(int(matrix[i, j])),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if shares[i, j] > 0.6 else "black",
                )
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(f"{report['model'].get('kind', 'model')}: confusion ({subtitle})", fontsize=10)


def _draw_thresholds(report: dict[str, Any], ax: Any) -> None:
    """Per-label F1 as the decision threshold moves, with the model's tuned threshold marked."""
    curves = report["sentence"].get("threshold_curves")
    if not curves:
        ax.text(0.5, 0.5, "scores are not probabilities", ha="center", va="center", transform=ax.transAxes)
        return
    grid = curves["grid"]
    thresholds = report["model"].get("thresholds") if report.get("multi_label", True) else None
    per_label = curves["per_label"]
    pooled = curves.get("pooled")
    for j, (name, curve) in enumerate(per_label.items()):
        if pooled:  # many labels: thin grey per label, colour for the pooled classes below
            ax.plot(
                grid, curve["f1"], linewidth=0.7, color="grey", alpha=0.45, label="single labels" if j == 0 else None
            )
            continue
        (line,) = ax.plot(grid, curve["f1"], linewidth=1.2, label=name if len(per_label) <= 12 else None)
        if thresholds is not None and j < len(thresholds) and "indonlu" not in report["sentence"]:
            t = thresholds[j]
            ax.plot([t], [np.interp(t, grid, curve["f1"])], marker="o", color=line.get_color())
    for name, curve in (pooled or {}).items():
        ax.plot(grid, curve["f1"], linewidth=2.2, label=f"{name} (pooled over groups)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("threshold on the label's probability")
    ax.set_ylabel("F1 (sentences)")
    rule = (
        "dots: tuned thresholds"
        if thresholds is not None and "indonlu" not in report["sentence"]
        else "decisions use the arg-max"
    )
    ax.set_title(f"{report['model'].get('kind', 'model')}: per-label threshold curves ({rule})", fontsize=10)
    if len(per_label) <= 12 or pooled:
        ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)


FIGURES: dict[str, Callable[[dict[str, Any], Any], None]] = {
    "f1": _draw_f1,
    "reliability": _draw_reliability,
    "confusion": _draw_confusion,
    "thresholds": _draw_thresholds,
}
"""Chart name -> function drawing it from a report on one matplotlib axes."""


def render_png(report: dict[str, Any], figure: str = "f1", *, dpi: int = 100) -> bytes:
    """One chart of :data:`FIGURES` as PNG bytes (matplotlib's Agg canvas, no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if figure not in FIGURES:
        raise InputError(f"unknown figure {figure!r}; known figures are {sorted(FIGURES)}")
    fig = Figure(figsize=(8, 4.5), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    FIGURES[figure](report, fig.add_subplot())
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def plot_report(report: dict[str, Any], path_png: str | Path) -> Path:
    """Write the per-label F1 chart (sentence vs article, CI error bars) as a PNG."""
    path = Path(path_png)
    write_atomic(path, render_png(report))
    return path


# ---------------------------------------------------------------------------- error analysis
ERROR_KINDS = ("missed", "spurious")
"""``missed``: a gold label the tagger did not give (false negative); ``spurious``: a label it
gave that is not gold (false positive). A wrong class of a multi-class or grouped task is both:
missed under the gold class, spurious under the predicted one."""

ERROR_FIELDS = (
    "label",
    "kind",
    "item",
    "article_id",
    "score",
    "decision",
    "margin",
    "gold",
    "predicted",
    "instead",
    "text",
    "previous",
    "scores",
    "annotator_note",
)


def error_rows(
    data: LabeledData, scored: Scored, label_set: LabelSet, thresholds: Sequence[float] | None = None
) -> list[dict[str, Any]]:
    """Every misclassified (sentence, label) pair, grouped by label and kind of error.

    Rows come in label order, then :data:`ERROR_KINDS` order; within a group the most
    confident mistakes come first (largest ``|margin|``), since those are the likeliest label
    errors in the data as well as the model's worst failures.

    Args:
        data: the labelled data that was scored.
        scored: :func:`score`'s result for it.
        label_set: the tagger's label set.
        thresholds: the per-label thresholds of a multi-label tagger (the decision rule);
            ignored for multi-class and grouped label sets, which take the arg-max.

    Returns:
        Rows with the fields of :data:`ERROR_FIELDS`: ``item`` is the sentence's 0-based
        position in the data, ``score`` the label's probability, ``decision`` the rule
        (``">= 0.42"`` or ``"arg-max"``), ``margin`` the score minus the threshold (or minus
        the best rival in the label's choice), ``instead`` what stood in the label's place
        (the predicted class for a missed one, the gold class for a spurious one),
        ``scores`` every label's probability, ``annotator_note`` empty for the reviewer.
    """
    names = list(label_set.names)
    y_true, probs, y_pred = scored.y_true.astype(bool), scored.probs, scored.y_pred.astype(bool)
    choice_of = {int(c): columns for columns in label_set.choices() for c in columns}
    article_of = _sentence_groups(data)
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for i, j in zip(*np.nonzero(y_true != y_pred)):
        i, j = int(i), int(j)
        kind = "missed" if y_true[i, j] else "spurious"
        value = float(probs[i, j])
        if j in choice_of:
            rivals = [c for c in choice_of[j] if c != j]
            margin = value - (float(probs[i, rivals].max()) if rivals else 0.0)
            decision = "arg-max"
            other = y_pred if kind == "missed" else y_true
            instead = [names[c] for c in choice_of[j] if other[i, c]]
        else:
            threshold = 0.5 if thresholds is None else float(thresholds[j])
            margin, decision = value - threshold, f">= {threshold:.2f}"
            instead = [
                names[c]
                for c in np.flatnonzero((y_pred[i] & ~y_true[i]) if kind == "missed" else (y_true[i] & ~y_pred[i]))
            ]
        groups.setdefault((j, kind), []).append(
            {
                "label": names[j],
                "kind": kind,
                "item": i,
                "article_id": None if article_of is None or data.articles is None else data.articles[article_of[i]].id,
                "score": round(value, 4),
                "decision": decision,
                "margin": round(margin, 4),
                "gold": [names[c] for c in np.flatnonzero(y_true[i])],
                "predicted": [names[c] for c in np.flatnonzero(y_pred[i])],
                "instead": instead,
                "text": data.texts[i],
                "previous": data.context[i].previous if data.context else "",
                "scores": {name: round(float(probs[i, c]), 4) for c, name in enumerate(names)},
                "annotator_note": "",
            }
        )
    rows = []
    for j in range(len(names)):
        for kind in ERROR_KINDS:
            rows.extend(sorted(groups.get((j, kind), []), key=lambda r: (-abs(r["margin"]), r["item"])))
    return rows


def errors_markdown(rows: Sequence[dict[str, Any]], *, source: str = "") -> str:
    """The error rows as a Markdown review sheet: a count table, then one section per group."""
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        counts[(row["label"], row["kind"])] = counts.get((row["label"], row["kind"]), 0) + 1
    out = [
        f"# Misclassified sentences{f' in `{_cell(source)}`' if source else ''}",
        "",
        f"{len(rows)} errors over {len({r['item'] for r in rows})} sentences. `missed`: gold label not predicted; "
        "`spurious`: predicted label not in gold. Most confident mistakes first in each group "
        "(margin: score minus threshold, or minus the best rival class).",
        "",
    ]
    out += _table(["label", "kind", "count"], [[label, kind, n] for (label, kind), n in counts.items()])
    current = None
    for row in rows:
        if (row["label"], row["kind"]) != current:
            current = (row["label"], row["kind"])
            out += [
                "",
                f"## {row['label']}: {row['kind']} ({counts[current]})",
                "",
                "| item | score | margin | instead | gold | predicted | text |",
                "|---|---|---|---|---|---|---|",
            ]
        out.append(
            "| "
            + " | ".join(
                _cell(v)
                for v in (
                    row["item"],
                    f"{row['score']:.3f}",
                    f"{row['margin']:+.3f}",
                    ", ".join(row["instead"]) or "-",
                    ", ".join(row["gold"]) or "-",
                    ", ".join(row["predicted"]) or "-",
                    row["text"],
                )
            )
            + " |"
        )
    return "\n".join(out) + "\n"


def write_errors(rows: Sequence[dict[str, Any]], path: str | Path, *, source: str = "") -> Path:
    """Write error rows by the file's suffix: ``.jsonl``, ``.csv`` (one row per error, with an
    empty ``annotator_note`` column) or ``.md`` (a review sheet grouped by label and kind).

    Written atomically. Raises :class:`InputError` for another suffix.
    """
    import csv

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        content = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    elif suffix == ".csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(ERROR_FIELDS))
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v for k, v in row.items()}
            )
        content = buffer.getvalue()
    elif suffix == ".md":
        content = errors_markdown(rows, source=source)
    else:
        raise InputError(f"{path}: error files are .jsonl, .csv or .md, not {suffix or 'without a suffix'!r}")
    if path.parent != Path(""):
        path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, content.encode("utf-8"))
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


def _html(report: dict[str, Any]) -> bytes:
    from asnclf.html_report import render_evaluation

    return render_evaluation(report).encode("utf-8")


VISUAL_RENDERERS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "report.html": _html,
    **{f"{name}.png": (lambda report, name=name: render_png(report, name)) for name in FIGURES if name != "f1"},
}
"""The visual report (``write_report(..., visual=True)``): one self-contained HTML page with
every chart embedded, and each chart of :data:`FIGURES` beyond ``report.png`` as a PNG."""


def write_report(report: dict[str, Any], directory: str | Path, *, visual: bool = False) -> dict[str, Path]:
    """Write every :data:`RENDERERS` file (``report.json``, ``report.md``, ``report.png``).

    With ``visual``, also every :data:`VISUAL_RENDERERS` file: ``report.html`` (self-contained,
    charts embedded) and ``reliability.png``, ``confusion.png``, ``thresholds.png``.

    Each file is rendered in full before anything is written, then written atomically, so a
    failure never leaves a half-written file.

    Returns:
        File suffix (``"json"``, ``"md"``, ``"png"``, ``"html"``) -> written path; the extra
        charts of the visual report by their name (``"reliability"``, ...).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    renderers = {**RENDERERS, **(VISUAL_RENDERERS if visual else {})}
    rendered = {name: render(report) for name, render in renderers.items()}
    written = {}
    for name, content in rendered.items():
        path = directory / name
        write_atomic(path, content)
        key = path.suffix.lstrip(".") if name in RENDERERS or name.endswith(".html") else path.stem
        written[key] = path
    return written


__all__ = [
    "ERROR_KINDS",
    "FIGURES",
    "RENDERERS",
    "VISUAL_RENDERERS",
    "Scored",
    "Tagger",
    "error_rows",
    "errors_markdown",
    "evaluate",
    "plot_report",
    "render_png",
    "score",
    "to_json",
    "to_markdown",
    "write_errors",
    "write_report",
]
