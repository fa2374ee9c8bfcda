"""Evaluation metrics for multi-label and multi-class tagging (numpy only, no hub modules).

Every matrix is ``(n_items, k)`` with columns in label-set order (for the ASN task:
declaration, warning, violation_report, sanction) and 0/1 (or boolean) entries. Undefined
ratios follow scikit-learn's ``zero_division=0``: a label with no gold and no predicted item
scores precision, recall and F1 of 0, and still counts in macro averages, exactly as
``sklearn.metrics`` does when it is given ``labels=range(k)``.

The count-based metrics (:data:`f1_per_label`, :data:`macro_f1`, ...) are :class:`CountMetric`
objects: called like functions, and also able to score thousands of bootstrap resamples with
one matrix product, which is what makes :func:`bootstrap_ci` fast.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from asnclf.errors import InputError, LabelError
from asnclf.labels import PRIMARY_LABELS, LabelSet

NONE = "none"
"""Name of the extra row/column of :func:`label_confusion` for an empty label set."""

_PROBABILITY_SLACK = 1e-6
_BOOTSTRAP_CELLS = 4_000_000  # weight-matrix entries per bootstrap chunk (about 32 MB)


# ---------------------------------------------------------------------------- input checks
def _names(labels: LabelSet | Sequence[str]) -> list[str]:
    return list(labels.names) if isinstance(labels, LabelSet) else [str(name) for name in labels]


def _indicator(matrix: Any, field: str) -> np.ndarray:
    """A 2-D 0/1 matrix as ``bool``; anything else is an :class:`InputError`."""
    array = np.asarray(matrix)
    if array.ndim != 2:
        raise InputError(f"{field}: expected an (n_items, n_labels) 0/1 matrix, got shape {array.shape}")
    if array.dtype != bool:
        if not np.issubdtype(array.dtype, np.number) or not np.isin(array, (0, 1)).all():
            raise InputError(f"{field}: expected only 0/1 entries")
        array = array.astype(bool)
    return array


def _indicator_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    true, pred = _indicator(y_true, "y_true"), _indicator(y_pred, "y_pred")
    if true.shape != pred.shape:
        raise InputError(f"y_true has shape {true.shape} but y_pred has shape {pred.shape}")
    if true.shape[0] == 0:
        raise InputError("no items to score: y_true and y_pred are empty")
    return true, pred


def _check_names(names: list[str], k: int) -> None:
    if len(names) != k:
        raise InputError(f"{len(names)} label names {names} for a matrix of {k} columns")


def check_probabilities(probs: Any, field: str = "probs") -> np.ndarray:
    """Probabilities as a 2-D float array (1-D is one label), clipped to [0, 1].

    Raises:
        InputError: NaN, infinity, or values outside [0, 1] beyond float rounding.
    """
    array = np.asarray(probs, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise InputError(f"{field}: expected an (n_items, n_labels) array, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise InputError(
            f"{field}: holds NaN or infinite values (first at row {int(np.argwhere(~np.isfinite(array))[0, 0])})"
        )
    if array.size and (array.min() < -_PROBABILITY_SLACK or array.max() > 1 + _PROBABILITY_SLACK):
        raise InputError(
            f"{field}: values must be probabilities in [0, 1], got range [{array.min():g}, {array.max():g}]"
        )
    return np.clip(array, 0.0, 1.0)


# ---------------------------------------------------------------------------- count metrics
def _divide(numerator: Any, denominator: Any) -> np.ndarray:
    """``numerator / denominator`` with 0 where the denominator is 0 (``zero_division=0``)."""
    top, bottom = np.broadcast_arrays(np.asarray(numerator, float), np.asarray(denominator, float))
    result: np.ndarray = np.divide(top, bottom, out=np.zeros(top.shape), where=bottom > 0)
    return result


def _sums(rows: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """Column sums of ``rows`` (n, m), weighted by ``weights`` (n,) or (B, n) when given."""
    values = rows.astype(np.float64)
    result: np.ndarray = values.sum(axis=0) if weights is None else weights @ values
    return result


def _counts(
    true: np.ndarray, pred: np.ndarray, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True positives, false positives and false negatives per label: each ``(..., k)``."""
    k = true.shape[1]
    sums = _sums(np.concatenate([true & pred, ~true & pred, true & ~pred], axis=1), weights)
    return sums[..., :k], sums[..., k : 2 * k], sums[..., 2 * k :]


