"""Statistics for comparing models: seed spread and a paired bootstrap test.

Two sources of uncertainty are kept apart. :func:`seed_summary` says how much a score moves
when only the training seed changes (mean and sample standard deviation over runs).
:func:`paired_bootstrap` says whether two models differ on *this* test set: both are scored on
the same resamples of the test items, so the noise they share cancels.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from asnclf.errors import InputError
from asnclf.metrics import CountMetric, _indicator_pair, group_index

_CELLS = 4_000_000  # weight-matrix entries per chunk (about 32 MB)


def seed_summary(values: Sequence[float]) -> dict[str, Any]:
    """Mean and sample standard deviation (``ddof=1``) of one score over seeds.

    Returns:
        ``{"mean", "std", "n", "values"}``; ``std`` is None for a single run.
    """
    array = np.asarray([float(v) for v in values], dtype=np.float64)
    if array.size == 0:
        raise InputError("seed_summary needs at least one value")
    if not np.isfinite(array).all():
        raise InputError(f"seed_summary got a non-finite value: {array.tolist()}")
    return {
        "mean": float(array.mean()),
        "std": float(array.std(ddof=1)) if array.size > 1 else None,
        "n": int(array.size),
        "values": array.tolist(),
    }


def format_mean_std(summary: dict[str, Any], scale: float = 100.0, digits: int = 2) -> str:
    """``"87.10 ± 0.42"`` (or just the mean for one run)."""
    mean = f"{summary['mean'] * scale:.{digits}f}"
    return mean if summary.get("std") is None else f"{mean} ± {summary['std'] * scale:.{digits}f}"


def _resample_weights(n_groups: int, group_of_item: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    draws = rng.integers(0, n_groups, size=(size, n_groups))
    offsets = (np.arange(size) * n_groups)[:, None]
    counts = np.bincount((draws + offsets).ravel(), minlength=size * n_groups).reshape(size, n_groups)
    return counts[:, group_of_item]


def paired_bootstrap(
    y_true: Any,
    pred_a: Any,
    pred_b: Any,
    metric: CountMetric,
    *,
    groups: Sequence[Hashable] | np.ndarray | None = None,
    n_resamples: int = 10_000,
    seed: int = 0,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Paired bootstrap test of ``metric(A) - metric(B)`` on one test set.

    Every resample draws the test items (or whole ``groups``, e.g. articles) with replacement
    and scores both models on it, so ``delta*`` holds the difference under the same sampling.
    The two-sided p-value is that of the shifted bootstrap distribution (the null hypothesis
    ``delta = 0`` moved onto the observed difference): the share of resamples with
    ``|delta* - delta| >= |delta|``, counted as ``(hits + 1) / (n_resamples + 1)`` so that it is
    never 0 (Efron and Tibshirani 1993, ch. 16; Koehn 2004).

    Args:
        y_true: ``(n, k)`` 0/1 gold matrix.
        pred_a, pred_b: ``(n, k)`` 0/1 predictions of models A and B on the same items.
        metric: a :class:`~asnclf.metrics.CountMetric` returning one number (e.g.
            :data:`~asnclf.metrics.macro_f1` or :func:`~asnclf.metrics.indonlu_f1`).
        groups: one key per item for a cluster bootstrap, or None.
        n_resamples: bootstrap resamples.
        seed: seed of the resampling.
        alpha: 1 - confidence level of the interval of the difference.

    Returns:
        ``{"metric", "score_a", "score_b", "delta", "ci95", "p_value", "n_resamples", "n", "seed"}``:
        ``score_a`` and ``score_b`` the metric on the full test set, ``delta`` their difference,
        ``ci95`` the percentile interval of ``delta*``.
    """
    if metric.per_label:
        raise InputError(f"paired_bootstrap needs a metric with one value, {metric.name!r} is per label")
    if not isinstance(n_resamples, int | np.integer) or n_resamples < 1:
        raise InputError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    true, a = _indicator_pair(y_true, pred_a)
    _, b = _indicator_pair(y_true, pred_b)
    n = len(true)
    group_of_item, n_groups = group_index(groups, n)
    score_a, score_b = float(metric(true, a)), float(metric(true, b))
    observed = score_a - score_b
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_resamples, _CELLS // max(n, n_groups)))
    deltas = []
    for start in range(0, n_resamples, chunk):
        weights = _resample_weights(n_groups, group_of_item, min(chunk, n_resamples - start), rng)
        deltas.append(np.asarray(metric(true, a, weights)) - np.asarray(metric(true, b, weights)))
    delta = np.concatenate(deltas)
    hits = int((np.abs(delta - observed) >= abs(observed) - 1e-12).sum())
    low, high = np.quantile(delta, [alpha / 2, 1 - alpha / 2])
    return {
        "metric": metric.name,
        "score_a": score_a,
        "score_b": score_b,
        "delta": observed,
        "ci95": [float(low), float(high)],
        "p_value": (hits + 1) / (n_resamples + 1),
        "n_resamples": int(n_resamples),
        "n": n,
        "seed": seed,
    }


def significance_label(p_value: float) -> str:
    """A short verbal reading of a p-value for tables (not a substitute for the number)."""
    if math.isnan(p_value):
        return "-"
    return "p < 0.01" if p_value < 0.01 else "p < 0.05" if p_value < 0.05 else "n.s."


__all__ = ["format_mean_std", "paired_bootstrap", "seed_summary", "significance_label"]
