"""The evaluation harness, against a small fake tagger (no real model needed)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from asnclf import evaluation, metrics
from asnclf.corpus import LabeledData, read_labeled
from asnclf.errors import InputError, LabelError
from asnclf.labels import ASN_LABELS, LABELS, OTHER, LabelSet

SENTIMENT = LabelSet(("positive", "neutral", "negative"), multi_label=False)


@dataclass
class FakeResult:
    labels: list[str]
    primary: str
    scores: dict[str, float]


class FakeTagger:
    """Predicts a label when its marker ``<name>`` appears in the text (probability 0.85).

    The test data writes markers for the labels the tagger should "find", which differ from
    the gold labels on purpose, so every score is known in advance.
    """

    def __init__(self, labels: LabelSet = ASN_LABELS) -> None:
        self.labels = labels
        self.contexts: list[Any] = []

    def predict_proba(self, texts: Sequence[str], *, context: Any = None) -> np.ndarray:
        self.contexts.append(context)
        return np.array([[0.85 if f"<{name}>" in text else 0.1 for name in self.labels.names] for text in texts])

    def predict(self, texts: Sequence[str], *, context: Any = None) -> np.ndarray:
        return (self.predict_proba(texts, context=context) >= 0.5).astype(np.int8)

    def tag_many(self, texts: Sequence[str]) -> list[FakeResult]:
        results = []
        for text in texts:
            counts = Counter({name: text.count(f"<{name}>") for name in self.labels.names})
            found = [name for name in self.labels.names if counts[name]]
            primary = max(found, key=lambda name: counts[name]) if found else OTHER
            scores = {name: 0.85 if name in found else 0.1 for name in self.labels.names}
            results.append(FakeResult(found, primary, scores))
        return results

    def describe(self) -> dict[str, Any]:
        return {"kind": "fake", "labels": list(self.labels.names)}


class DecidingFakeTagger(FakeTagger):
    """A fake with the model kinds' ``decide``: evaluate must not call ``predict`` then."""

    def predict(self, texts: Sequence[str], *, context: Any = None) -> np.ndarray:
        raise AssertionError("evaluate should use decide(predict_proba) instead")

    def decide(self, probabilities: np.ndarray) -> np.ndarray:
        return (probabilities >= 0.5).astype(np.int8)


def _marked(index: str, gold: list[str], rng: np.random.Generator, names: Sequence[str]) -> str:
    """A sentence whose markers are the gold labels, each dropped 20% and one added 10% of the time."""
    found = [name for name in gold if rng.random() > 0.2]
    if rng.random() < 0.1:
        found.append(str(rng.choice(list(names))))
    return f"Kalimat {index} " + " ".join(f"<{name}>" for name in found)


