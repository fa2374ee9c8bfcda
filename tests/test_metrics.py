"""Metric correctness: every metric equals scikit-learn's on fixtures (reliability.md)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as sk
from sklearn.calibration import calibration_curve

from asnclf import metrics
from asnclf.errors import InputError, LabelError
from asnclf.labels import LABELS, PRIMARY_LABELS, LabelSet


def _noisy(y_true: np.ndarray, rng: np.random.Generator, flip: float) -> np.ndarray:
    """Predictions that agree with ``y_true`` except for a ``flip`` fraction of cells."""
    return np.where(rng.random(y_true.shape) < flip, 1 - y_true, y_true)


def _fixture(name: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    if name == "absent_label":  # sanction neither gold nor predicted
        y_true = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [0, 1, 1, 0]])
        y_pred = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]])
        return y_true, y_pred
    if name == "absent_gold_predicted":  # sanction predicted but never gold
        y_true = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]])
        y_pred = np.array([[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]])
        return y_true, y_pred
    if name == "perfect":
        y_true = (rng.random((30, 4)) < 0.3).astype(int)
        return y_true, y_true.copy()
    if name == "nothing_predicted":
        return (rng.random((30, 4)) < 0.3).astype(int), np.zeros((30, 4), dtype=int)
    if name == "single_row":
        return np.array([[0, 1, 1, 0]]), np.array([[0, 1, 0, 1]])
    if name == "random":
        y_true = (rng.random((300, 4)) < 0.25).astype(int)
        return y_true, _noisy(y_true, rng, 0.15)
    raise KeyError(name)


FIXTURES = ["absent_label", "absent_gold_predicted", "perfect", "nothing_predicted", "single_row", "random"]


def _assert_matches_sklearn(y_true: np.ndarray, y_pred: np.ndarray) -> None:
    k = y_true.shape[1]
    names = [f"l{j}" for j in range(k)]
    scores = metrics.multilabel_scores(y_true, y_pred, names)
    common = {"labels": list(range(k)), "zero_division": 0}
    precision, recall, f1, support = sk.precision_recall_fscore_support(y_true, y_pred, average=None, **common)
    for j, name in enumerate(names):
        entry = scores["per_label"][name]
        assert entry["precision"] == pytest.approx(precision[j], abs=1e-12)
        assert entry["recall"] == pytest.approx(recall[j], abs=1e-12)
        assert entry["f1"] == pytest.approx(f1[j], abs=1e-12)
        assert entry["support"] == support[j]
        assert entry["predicted"] == int(y_pred[:, j].sum())
    for average in ("micro", "macro"):
        p, r, f, _ = sk.precision_recall_fscore_support(y_true, y_pred, average=average, **common)
        assert scores[f"{average}_precision"] == pytest.approx(p, abs=1e-12)
        assert scores[f"{average}_recall"] == pytest.approx(r, abs=1e-12)
        assert scores[f"{average}_f1"] == pytest.approx(f, abs=1e-12)
    assert scores["subset_accuracy"] == pytest.approx(sk.accuracy_score(y_true, y_pred), abs=1e-12)
    assert scores["hamming_loss"] == pytest.approx(sk.hamming_loss(y_true, y_pred), abs=1e-12)
    assert scores["n"] == len(y_true)


@pytest.mark.parametrize("fixture", FIXTURES)
def test_metrics_multilabel_scores_match_sklearn(fixture: str) -> None:
    _assert_matches_sklearn(*_fixture(fixture))


@pytest.mark.parametrize("fixture", ["absent_label", "absent_gold_predicted"])
def test_metrics_absent_label_has_support_zero(fixture: str) -> None:
    y_true, y_pred = _fixture(fixture)
    entry = metrics.multilabel_scores(y_true, y_pred, LABELS)["per_label"]["sanction"]
    assert entry["support"] == 0
    assert entry["precision"] == entry["recall"] == entry["f1"] == 0.0


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 25), st.integers(2, 5), st.integers(0, 2**32 - 1))
def test_metrics_multilabel_scores_match_sklearn_property(n: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    _assert_matches_sklearn((rng.random((n, k)) < 0.3).astype(int), (rng.random((n, k)) < 0.3).astype(int))


def test_metrics_multilabel_scores_accepts_label_set_and_bool() -> None:
    y_true, y_pred = _fixture("random")
    from_names = metrics.multilabel_scores(y_true, y_pred, LABELS)
    assert metrics.multilabel_scores(y_true.astype(bool), y_pred.astype(bool), LabelSet()) == from_names
    assert list(from_names["per_label"]) == list(LABELS)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "labels"),
    [
        (np.zeros((3, 4)), np.zeros((3, 3)), LABELS),  # shapes differ
        (np.zeros((3, 4)), np.zeros((3, 4)), LABELS[:3]),  # names do not match columns
        (np.full((3, 4), 2), np.zeros((3, 4)), LABELS),  # not 0/1
        (np.zeros(4), np.zeros(4), LABELS),  # 1-D
        (np.zeros((0, 4)), np.zeros((0, 4)), LABELS),  # empty
    ],
)
def test_metrics_multilabel_scores_rejects_bad_input(
    y_true: np.ndarray, y_pred: np.ndarray, labels: tuple[str, ...]
) -> None:
    with pytest.raises(InputError):
        metrics.multilabel_scores(y_true, y_pred, labels)


@pytest.mark.parametrize("fixture", FIXTURES)
def test_metrics_count_metrics_weighted_match_sklearn_sample_weight(fixture: str) -> None:
    y_true, y_pred = _fixture(fixture)
    k = y_true.shape[1]
    weights = np.random.default_rng(3).integers(0, 4, size=(2, len(y_true)))
    weights[:, 0] = 1  # no all-zero row
    references = {
        metrics.f1_per_label: lambda w: sk.f1_score(
            y_true, y_pred, average=None, labels=range(k), zero_division=0, sample_weight=w
        ),
        metrics.precision_per_label: lambda w: sk.precision_score(
            y_true, y_pred, average=None, labels=range(k), zero_division=0, sample_weight=w
        ),
        metrics.recall_per_label: lambda w: sk.recall_score(
            y_true, y_pred, average=None, labels=range(k), zero_division=0, sample_weight=w
        ),
        metrics.micro_f1: lambda w: sk.f1_score(y_true, y_pred, average="micro", zero_division=0, sample_weight=w),
        metrics.macro_f1: lambda w: sk.f1_score(
            y_true, y_pred, average="macro", labels=range(k), zero_division=0, sample_weight=w
        ),
        metrics.subset_accuracy: lambda w: sk.accuracy_score(y_true, y_pred, sample_weight=w),
        metrics.hamming_loss: lambda w: sk.hamming_loss(y_true, y_pred, sample_weight=w),
    }
    for metric, reference in references.items():
        np.testing.assert_allclose(metric(y_true, y_pred), reference(None), atol=1e-12, err_msg=metric.name)
        batched = metric(y_true, y_pred, weights)
        for b in range(len(weights)):
            np.testing.assert_allclose(batched[b], reference(weights[b]), atol=1e-12, err_msg=metric.name)


# ---------------------------------------------------------------------------- bootstrap
def _noisy_data(n: int, seed: int = 0, flip: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y_true = (rng.random((n, 4)) < 0.3).astype(int)
    return y_true, _noisy(y_true, rng, flip)


SCALAR_METRICS = [metrics.macro_f1, metrics.micro_f1, metrics.subset_accuracy, metrics.hamming_loss]
ALL_METRICS = [metrics.f1_per_label, metrics.precision_per_label, metrics.recall_per_label, *SCALAR_METRICS]


@pytest.mark.parametrize("metric", ALL_METRICS, ids=lambda m: m.name)
@pytest.mark.parametrize("grouped", [False, True])
def test_metrics_bootstrap_ci_contains_point_estimate(metric: metrics.CountMetric, grouped: bool) -> None:
    y_true, y_pred = _noisy_data(400)
    groups = np.arange(400) // 8 if grouped else None
    low, high = metrics.bootstrap_ci(y_true, y_pred, metric, groups=groups, n_resamples=300)
    point = metric(y_true, y_pred)
    assert np.all(low <= point) and np.all(point <= high)
    assert np.all(high - low > 0)


@pytest.mark.parametrize("metric", ALL_METRICS, ids=lambda m: m.name)
def test_metrics_bootstrap_ci_narrows_with_more_data(metric: metrics.CountMetric) -> None:
    y_true, y_pred = _noisy_data(150)
    low, high = metrics.bootstrap_ci(y_true, y_pred, metric, n_resamples=300)
    big_low, big_high = metrics.bootstrap_ci(np.tile(y_true, (6, 1)), np.tile(y_pred, (6, 1)), metric, n_resamples=300)
    assert np.all(big_high - big_low < 0.7 * (high - low))


def test_metrics_bootstrap_cluster_wider_than_iid_when_groups_correlated() -> None:
    # 40 articles of 15 sentences; within an article the tagger is either right or wrong on all.
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(40), 15)
    y_true = (rng.random((600, 4)) < 0.4).astype(int)
    article_wrong = rng.random(40) < 0.4
    y_pred = np.where(article_wrong[groups][:, None], 1 - y_true, y_true)
    for metric in (metrics.macro_f1, metrics.subset_accuracy):
        iid = metrics.bootstrap_ci(y_true, y_pred, metric, n_resamples=500)
        cluster = metrics.bootstrap_ci(y_true, y_pred, metric, groups=groups, n_resamples=500)
        assert cluster[1] - cluster[0] > 2.0 * (iid[1] - iid[0]), metric.name


def test_metrics_bootstrap_groups_of_one_equal_iid() -> None:
    y_true, y_pred = _noisy_data(200)
    iid = metrics.bootstrap_ci(y_true, y_pred, metrics.f1_per_label, n_resamples=200, seed=4)
    singletons = metrics.bootstrap_ci(
        y_true, y_pred, metrics.f1_per_label, groups=[f"id{i:04d}" for i in range(200)], n_resamples=200, seed=4
    )
    np.testing.assert_array_equal(iid, singletons)


@pytest.mark.parametrize("grouped", [False, True])
def test_metrics_bootstrap_deterministic_given_seed(grouped: bool) -> None:
    y_true, y_pred = _noisy_data(300)
    groups = np.arange(300) % 37 if grouped else None
    first = metrics.bootstrap_ci(y_true, y_pred, metrics.f1_per_label, groups=groups, n_resamples=200, seed=11)
    again = metrics.bootstrap_ci(y_true, y_pred, metrics.f1_per_label, groups=groups, n_resamples=200, seed=11)
    other = metrics.bootstrap_ci(y_true, y_pred, metrics.f1_per_label, groups=groups, n_resamples=200, seed=12)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("grouped", [False, True])
def test_metrics_bootstrap_callable_agrees_with_vectorised(grouped: bool) -> None:
    y_true, y_pred = _noisy_data(120)
    groups = np.arange(120) // 6 if grouped else None
    vectorised = metrics.bootstrap_ci(y_true, y_pred, metrics.f1_per_label, groups=groups, n_resamples=100, seed=5)
    looped = metrics.bootstrap_ci(
        y_true, y_pred, lambda a, b: metrics.f1_per_label(a, b), groups=groups, n_resamples=100, seed=5
    )
    np.testing.assert_allclose(vectorised, looped, atol=1e-12)


@pytest.mark.parametrize("kwargs", [{"n_resamples": 0}, {"alpha": 0.0}, {"alpha": 1.0}, {"groups": [0, 1]}])
def test_metrics_bootstrap_rejects_bad_arguments(kwargs: dict) -> None:
    y_true, y_pred = _noisy_data(10)
    with pytest.raises(InputError):
        metrics.bootstrap_ci(y_true, y_pred, metrics.macro_f1, **kwargs)


# ---------------------------------------------------------------------------- calibration
EDGE_PROBS = np.array([0.0, 0.1, 0.1000001, 0.2, 0.35, 0.5, 0.5, 0.7, 0.9, 0.95, 1.0, 1.0])


@pytest.mark.parametrize("n_bins", [1, 5, 10])
@pytest.mark.parametrize("seed", [0, 1])
def test_metrics_reliability_bins_match_sklearn_calibration_curve(n_bins: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    probs = np.column_stack([rng.random(200), rng.random(200) ** 3, np.resize(EDGE_PROBS, 200)])
    y_true = (rng.random((200, 3)) < probs).astype(int)
    y_true[:2] = [[0, 0, 0], [1, 1, 1]]  # both classes present for sklearn
    mean_prob, frac_positive, count = metrics.reliability_bins(y_true, probs, n_bins)
    ece = metrics.expected_calibration_error(y_true, probs, n_bins)
    edges = np.linspace(0, 1, n_bins + 1)
    for j in range(3):
        prob_true, prob_pred = calibration_curve(y_true[:, j], probs[:, j], n_bins=n_bins, strategy="uniform")
        filled = count[j] > 0
        np.testing.assert_allclose(mean_prob[j][filled], prob_pred, atol=1e-12)
        np.testing.assert_allclose(frac_positive[j][filled], prob_true, atol=1e-12)
        # bins: [0, e1], then (e_b, e_b+1]; counted here by brute force
        in_bin = [
            (probs[:, j] >= lo if b == 0 else probs[:, j] > lo) & (probs[:, j] <= hi)
            for b, (lo, hi) in enumerate(itertools.pairwise(edges))
        ]
        np.testing.assert_array_equal(count[j], [m.sum() for m in in_bin])
        reference = sum(m.sum() / 200 * abs(probs[m, j].mean() - y_true[m, j].mean()) for m in in_bin if m.any())
        assert ece[j] == pytest.approx(reference, abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_ece_small_when_calibrated_large_when_overconfident(seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.random((20_000, 4))
    y_true = (rng.random(truth.shape) < truth).astype(int)
    calibrated = metrics.expected_calibration_error(y_true, truth)
    overconfident = metrics.expected_calibration_error(y_true, np.where(truth > 0.5, 0.99, 0.01))
    assert np.all(calibrated < 0.02)
    assert np.all(overconfident > 0.15)


def test_metrics_calibration_summary_is_plain_and_complete() -> None:
    y_true = np.array([[1, 0], [0, 0], [1, 1]])
    probs = np.array([[0.9, 0.05], [0.15, 0.05], [0.95, 0.6]])
    summary = metrics.calibration_summary(y_true, probs, ["a", "b"], n_bins=4)
    assert summary["bin_edges"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert summary["per_label"]["a"]["count"] == [1, 0, 0, 2]
    assert summary["per_label"]["a"]["mean_prob"][1] is None
    assert summary["per_label"]["b"]["frac_positive"] == [0.0, None, 1.0, None]
    assert summary["mean_ece"] == pytest.approx(np.mean([summary["per_label"][n]["ece"] for n in "ab"]))


@pytest.mark.parametrize("probs", [[[np.nan]], [[1.5]], [[-0.2]], [[np.inf]]])
def test_metrics_calibration_rejects_non_probabilities(probs: list) -> None:
    with pytest.raises(InputError):
        metrics.expected_calibration_error([[1]], probs)


# ---------------------------------------------------------------------------- confusion
def _single_label_fixture() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """At most one label per item; class index 4 means no label."""
    rng = np.random.default_rng(2)
    gold = rng.integers(0, 5, 200)
    pred = np.where(rng.random(200) < 0.6, gold, rng.integers(0, 5, 200))
    eye = np.vstack([np.eye(4, dtype=int), np.zeros((1, 4), dtype=int)])
    return gold, pred, eye[gold], eye[pred]


@pytest.mark.parametrize("key", ["matrix", "errors"])
def test_metrics_label_confusion_single_label_equals_sklearn(key: str) -> None:
    gold, pred, y_true, y_pred = _single_label_fixture()
    confusion = metrics.label_confusion(y_true, y_pred, LABELS)
    assert confusion["labels"] == [*LABELS, "none"]
    np.testing.assert_array_equal(confusion[key], sk.confusion_matrix(gold, pred, labels=range(5)))


def test_metrics_label_confusion_multilabel_definition() -> None:
    names = ["a", "b", "c"]
    y_true = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 0], [1, 0, 0], [0, 0, 0]])
    y_pred = np.array([[1, 0, 1], [0, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
    confusion = metrics.label_confusion(y_true, y_pred, names)
    # co-occurrence: gold {a,b}/pred {a,c} adds [a][a],[a][c],[b][a],[b][c]
    assert confusion["matrix"] == [
        [2, 1, 1, 1],
        [1, 0, 1, 0],
        [0, 0, 0, 0],
        [0, 1, 0, 1],
    ]
    # errors: b taken for c; a missed; b spurious twice (empty gold, correct a); one empty/empty
    assert confusion["errors"] == [
        [2, 0, 0, 1],
        [0, 0, 1, 0],
        [0, 0, 0, 0],
        [0, 2, 0, 1],
    ]
    assert confusion["top"] == [
        {"gold": "none", "predicted": "b", "count": 2},
        {"gold": "a", "predicted": "none", "count": 1},
        {"gold": "b", "predicted": "c", "count": 1},
    ]


def test_metrics_label_confusion_perfect_multilabel_has_no_top_confusions() -> None:
    y_true = np.array([[1, 0, 1, 0], [0, 1, 1, 1], [0, 0, 0, 0]])
    confusion = metrics.label_confusion(y_true, y_true, LABELS)
    assert confusion["top"] == []
    assert confusion["matrix"][0][2] == 1  # co-occurrence still shows the label pair
    assert np.count_nonzero(np.array(confusion["errors"]) - np.diag(np.diag(confusion["errors"]))) == 0


def test_metrics_label_confusion_top_is_sorted_and_limited() -> None:
    _, _, y_true, y_pred = _single_label_fixture()
    top = metrics.label_confusion(y_true, y_pred, LABELS, top=5)["top"]
    assert len(top) == 5
    assert [c["count"] for c in top] == sorted((c["count"] for c in top), reverse=True)
    assert all(c["gold"] != c["predicted"] for c in top)


def test_metrics_label_confusion_label_called_none() -> None:
    confusion = metrics.label_confusion([[1, 0]], [[0, 0]], ["none", "x"])
    assert confusion["labels"] == ["none", "x", "<none>"]
    assert confusion["top"] == [{"gold": "none", "predicted": "<none>", "count": 1}]


# ---------------------------------------------------------------------------- multi-class
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_multiclass_scores_match_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    classes = list(PRIMARY_LABELS)
    gold = [classes[i] for i in rng.integers(0, 4, 80)]  # "other" never gold: support 0
    pred = [g if rng.random() < 0.6 else classes[rng.integers(0, 5)] for g in gold]
    scores = metrics.multiclass_scores(gold, pred)
    assert scores["classes"] == classes
    assert scores["accuracy"] == pytest.approx(sk.accuracy_score(gold, pred), abs=1e-12)
    np.testing.assert_array_equal(scores["matrix"], sk.confusion_matrix(gold, pred, labels=classes))
    precision, recall, f1, support = sk.precision_recall_fscore_support(gold, pred, labels=classes, zero_division=0)
    for j, name in enumerate(classes):
        entry = scores["per_class"][name]
        assert (entry["precision"], entry["recall"], entry["f1"]) == pytest.approx(
            (precision[j], recall[j], f1[j]), abs=1e-12
        )
        assert entry["support"] == support[j]
    assert scores["per_class"]["other"]["support"] == 0
    assert scores["macro_f1"] == pytest.approx(
        sk.f1_score(gold, pred, labels=classes, average="macro", zero_division=0)
    )


def test_metrics_multiclass_scores_unknown_class_is_label_error() -> None:
    with pytest.raises(LabelError, match="'rumour'"):
        metrics.multiclass_scores(["warning"], ["rumour"])
