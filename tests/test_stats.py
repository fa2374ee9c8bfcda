"""Seed summaries and the paired bootstrap test."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asnclf import metrics, stats
from asnclf.errors import InputError
from asnclf.labels import LabelSet

SENTIMENT = LabelSet(("positive", "neutral", "negative"), multi_label=False)


def _one_hot(classes: np.ndarray, k: int = 3) -> np.ndarray:
    out = np.zeros((len(classes), k), dtype=np.int8)
    out[np.arange(len(classes)), classes] = 1
    return out


def _noisy(gold: np.ndarray, error_rate: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    wrong = rng.random(len(gold)) < error_rate
    return np.where(wrong, (gold + rng.integers(1, 3, len(gold))) % 3, gold)


GOLD = np.random.default_rng(0).integers(0, 3, 300)


def test_stats_seed_summary_matches_numpy() -> None:
    values = [0.81, 0.84, 0.80]
    summary = stats.seed_summary(values)
    assert summary["mean"] == pytest.approx(np.mean(values))
    assert summary["std"] == pytest.approx(np.std(values, ddof=1))
    assert summary["n"] == 3 and summary["values"] == values
    assert stats.seed_summary([0.5])["std"] is None
    assert stats.format_mean_std(summary) == f"{np.mean(values) * 100:.2f} ± {np.std(values, ddof=1) * 100:.2f}"
    assert stats.format_mean_std(stats.seed_summary([0.5])) == "50.00"


@pytest.mark.parametrize("values", [[], [0.5, float("nan")]])
def test_stats_seed_summary_rejects_bad_input(values: list[float]) -> None:
    with pytest.raises(InputError):
        stats.seed_summary(values)


def test_stats_paired_bootstrap_identical_models_are_not_different() -> None:
    pred = _one_hot(_noisy(GOLD, 0.3, 1))
    result = stats.paired_bootstrap(_one_hot(GOLD), pred, pred, metrics.macro_f1, n_resamples=500)
    assert result["delta"] == 0 and result["ci95"] == [0.0, 0.0] and result["p_value"] == 1.0


def test_stats_paired_bootstrap_finds_a_real_difference() -> None:
    gold = _one_hot(GOLD)
    good, bad = _one_hot(_noisy(GOLD, 0.1, 1)), _one_hot(_noisy(GOLD, 0.4, 2))
    result = stats.paired_bootstrap(gold, good, bad, metrics.macro_f1, n_resamples=2000, seed=4)
    assert result["score_a"] == pytest.approx(metrics.macro_f1(gold, good))
    assert result["score_b"] == pytest.approx(metrics.macro_f1(gold, bad))
    assert result["delta"] > 0.2 and result["ci95"][0] > 0
    assert result["p_value"] == pytest.approx(1 / 2001)
    swapped = stats.paired_bootstrap(gold, bad, good, metrics.macro_f1, n_resamples=2000, seed=4)
    assert swapped["delta"] == pytest.approx(-result["delta"]) and swapped["p_value"] == result["p_value"]


def test_stats_paired_bootstrap_small_difference_is_not_significant() -> None:
    gold = _one_hot(GOLD)
    a = _noisy(GOLD, 0.3, 1)
    b = a.copy()
    b[:3] = (b[:3] + 1) % 3  # three items apart
    result = stats.paired_bootstrap(gold, _one_hot(a), _one_hot(b), metrics.macro_f1, n_resamples=2000)
    assert result["p_value"] > 0.05
    assert result["ci95"][0] <= result["delta"] <= result["ci95"][1]


def test_stats_paired_bootstrap_is_deterministic_and_takes_groups() -> None:
    gold, a, b = _one_hot(GOLD), _one_hot(_noisy(GOLD, 0.2, 1)), _one_hot(_noisy(GOLD, 0.25, 2))
    first = stats.paired_bootstrap(gold, a, b, metrics.macro_f1, n_resamples=300, seed=7)
    assert first == stats.paired_bootstrap(gold, a, b, metrics.macro_f1, n_resamples=300, seed=7)
    clustered = stats.paired_bootstrap(gold, a, b, metrics.macro_f1, groups=np.arange(300) // 10, n_resamples=300)
    assert clustered["delta"] == first["delta"] and clustered["n"] == 300


def test_stats_paired_bootstrap_with_indonlu_metric_on_groups() -> None:
    label_set = LabelSet.from_groups(
        {"a": ["negative", "neutral", "positive"], "b": ["negative", "neutral", "positive"]}
    )
    rng = np.random.default_rng(3)
    gold = np.hstack([_one_hot(rng.integers(0, 3, 100)), _one_hot(rng.integers(0, 3, 100))])
    pred = gold.copy()
    pred[:20, :3] = np.roll(pred[:20, :3], 1, axis=1)
    result = stats.paired_bootstrap(gold, gold, pred, metrics.indonlu_f1(label_set), n_resamples=500)
    assert result["score_a"] == 1.0 and result["delta"] > 0 and result["metric"] == "indonlu_f1"


def test_stats_paired_bootstrap_rejects_bad_input() -> None:
    gold = _one_hot(GOLD)
    with pytest.raises(InputError, match="per label"):
        stats.paired_bootstrap(gold, gold, gold, metrics.f1_per_label)
    with pytest.raises(InputError):
        stats.paired_bootstrap(gold, gold[:10], gold, metrics.macro_f1)
    with pytest.raises(InputError, match="n_resamples"):
        stats.paired_bootstrap(gold, gold, gold, metrics.macro_f1, n_resamples=0)
    with pytest.raises(InputError, match="groups"):
        stats.paired_bootstrap(gold, gold, gold, metrics.macro_f1, groups=[1, 2])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.0, 0.6), st.floats(0.0, 0.6))
def test_stats_paired_bootstrap_properties(seed: int, rate_a: float, rate_b: float) -> None:
    gold = GOLD[:60]
    a, b = _one_hot(_noisy(gold, rate_a, seed)), _one_hot(_noisy(gold, rate_b, seed + 1))
    result = stats.paired_bootstrap(_one_hot(gold), a, b, metrics.macro_f1, n_resamples=200, seed=seed)
    assert 0 < result["p_value"] <= 1
    assert result["ci95"][0] <= result["ci95"][1]
    assert result["delta"] == pytest.approx(result["score_a"] - result["score_b"])


def test_stats_significance_label() -> None:
    assert stats.significance_label(0.001) == "p < 0.01"
    assert stats.significance_label(0.03) == "p < 0.05"
    assert stats.significance_label(0.2) == "n.s."