def _write_corpus(path: Path, n_articles: int = 24, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    lines = []
    for a in range(n_articles):
        units = []
        for s in range(int(rng.integers(2, 7))):
            gold = [name for name in LABELS if rng.random() < 0.3]
            units.append({"text": _marked(f"{a}-{s}", gold, rng, LABELS), "labels": gold})
        counts = Counter(label for unit in units for label in unit["labels"])
        primary = counts.most_common(1)[0][0] if counts else OTHER
        title, *sentences = units
        lines.append(
            json.dumps(
                {
                    "id": f"a-{a:03d}",
                    "title": title["text"],
                    "title_labels": title["labels"],
                    "primary": primary,
                    "sentences": sentences,
                }
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _write_flat(path: Path, label_set: LabelSet, n: int = 60, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        if label_set.multi_label:
            gold = [name for name in label_set.names if rng.random() < 0.3]
            text = _marked(str(i), gold, rng, label_set.names)
        else:
            gold = [str(rng.choice(list(label_set.names)))]
            shown = gold[0] if rng.random() < 0.75 else str(rng.choice(list(label_set.names)))
            text = f"Kalimat {i} <{shown}>"
        rows.append(json.dumps({"text": text, "labels": gold}))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> LabeledData:
    return read_labeled(_write_corpus(tmp_path_factory.mktemp("corpus") / "test.jsonl"))


@pytest.fixture(scope="module")
def report(corpus: LabeledData) -> dict[str, Any]:
    return evaluation.evaluate(FakeTagger(), corpus, n_resamples=200, seed=3)


@pytest.fixture(scope="module")
def flat_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data = read_labeled(_write_flat(tmp_path_factory.mktemp("flat") / "flat.jsonl", ASN_LABELS))
    return evaluation.evaluate(FakeTagger(), data, n_resamples=100)


@pytest.fixture(scope="module")
def multiclass_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data = read_labeled(_write_flat(tmp_path_factory.mktemp("mc") / "mc.jsonl", SENTIMENT), label_set=SENTIMENT)
    return evaluation.evaluate(FakeTagger(SENTIMENT), data, n_resamples=100)


REPORTS = ["report", "flat_report", "multiclass_report"]

PER_LABEL_KEYS = {"precision", "recall", "f1", "support", "ci95"}


def test_evaluation_report_has_required_keys(report: dict[str, Any], corpus: LabeledData) -> None:
    assert corpus.articles is not None
    for level in ("sentence", "article"):
        section = report[level]
        assert {
            "macro_f1",
            "micro_f1",
            "per_label",
            "macro_f1_ci95",
            "micro_f1_ci95",
            "subset_accuracy",
            "calibration",
            "confusion",
        } <= set(section)
        assert list(section["per_label"]) == list(LABELS)
        for entry in section["per_label"].values():
            assert set(entry) >= PER_LABEL_KEYS
            assert len(entry["ci95"]) == 2
    assert {"primary_accuracy", "primary_accuracy_ci95", "primary"} <= set(report["article"])
    assert report["model"] == FakeTagger().describe()
    assert report["data"] == {
        "sha256": corpus.sha256,
        "source": corpus.source,
        "articles": len(corpus.articles),
        "sentences": len(corpus.texts),
    }
    assert {"sentences_per_s", "articles_per_s"} <= set(report["throughput"])
    assert report["throughput"]["sentences_per_s"] > 0 and report["throughput"]["articles_per_s"] > 0
    assert {"n_resamples", "seed", "versions", "git_revision", "data_sha256"} <= set(report["provenance"])
    assert (report["provenance"]["n_resamples"], report["provenance"]["seed"]) == (200, 3)


def _walk(value: Any) -> list[Any]:
    if isinstance(value, dict):
        assert all(isinstance(k, str) for k in value)
        return [leaf for v in value.values() for leaf in _walk(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _walk(v)]
    return [value]


@pytest.mark.parametrize("name", REPORTS)
def test_evaluation_report_is_plain_json(name: str, request: pytest.FixtureRequest) -> None:
    result = request.getfixturevalue(name)
    assert all(leaf is None or type(leaf) in (bool, int, float, str) for leaf in _walk(result))
    assert json.loads(json.dumps(result, allow_nan=False)) == result


def test_evaluation_scores_match_metrics(report: dict[str, Any], corpus: LabeledData) -> None:
    tagger = FakeTagger()
    assert corpus.articles is not None
    sentence = metrics.multilabel_scores(ASN_LABELS.encode(corpus.labels), tagger.predict(corpus.texts), LABELS)
    for name in LABELS:
        for key in ("precision", "recall", "f1", "support"):
            assert report["sentence"]["per_label"][name][key] == sentence["per_label"][name][key]
    assert report["sentence"]["macro_f1"] == sentence["macro_f1"]
    results = tagger.tag_many([a.text for a in corpus.articles])
    article = metrics.multilabel_scores(
        ASN_LABELS.encode([a.labels for a in corpus.articles]), ASN_LABELS.encode([r.labels for r in results]), LABELS
    )
    assert report["article"]["micro_f1"] == article["micro_f1"]
    accuracy = np.mean([a.primary == r.primary for a, r in zip(corpus.articles, results, strict=True)])
    assert report["article"]["primary_accuracy"] == pytest.approx(accuracy)
    assert report["article"]["primary"]["classes"] == [*LABELS, OTHER]
    assert sum(map(sum, report["article"]["primary"]["matrix"])) == len(corpus.articles)
    assert 0 < report["sentence"]["macro_f1"] < 1  # the fixture is neither trivial nor hopeless


@pytest.mark.parametrize("level", ["sentence", "article"])
def test_evaluation_ci_contains_point_estimate(report: dict[str, Any], level: str) -> None:
    section = report[level]
    pairs = [(e["f1"], e["ci95"]) for e in section["per_label"].values()]
    pairs += [(section[m], section[f"{m}_ci95"]) for m in ("macro_f1", "micro_f1", "subset_accuracy")]
    for value, (low, high) in pairs:
        assert low <= value <= high


def test_evaluation_sentence_ci_resamples_articles(report: dict[str, Any], corpus: LabeledData) -> None:
    assert report["sentence"]["ci_method"] == "cluster bootstrap over articles"
    groups = [i for i, a in enumerate(corpus.articles or []) for _ in a.units]
    y_true, y_pred = ASN_LABELS.encode(corpus.labels), FakeTagger().predict(corpus.texts)
    expected = metrics.bootstrap_ci(y_true, y_pred, metrics.macro_f1, groups=groups, n_resamples=200, seed=3)
    assert report["sentence"]["macro_f1_ci95"] == list(expected)


@pytest.mark.parametrize("with_articles", [True, False])
def test_evaluation_passes_sentence_context(corpus: LabeledData, tmp_path: Path, with_articles: bool) -> None:
    data = corpus if with_articles else read_labeled(_write_flat(tmp_path / "flat.jsonl", ASN_LABELS))
    tagger = FakeTagger()
    evaluation.evaluate(tagger, data, n_resamples=10)
    assert tagger.contexts[0] == data.context
    assert (tagger.contexts[0] is not None) == with_articles


def test_evaluation_deterministic_given_seed(report: dict[str, Any], corpus: LabeledData) -> None:
    again = evaluation.evaluate(DecidingFakeTagger(), corpus, n_resamples=200, seed=3)
    for level in ("sentence", "article"):
        assert again[level] == report[level]


def test_evaluation_calibration_and_confusion_present(report: dict[str, Any]) -> None:
    for level in ("sentence", "article"):
        calibration = report[level]["calibration"]
        assert set(calibration["per_label"]) == set(LABELS)
        assert all(0 <= entry["ece"] <= 1 for entry in calibration["per_label"].values())
        confusion = report[level]["confusion"]
        assert confusion["labels"] == [*LABELS, "none"]
        assert len(confusion["matrix"]) == len(LABELS) + 1
    assert report["sentence"]["confusion"]["top"]  # the fixture makes mistakes


def test_evaluation_flat_data_has_null_article(flat_report: dict[str, Any]) -> None:
    assert flat_report["article"] is None
    assert flat_report["data"]["articles"] == 0
    assert flat_report["throughput"]["articles_per_s"] is None
    assert flat_report["sentence"]["ci_method"] == "bootstrap over sentences"


def test_evaluation_multiclass_label_set(multiclass_report: dict[str, Any]) -> None:
    sentence = multiclass_report["sentence"]
    assert list(sentence["per_label"]) == list(SENTIMENT.names)
    assert multiclass_report["labels"] == list(SENTIMENT.names) and multiclass_report["multi_label"] is False
    assert 0.5 < sentence["accuracy"] < 1
    assert sentence["accuracy"] == sentence["subset_accuracy"]


@pytest.mark.parametrize("name", REPORTS)
def test_evaluation_markdown_mentions_every_label(name: str, request: pytest.FixtureRequest) -> None:
    result = request.getfixturevalue(name)
    text = evaluation.to_markdown(result)
    for label in result["labels"]:
        assert label in text
    assert "## Sentence level" in text and "## Provenance" in text
    assert ("## Article level" in text) == (result["article"] is not None)


def test_evaluation_markdown_escapes_table_cells(report: dict[str, Any]) -> None:
    odd = json.loads(json.dumps(report))
    odd["data"]["source"] = "a|b.jsonl"
    assert "a\\|b.jsonl" in evaluation.to_markdown(odd)


@pytest.fixture(scope="module")
def written(report: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return evaluation.write_report(report, tmp_path_factory.mktemp("written") / "out" / "nested")


def test_evaluation_write_report_writes_all_files(report: dict[str, Any], written: dict[str, Path]) -> None:
    assert set(written) == {"json", "md", "png"}
    assert json.loads(written["json"].read_text(encoding="utf-8")) == report
    assert written["md"].read_text(encoding="utf-8") == evaluation.to_markdown(report)
    assert written["png"].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert written["png"].stat().st_size > 1000
    assert sorted(p.name for p in written["json"].parent.iterdir()) == ["report.json", "report.md", "report.png"]


def test_evaluation_plot_report_writes_png_without_articles(flat_report: dict[str, Any], tmp_path: Path) -> None:
    path = evaluation.plot_report(flat_report, tmp_path / "f1.png")
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert path.stat().st_size > 1000


def test_evaluation_write_report_keeps_old_files_when_rendering_fails(
    report: dict[str, Any], written: dict[str, Path], tmp_path: Path
) -> None:
    directory = Path(shutil.copytree(written["json"].parent, tmp_path / "out"))
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    broken = dict(report, model={"kind": "fake", "bad": float("nan")})
    with pytest.raises(ValueError):
        evaluation.write_report(broken, directory)
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == before


class WrongShapeTagger(FakeTagger):
    def predict_proba(self, texts: Sequence[str], *, context: Any = None) -> np.ndarray:
        return super().predict_proba(texts)[:, :3]


class UnknownLabelTagger(FakeTagger):
    def tag_many(self, texts: Sequence[str]) -> list[FakeResult]:
        return [FakeResult(["rumour"], OTHER, {}) for _ in texts]


class ShortTagger(FakeTagger):
    def tag_many(self, texts: Sequence[str]) -> list[FakeResult]:
        return super().tag_many(texts)[:-1]


@pytest.mark.parametrize(
    ("tagger", "error", "message"),
    [
        (WrongShapeTagger(), InputError, "predict_proba returned shape"),
        (UnknownLabelTagger(), LabelError, "rumour"),
        (ShortTagger(), InputError, "results for"),
    ],
)
def test_evaluation_rejects_bad_tagger_output(
    corpus: LabeledData, tagger: FakeTagger, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        evaluation.evaluate(tagger, corpus, n_resamples=10)


def test_evaluation_rejects_empty_data() -> None:
    with pytest.raises(InputError, match="no sentences"):
        evaluation.evaluate(FakeTagger(), LabeledData([], [], None, "0" * 64, "empty.jsonl"), n_resamples=10)


def test_evaluation_article_calibration_null_when_scores_missing(corpus: LabeledData) -> None:
    class NoScores(FakeTagger):
        def tag_many(self, texts: Sequence[str]) -> list[FakeResult]:
            return [FakeResult(r.labels, r.primary, {}) for r in super().tag_many(texts)]

    result = evaluation.evaluate(NoScores(), corpus, n_resamples=10)
    assert result["article"]["calibration"] is None
    assert result["sentence"]["calibration"] is not None
    assert "ECE (article)" in evaluation.to_markdown(result)