def _precision(true: np.ndarray, pred: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    tp, fp, _ = _counts(true, pred, weights)
    return _divide(tp, tp + fp)


def _recall(true: np.ndarray, pred: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    tp, _, fn = _counts(true, pred, weights)
    return _divide(tp, tp + fn)


def _f1(true: np.ndarray, pred: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    tp, fp, fn = _counts(true, pred, weights)
    return _divide(2 * tp, 2 * tp + fp + fn)


def _micro_f1(true: np.ndarray, pred: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    tp, fp, fn = (c.sum(axis=-1) for c in _counts(true, pred, weights))
    return _divide(2 * tp, 2 * tp + fp + fn)


def _macro_f1(true: np.ndarray, pred: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    return np.asarray(_f1(true, pred, weights).mean(axis=-1))


def _subset_accuracy(true: np.ndarray, pred: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    exact = (true == pred).all(axis=1, keepdims=True)
    total = np.ones((len(true), 1))
    return _divide(_sums(exact, weights), _sums(total, weights))[..., 0]


def _hamming_loss(true: np.ndarray, pred: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    wrong = (true != pred).sum(axis=1, keepdims=True)
    cells = np.full((len(true), 1), true.shape[1])
    return _divide(_sums(wrong, weights), _sums(cells, weights))[..., 0]


@dataclass(frozen=True)
class CountMetric:
    """A metric of two 0/1 matrices that is a function of weighted per-item counts.

    Call it as ``metric(y_true, y_pred)`` for the plain value (a float, or a ``(k,)`` array
    for per-label metrics). With ``weights`` of shape ``(B, n)`` (how often each item is drawn
    in each of B resamples) it returns ``(B,)`` or ``(B, k)`` in one matrix product.
    """

    name: str
    per_label: bool
    compute: Callable[[np.ndarray, np.ndarray, np.ndarray | None], np.ndarray]

    def __call__(self, y_true: Any, y_pred: Any, weights: np.ndarray | None = None) -> Any:
        true, pred = _indicator_pair(y_true, y_pred)
        if weights is not None:
            weights = np.asarray(weights, dtype=np.float64)
            if weights.shape[-1] != len(true):
                raise InputError(f"weights cover {weights.shape[-1]} items, the matrices {len(true)}")
            return self.compute(true, pred, weights)
        value = self.compute(true, pred, None)
        return value if self.per_label else float(value)


precision_per_label = CountMetric("precision", True, _precision)
recall_per_label = CountMetric("recall", True, _recall)
f1_per_label = CountMetric("f1", True, _f1)
micro_f1 = CountMetric("micro_f1", False, _micro_f1)
macro_f1 = CountMetric("macro_f1", False, _macro_f1)
subset_accuracy = CountMetric("subset_accuracy", False, _subset_accuracy)
hamming_loss = CountMetric("hamming_loss", False, _hamming_loss)


def multilabel_scores(y_true: Any, y_pred: Any, labels: LabelSet | Sequence[str]) -> dict[str, Any]:
    """Per-label and averaged scores of a multi-label prediction.

    Args:
        y_true: ``(n, k)`` 0/1 gold matrix, columns in ``labels`` order.
        y_pred: ``(n, k)`` 0/1 predicted matrix.
        labels: the label set or its names (``k`` of them).

    Returns:
        ``{"n", "per_label": {name: {"precision", "recall", "f1", "support", "predicted"}},
        "micro_precision", "micro_recall", "micro_f1", "macro_precision", "macro_recall",
        "macro_f1", "subset_accuracy", "hamming_loss"}``: plain Python numbers, ratios in
        [0, 1]. ``support`` counts gold items, ``predicted`` predicted ones. A label absent
        from both gold and prediction scores 0 (``zero_division=0``) and counts in the macro
        averages, as in ``sklearn.metrics`` with ``labels=range(k)``.
    """
    true, pred = _indicator_pair(y_true, y_pred)
    names = _names(labels)
    _check_names(names, true.shape[1])
    tp, fp, fn = _counts(true, pred, None)
    precision, recall, f1 = _divide(tp, tp + fp), _divide(tp, tp + fn), _divide(2 * tp, 2 * tp + fp + fn)
    per_label = {
        name: {
            "precision": float(precision[j]),
            "recall": float(recall[j]),
            "f1": float(f1[j]),
            "support": int(tp[j] + fn[j]),
            "predicted": int(tp[j] + fp[j]),
        }
        for j, name in enumerate(names)
    }
    total_tp, total_fp, total_fn = tp.sum(), fp.sum(), fn.sum()
    return {
        "n": len(true),
        "per_label": per_label,
        "micro_precision": float(_divide(total_tp, total_tp + total_fp)),
        "micro_recall": float(_divide(total_tp, total_tp + total_fn)),
        "micro_f1": float(_divide(2 * total_tp, 2 * total_tp + total_fp + total_fn)),
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "macro_f1": float(f1.mean()),
        "subset_accuracy": subset_accuracy(true, pred),
        "hamming_loss": hamming_loss(true, pred),
    }


# ---------------------------------------------------------------------------- IndoNLU's definition
def _class_map(labels: LabelSet) -> tuple[list[str], np.ndarray]:
    """The classes of a one-of-k task and a ``(k, C)`` 0/1 map from label columns to them.

    Multi-class: every label is its own class. Grouped: a class is a value shared across the
    groups (``fuel:positive`` and ``price:positive`` are both ``positive``).
    """
    if labels.multi_label and not labels.groups:
        raise InputError("IndoNLU's metric is defined for multi-class and grouped label sets, not multi-label ones")
    classes = list(dict.fromkeys(labels.value_of(name) for name in labels.names))
    mapping = np.zeros((len(labels.names), len(classes)))
    for j, name in enumerate(labels.names):
        mapping[j, classes.index(labels.value_of(name))] = 1.0
    return classes, mapping


def _pooled_counts(
    true: np.ndarray, pred: np.ndarray, weights: np.ndarray | None, mapping: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per class: true positives, false positives, false negatives over all (item, choice)
    pairs, and the number of correct pairs; each ``(..., C)`` (correct: ``(...,)``)."""
    tp, fp, fn = _counts(true, pred, None if weights is None else weights)
    return tp @ mapping, fp @ mapping, fn @ mapping, (tp @ mapping).sum(axis=-1)


def _present_macro(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, ratio: str) -> np.ndarray:
    """Macro average over the classes present in gold or prediction (scikit-learn's default)."""
    present = (tp + fp + fn) > 0
    if ratio == "f1":
        per_class = _divide(2 * tp, 2 * tp + fp + fn)
    elif ratio == "precision":
        per_class = _divide(tp, tp + fp)
    else:
        per_class = _divide(tp, tp + fn)
    return _divide((per_class * present).sum(axis=-1), present.sum(axis=-1))


def indonlu_f1(labels: LabelSet) -> CountMetric:
    """IndoNLU's F1 for a multi-class or grouped label set, as a :class:`CountMetric`.

    IndoNLU scores its classification tasks with ``sklearn.metrics.f1_score(gold, predicted,
    average="macro")`` over one class per item (``document_sentiment_metrics_fn``,
    ``emotion_detection_metrics_fn`` in ``utils/metrics.py`` of github.com/IndoNLP/indonlu), and
    its aspect-based sentiment tasks (CASA, HoASA) the same way after flattening every
    (sentence, aspect) pair into one list (``absa_metrics_fn``): so the classes are the
    sentiment values, pooled over aspects, and the macro average runs over the classes present
    in gold or prediction. This is that definition, written afresh on the count matrices so
    that it bootstraps in one matrix product.
    """
    _, mapping = _class_map(labels)

    def compute(true: np.ndarray, pred: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        tp, fp, fn, _ = _pooled_counts(true, pred, weights, mapping)
        return _present_macro(tp, fp, fn, "f1")

    return CountMetric("indonlu_f1", False, compute)


def indonlu_scores(y_true: Any, y_pred: Any, labels: LabelSet) -> dict[str, Any]:
    """IndoNLU's four numbers (F1, accuracy, precision, recall; see :func:`indonlu_f1`).

    Returns:
        ``{"f1", "accuracy", "precision", "recall", "classes", "pairs"}``: accuracy is the share
        of correct (item, choice) pairs; ``pairs`` their number (items x groups).
    """
    true, pred = _indicator_pair(y_true, y_pred)
    _check_names(list(labels.names), true.shape[1])
    classes, mapping = _class_map(labels)
    tp, fp, fn, correct = _pooled_counts(true, pred, None, mapping)
    pairs = len(true) * len(labels.choices())
    return {
        "f1": float(_present_macro(tp, fp, fn, "f1")),
        "accuracy": float(correct / pairs),
        "precision": float(_present_macro(tp, fp, fn, "precision")),
        "recall": float(_present_macro(tp, fp, fn, "recall")),
        "classes": classes,
        "pairs": pairs,
    }


# ---------------------------------------------------------------------------- threshold curves
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.05), 2)


def threshold_curves(
    y_true: Any,
    probs: Any,
    labels: LabelSet | Sequence[str],
    grid: np.ndarray = THRESHOLD_GRID,
    *,
    pool: dict[str, Sequence[int]] | None = None,
) -> dict[str, Any]:
    """Per label, precision, recall and F1 when the label is on at ``probability >= t``.

    Args:
        y_true, probs: ``(n, k)`` gold 0/1 matrix and probabilities.
        labels: the label set or its names.
        grid: the thresholds.
        pool: optional name -> label columns whose counts are added up into one more curve each
            (for a grouped label set: one curve per class, pooled over the groups).

    Returns:
        ``{"grid": [t...], "per_label": {name: {"precision": [...], "recall": [...], "f1": [...]}}}``,
        one entry per grid point, plus ``"pooled"`` in the same layout when ``pool`` is given.
    """
    names = _names(labels)
    p = check_probabilities(probs)
    true = _indicator(y_true, "y_true")
    if true.shape != p.shape:
        raise InputError(f"y_true has shape {true.shape} but probs has shape {p.shape}")
    _check_names(names, true.shape[1])
    on = p[None, :, :] >= np.asarray(grid)[:, None, None]  # (T, n, k)
    tp = (on & true[None]).sum(axis=1)
    fp = (on & ~true[None]).sum(axis=1)
    fn = (~on & true[None]).sum(axis=1)

    def curves(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> dict[str, list[float]]:
        ratios = {
            "precision": _divide(tp, tp + fp),
            "recall": _divide(tp, tp + fn),
            "f1": _divide(2 * tp, 2 * tp + fp + fn),
        }
        return {key: [round(float(v), 4) for v in values] for key, values in ratios.items()}

    out: dict[str, Any] = {
        "grid": [float(t) for t in grid],
        "per_label": {name: curves(tp[:, j], fp[:, j], fn[:, j]) for j, name in enumerate(names)},
    }
    if pool:
        out["pooled"] = {
            name: curves(*(c[:, list(columns)].sum(axis=1) for c in (tp, fp, fn))) for name, columns in pool.items()
        }
    return out


# ---------------------------------------------------------------------------- bootstrap
def group_index(groups: Sequence[object] | np.ndarray | None, n: int) -> tuple[np.ndarray, int]:
    """Map each of ``n`` items to a resampling unit: its group (cluster bootstrap) or itself.

    Returns:
        ``(group_of_item, n_groups)``: an ``(n,)`` array of group numbers in ``[0, n_groups)``.
    """
    if groups is None:
        return np.arange(n), n
    keys = np.asarray(groups)
    if len(keys) != n:
        raise InputError(f"groups has {len(keys)} entries for {n} items")
    group_of_item = np.unique(keys, return_inverse=True)[1].reshape(-1)
    return group_of_item, int(group_of_item.max()) + 1


def bootstrap_ci(
    y_true: Any,
    y_pred: Any,
    metric_fn: CountMetric | Callable[[np.ndarray, np.ndarray], Any],
    *,
    groups: Sequence[Hashable] | np.ndarray | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[Any, Any]:
    """Percentile bootstrap confidence interval of a metric.

    Each resample draws ``n`` items with replacement; with ``groups`` (for example the article
    id of each sentence) it draws whole groups instead (cluster bootstrap), because items of
    one group are not independent and an item-level bootstrap would make the interval too
    narrow. Resamples depend only on ``seed``, the number of items and the grouping, so every
    metric bootstrapped with one seed sees the same resamples.

    Args:
        y_true, y_pred: arrays with one row per item (0/1 matrices for a :class:`CountMetric`;
            any arrays for a plain callable).
        metric_fn: a :class:`CountMetric` (vectorised over resamples), or any
            ``f(y_true, y_pred) -> float | array`` (called once per resample).
        groups: one hashable group key per item, or None for an item-level bootstrap.
        n_resamples: number of bootstrap resamples (at least 1).
        seed: seed of the resampling generator.
        alpha: 1 - confidence level (0.05 gives a 95% interval).

    Returns:
        ``(low, high)``: floats for a scalar metric, arrays shaped like the metric otherwise.
    """
    if not isinstance(n_resamples, int | np.integer) or n_resamples < 1:
        raise InputError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    true, pred = np.asarray(y_true), np.asarray(y_pred)
    if len(true) != len(pred):
        raise InputError(f"y_true has {len(true)} items but y_pred has {len(pred)}")
    n = len(true)
    if n == 0:
        raise InputError("no items to bootstrap")
    group_of_item, n_groups = group_index(groups, n)

    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_resamples, _BOOTSTRAP_CELLS // max(n, n_groups)))
    values = []
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        draws = rng.integers(0, n_groups, size=(size, n_groups))
        offsets = (np.arange(size) * n_groups)[:, None]
        group_counts = np.bincount((draws + offsets).ravel(), minlength=size * n_groups).reshape(size, n_groups)
        weights = group_counts[:, group_of_item]
        if isinstance(metric_fn, CountMetric):
            values.append(np.asarray(metric_fn(true, pred, weights)))
        else:
            items = np.arange(n)
            values.append(
                np.stack(
                    [
                        np.asarray(metric_fn(true[i], pred[i]), dtype=float)
                        for i in (np.repeat(items, row) for row in weights)
                    ]
                )
            )
    low, high = np.quantile(np.concatenate(values), [alpha / 2, 1 - alpha / 2], axis=0)
    if np.ndim(low) == 0:
        return float(low), float(high)
    return low, high


# ---------------------------------------------------------------------------- calibration
def _bin_edges(n_bins: int) -> np.ndarray:
    if not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise InputError(f"n_bins must be a positive integer, got {n_bins!r}")
    return np.linspace(0.0, 1.0, n_bins + 1)


def reliability_bins(y_true: Any, probs: Any, n_bins: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-label reliability-curve data over ``n_bins`` equal-width probability bins.

    Bins are those of ``sklearn.calibration.calibration_curve(strategy="uniform")``: the first
    is ``[0, 1/n_bins]``, the others ``(lo, hi]``.

    Args:
        y_true: ``(n, k)`` 0/1 gold matrix (1-D: one label).
        probs: ``(n, k)`` predicted probability of each label.
        n_bins: number of bins.

    Returns:
        ``(mean_prob, frac_positive, count)``, each ``(k, n_bins)``: the mean predicted
        probability in the bin, the observed fraction of items carrying the label (the bin's
        "accuracy" for a per-label probability), and the number of items; the first two are NaN
        in empty bins.
    """
    edges = _bin_edges(n_bins)
    p = check_probabilities(probs)
    true = _indicator(np.asarray(y_true).reshape(len(p), -1) if np.ndim(y_true) == 1 else y_true, "y_true")
    if true.shape != p.shape:
        raise InputError(f"y_true has shape {true.shape} but probs has shape {p.shape}")
    if len(p) == 0:
        raise InputError("no items to calibrate: y_true and probs are empty")
    k = p.shape[1]
    cell = (np.searchsorted(edges[1:-1], p) + np.arange(k) * n_bins).ravel()
    size = k * n_bins
    count = np.bincount(cell, minlength=size).reshape(k, n_bins)
    prob_sum = np.bincount(cell, weights=p.ravel(), minlength=size).reshape(k, n_bins)
    positive_sum = np.bincount(cell, weights=true.ravel().astype(float), minlength=size).reshape(k, n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return prob_sum / count, positive_sum / count, count


def expected_calibration_error(y_true: Any, probs: Any, n_bins: int = 10) -> np.ndarray:
    """Expected calibration error of each label's probability (equal-width bins).

    ``ECE_j = sum_b (count_b / n) * |mean_prob_b - frac_positive_b|`` over the bins of
    :func:`reliability_bins`.

    Returns:
        ``(k,)`` array in [0, 1] (``k = 1`` for 1-D input).
    """
    mean_prob, frac_positive, count = reliability_bins(y_true, probs, n_bins)
    gap = np.where(count > 0, np.abs(mean_prob - frac_positive), 0.0)
    result: np.ndarray = (gap * count).sum(axis=1) / count.sum(axis=1)
    return result


def calibration_summary(y_true: Any, probs: Any, labels: LabelSet | Sequence[str], n_bins: int = 10) -> dict[str, Any]:
    """ECE and reliability-curve data per label, JSON-ready (empty bins are ``None``).

    Returns:
        ``{"n_bins", "bin_edges", "mean_ece", "per_label": {name: {"ece", "mean_prob",
        "frac_positive", "count"}}}``; the lists have one entry per bin.
    """
    names = _names(labels)
    mean_prob, frac_positive, count = reliability_bins(y_true, probs, n_bins)
    _check_names(names, count.shape[0])
    ece = expected_calibration_error(y_true, probs, n_bins)

    def plain(row: np.ndarray) -> list[float | None]:
        return [None if np.isnan(v) else float(v) for v in row]

    return {
        "n_bins": int(n_bins),
        "bin_edges": [float(e) for e in _bin_edges(n_bins)],
        "mean_ece": float(ece.mean()),
        "per_label": {
            name: {
                "ece": float(ece[j]),
                "mean_prob": plain(mean_prob[j]),
                "frac_positive": plain(frac_positive[j]),
                "count": [int(c) for c in count[j]],
            }
            for j, name in enumerate(names)
        },
    }


# ---------------------------------------------------------------------------- confusion
def label_confusion(y_true: Any, y_pred: Any, labels: LabelSet | Sequence[str], *, top: int = 10) -> dict[str, Any]:
    """Which labels are confused with which, for multi-label data.

    Rows are gold labels, columns predicted labels, both in label order followed by
    :data:`NONE` (named ``"<none>"`` if a label is itself called ``none``). Two
    ``(k+1) x (k+1)`` count matrices:

    - ``matrix`` (co-occurrence): entry ``[i][j]`` counts items whose gold set contains ``i``
      (row none: whose gold set is empty) and whose predicted set contains ``j`` (column none:
      whose predicted set is empty). An item adds 1 to every such (gold, predicted) pair, so
      an item with gold {a, b} predicted {a, b} adds to ``[a][b]`` and ``[b][a]`` too. When
      every item has at most one gold and one predicted label it is the ordinary confusion
      matrix.
    - ``errors`` (attribution of mistakes): per item, ``missed = gold - predicted`` and
      ``spurious = predicted - gold``. The diagonal ``[i][i]`` counts items where ``i`` is
      both gold and predicted, and ``[none][none]`` items with empty gold and prediction. If
      both sets are non-empty, every pair in ``missed x spurious`` adds 1 (``i`` was taken for
      ``j``); a missed label with nothing spurious adds to ``[i][none]``; a spurious label
      with nothing missed adds to ``[none][j]``. Correct labels never appear off the diagonal.
      For single-label items it equals ``matrix``.

    ``top`` lists the largest off-diagonal cells of ``errors`` as ``{"gold", "predicted",
    "count"}``, most frequent first (ties in label order).
    """
    true, pred = _indicator_pair(y_true, y_pred)
    names = _names(labels)
    _check_names(names, true.shape[1])
    none_name = NONE if NONE not in names else f"<{NONE}>"
    gold_ext = np.column_stack([true, ~true.any(axis=1)]).astype(np.int64)
    pred_ext = np.column_stack([pred, ~pred.any(axis=1)]).astype(np.int64)
    matrix = gold_ext.T @ pred_ext

    missed = (true & ~pred).astype(np.int64)
    spurious = (pred & ~true).astype(np.int64)
    k = true.shape[1]
    errors = np.zeros((k + 1, k + 1), dtype=np.int64)
    errors[:k, :k] = missed.T @ spurious + np.diag((true & pred).sum(axis=0))
    errors[:k, k] = missed[~spurious.any(axis=1)].sum(axis=0)
    errors[k, :k] = spurious[~missed.any(axis=1)].sum(axis=0)
    errors[k, k] = int((gold_ext[:, k] & pred_ext[:, k]).sum())

    axis_names = [*names, none_name]
    cells = [(int(errors[i, j]), i, j) for i in range(k + 1) for j in range(k + 1) if i != j and errors[i, j] > 0]
    cells.sort(key=lambda cell: (-cell[0], cell[1], cell[2]))
    return {
        "labels": axis_names,
        "matrix": matrix.tolist(),
        "errors": errors.tolist(),
        "top": [{"gold": axis_names[i], "predicted": axis_names[j], "count": c} for c, i, j in cells[:top]],
    }


# ---------------------------------------------------------------------------- multi-class
def one_hot(values: Sequence[str], classes: Sequence[str], *, field: str = "labels") -> np.ndarray:
    """``(n, len(classes))`` 0/1 matrix of single class names.

    Raises:
        LabelError: a value is not one of ``classes`` (lists the unknown and known ones).
    """
    index = {name: j for j, name in enumerate(classes)}
    unknown = sorted({repr(v) for v in values if v not in index})
    if unknown:
        raise LabelError(f"{field}: unknown class(es) {', '.join(unknown)}; known classes are {list(classes)}")
    matrix = np.zeros((len(values), len(classes)), dtype=np.int8)
    matrix[np.arange(len(values)), [index[v] for v in values]] = 1
    return matrix


def multiclass_scores(
    y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str] = PRIMARY_LABELS
) -> dict[str, Any]:
    """Accuracy, confusion matrix and per-class scores of single-label predictions.

    Args:
        y_true, y_pred: one class name per item (for articles: the ``primary`` label).
        classes: class names, the order of the matrix (default: the ASN primary labels, the
            four labels then ``other``).

    Returns:
        ``{"classes", "accuracy", "macro_f1", "matrix", "per_class"}``: ``matrix[i][j]``
        counts items of gold class ``i`` predicted as ``j`` (``sklearn.metrics.
        confusion_matrix`` with ``labels=classes``); ``per_class`` as in
        :func:`multilabel_scores`.
    """
    if len(y_true) != len(y_pred):
        raise InputError(f"y_true has {len(y_true)} items but y_pred has {len(y_pred)}")
    true = one_hot(y_true, classes, field="y_true")
    pred = one_hot(y_pred, classes, field="y_pred")
    scores = multilabel_scores(true, pred, classes)
    return {
        "classes": list(classes),
        "accuracy": scores["subset_accuracy"],
        "macro_f1": scores["macro_f1"],
        "matrix": (true.T.astype(np.int64) @ pred).tolist(),
        "per_class": scores["per_label"],
    }


__all__ = [
    "NONE",
    "CountMetric",
    "bootstrap_ci",
    "calibration_summary",
    "check_probabilities",
    "expected_calibration_error",
    "f1_per_label",
    "hamming_loss",
    "indonlu_f1",
    "indonlu_scores",
    "label_confusion",
    "macro_f1",
    "micro_f1",
    "multiclass_scores",
    "multilabel_scores",
    "one_hot",
    "precision_per_label",
    "recall_per_label",
    "reliability_bins",
    "subset_accuracy",
    "threshold_curves",
]
