"""``asnclf bench``: suites, seeds, statistics, outputs, skipping, merging, and IndoNLU's metric."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from asnclf import bench, metrics
from asnclf.cli import main
from asnclf.errors import ConfigError, InputError
from asnclf.labels import LabelSet
from tests.test_benchmark_data import MARKER, write_fake_benchmarks

FAST = [
    "tfidf.char_ngrams=[2,3]",
    "tfidf.max_char_features=2000",
    "tfidf.max_word_features=2000",
    "small.char_ngrams=[2,3]",
    "small.max_char_features=2000",
    "small.max_word_features=2000",
    "small.C=0.05",
]


@pytest.fixture(scope="module")
def fake_dir(tmp_path_factory) -> Path:
    return write_fake_benchmarks(tmp_path_factory.mktemp("benchmarks"), only=("smsa", "casa"))


@pytest.fixture(scope="module")
def written(fake_dir: Path, tmp_path_factory) -> dict[str, Path]:
    """A two-model, two-seed indonlu bench over SmSA and CASA (EmoT missing: skipped)."""
    plans = bench.build_plans(
        ["tfidf", "small=tfidf"], seeds=2, seeds_for=["small=1"], max_train=["small=30"], overrides=FAST
    )
    out = tmp_path_factory.mktemp("results")
    return bench.bench_to_files(
        "indonlu",
        plans,
        out,
        data_dir=fake_dir,
        n_resamples=50,
        figures=False,  # charts: see test_bench_cli_round_trip
        command="asnclf bench test",
        log=lambda message: None,
    )


@pytest.fixture(scope="module")
def results(written: dict[str, Path]) -> dict[str, Any]:
    return json.loads(written["json"].read_text(encoding="utf-8"))


def test_bench_writes_every_output(written: dict[str, Path]) -> None:
    assert {p.name for p in written.values()} == {"bench_indonlu.json", "bench_indonlu.md", "bench_indonlu.html"}


def test_bench_runs_every_seed_and_records_provenance(results: dict[str, Any]) -> None:
    runs = {(r["dataset"], r["model"], r["seed"]) for r in results["runs"]}
    assert runs == {
        ("smsa", "tfidf", 0),
        ("smsa", "tfidf", 1),
        ("smsa", "small", 0),
        ("casa", "tfidf", 0),
        ("casa", "tfidf", 1),
        ("casa", "small", 0),
    }
    for run in results["runs"]:
        assert re.fullmatch(r"[0-9a-f]{64}", run["config_sha256"]) and run["config"]["seed"] == run["seed"]
        assert re.fullmatch(r"[0-9a-f]{64}", run["test"]["sha256"]) and run["train"]["sha256"]
        assert len(run["predictions"]) == run["test"]["sentences"] == 30
        assert (run["report"] is not None) == (run["seed"] == 0)
    small = [r for r in results["runs"] if r["model"] == "small"]
    assert all(r["train"]["rows"] == 30 and r["train"]["of"] == 60 for r in small)
    prov = results["provenance"]
    assert {"versions", "git_revision", "created", "machine"} <= set(prov)
    assert results["command"] == "asnclf bench test"
    assert set(results["datasets"]["smsa"]["files"]) == {"train", "valid", "test"}


def test_bench_skips_missing_datasets_with_a_message(results: dict[str, Any], written: dict[str, Path]) -> None:
    assert list(results["skipped"]) == ["emot"]
    assert "--data-dir" in results["skipped"]["emot"]
    assert "Skipped emot" in written["md"].read_text(encoding="utf-8")


def test_bench_summary_has_seed_statistics_and_paired_tests(results: dict[str, Any]) -> None:
    for dataset in ("smsa", "casa"):
        entry = results["summary"][dataset]
        tfidf = entry["models"]["tfidf"]
        scores = [r["test"]["score"] for r in results["runs"] if r["dataset"] == dataset and r["model"] == "tfidf"]
        assert tfidf["score"]["mean"] == pytest.approx(np.mean(scores)) and tfidf["score"]["n"] == 2
        assert entry["models"]["small"]["score"]["std"] is None
        assert tfidf["metric"] == "indonlu_f1"
        (test,) = entry["tests"]
        assert {test["a"], test["b"]} == {"small", "tfidf"} and 0 < test["p_value"] <= 1
        assert test["n_resamples"] == 10_000


def test_bench_headline_metric_is_indonlus(results: dict[str, Any], fake_dir: Path) -> None:
    """The recorded CASA score is IndoNLU's absa_metrics_fn F1 of the stored predictions."""
    from sklearn.metrics import f1_score

    dataset = bench.load_suite_dataset("casa", fake_dir)
    run = next(r for r in results["runs"] if r["dataset"] == "casa" and r["model"] == "tfidf")
    names = dataset.label_set.names
    predicted = [[names[i].split(":")[1] for i in row] for row in run["predictions"]]
    gold = [[label.split(":")[1] for label in labels] for labels in dataset.splits["test"].labels]
    flat_pred, flat_gold = list(itertools.chain(*predicted)), list(itertools.chain(*gold))
    assert run["test"]["score"] == pytest.approx(f1_score(flat_gold, flat_pred, average="macro"))


def test_bench_markdown_has_published_rows_and_subset_marks(written: dict[str, Path]) -> None:
    text = written["md"].read_text(encoding="utf-8")
    assert "| IndoBERT-base p1 | published | 87.73 | 93.23 |" in text
    assert "Wilie" in text and "AACL-IJCNLP 2020" in text
    assert re.search(r"\| asnclf small \| this run \| [0-9.]+† \|", text)  # 30 of 60 rows, one seed
    assert re.search(r"\| asnclf tfidf \| this run \| [0-9.]+ ± [0-9.]+† \|", text)  # two seeds
    assert "30 / 60" in text and "C=0.05" in text


def test_bench_outputs_hold_no_benchmark_text(written: dict[str, Path]) -> None:
    for path in [written["json"], written["md"], written["html"]]:
        assert MARKER not in path.read_text(encoding="utf-8"), path


def test_bench_html_is_self_contained(written: dict[str, Path]) -> None:
    html = written["html"].read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<title>asnclf benchmark: indonlu</title>" in html
    assert "<script" not in html and not re.search(r"""(src|href)=["'](?!data:|#)""", html)


def test_bench_merge_and_render_only(written: dict[str, Path], fake_dir: Path) -> None:
    output = written["json"].parent
    plans = bench.build_plans(["tfidf"], seeds=1, overrides=FAST[:3])
    again = bench.bench_to_files(
        "indonlu",
        plans,
        output,
        data_dir=fake_dir,
        datasets=["casa"],
        merge=True,
        n_resamples=20,
        figures=False,
        command="asnclf bench again",
        notes=["CASA rerun for the test."],
        log=lambda m: None,
    )
    merged = json.loads(again["json"].read_text(encoding="utf-8"))
    runs = {(r["dataset"], r["model"], r["seed"]) for r in merged["runs"]}
    assert ("casa", "tfidf", 1) not in runs and ("casa", "tfidf", 0) in runs and ("smsa", "tfidf", 1) in runs
    assert [h["command"] for h in merged["history"]] == ["asnclf bench test", "asnclf bench again"]
    markdown = again["md"].read_text(encoding="utf-8")
    assert (
        "Commands (each replaced the runs it lists):" in markdown and "- `asnclf bench again` (casa/tfidf;" in markdown
    )
    assert "Note: CASA rerun for the test." in markdown and merged["notes"] == ["CASA rerun for the test."]
    before = again["md"].read_text(encoding="utf-8")
    rendered = bench.bench_to_files("indonlu", [], output, data_dir=fake_dir, render_only=True, figures=False)
    assert rendered["md"].read_text(encoding="utf-8") == before


def test_bench_build_plans_options() -> None:
    plans = bench.build_plans(
        ["tfidf", "big=tfidf"],
        seeds=3,
        seeds_for=["big=1"],
        max_train=["200", "big=50"],
        max_dev=["big=10"],
        overrides=["big.C=2"],
    )
    assert [(p.name, p.kind, p.seeds, p.max_train, p.max_dev) for p in plans] == [
        ("tfidf", "tfidf", (0, 1, 2), 200, None),
        ("big", "tfidf", (0,), 50, 10),
    ]
    assert plans[1].config.C == 2.0 and plans[0].config.C != 2.0
    with pytest.raises(ConfigError, match="twice"):
        bench.build_plans(["tfidf", "tfidf"])
    with pytest.raises(ConfigError, match="--set"):
        bench.build_plans(["tfidf"], overrides=["other.C=1"])
    with pytest.raises(ConfigError, match="--max-train"):
        bench.build_plans(["tfidf"], max_train=["many"])


def test_bench_unknown_suite_or_dataset() -> None:
    with pytest.raises(InputError, match="unknown suite"):
        bench.run_bench("glue", [])
    with pytest.raises(InputError, match="not in suite"):
        bench.run_bench("indonlu", [], datasets=["nusax_senti_ind"])


def test_bench_indonlu_metric_equals_sklearn_on_flattened_pairs() -> None:
    """IndoNLU's definitions: macro-F1 of the flattened (sentence, aspect) pairs; multi-class macro-F1."""
    from sklearn.metrics import accuracy_score, f1_score

    values = ["negative", "neutral", "positive"]
    label_set = LabelSet.from_groups({a: values for a in "abcd"})
    rng = np.random.default_rng(5)
    gold = [[f"{a}:{rng.choice(values, p=[0.1, 0.8, 0.1])}" for a in "abcd"] for _ in range(80)]
    pred = [[f"{a}:{rng.choice(values, p=[0.2, 0.6, 0.2])}" for a in "abcd"] for _ in range(80)]
    scores = metrics.indonlu_scores(label_set.encode(gold), label_set.encode(pred), label_set)
    flat_gold = [label.split(":")[1] for row in gold for label in row]
    flat_pred = [label.split(":")[1] for row in pred for label in row]
    assert scores["f1"] == pytest.approx(f1_score(flat_gold, flat_pred, average="macro"))
    assert scores["accuracy"] == pytest.approx(accuracy_score(flat_gold, flat_pred))
    # multi-class, with a class absent from gold and prediction: sklearn leaves it out of the average
    sentiment = LabelSet(("positive", "neutral", "negative"), multi_label=False)
    g, p = ["positive", "neutral", "positive"], ["positive", "positive", "neutral"]
    assert metrics.indonlu_f1(sentiment)(sentiment.encode(g), sentiment.encode(p)) == pytest.approx(
        f1_score(g, p, average="macro")
    )
    with pytest.raises(InputError, match="multi-label"):
        metrics.indonlu_f1(LabelSet())


def test_bench_cli_round_trip(fake_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("ASNCLF_DATA_DIR", str(fake_dir))
    output = tmp_path / "out"
    code = main(
        [
            "bench",
            "indonlu",
            "--models",
            "tfidf",
            "--seeds",
            "1",
            "--datasets",
            "casa",
            "--resamples",
            "20",
            "-o",
            str(output),
            *itertools.chain(*(["--set", s] for s in FAST[:3])),
        ]
    )
    assert code == 0
    results = json.loads((output / "bench_indonlu.json").read_text(encoding="utf-8"))
    assert results["command"].startswith("asnclf bench indonlu --models tfidf")
    assert "written" in capsys.readouterr().err
    figures = sorted(p.name for p in (output / "bench_indonlu_figures").iterdir())
    assert figures == [f"casa_tfidf_{f}.png" for f in sorted(["f1", "reliability", "confusion", "thresholds"])]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in (output / "bench_indonlu_figures").iterdir())
    assert (output / "bench_indonlu.html").read_text(encoding="utf-8").count('src="data:image/png;base64,') == 4
    monkeypatch.setenv("ASNCLF_DATA_DIR", str(tmp_path / "nowhere"))
    assert main(["bench", "nusax-ind", "-o", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert "skipping nusax_senti_ind" in err and "nothing ran" in err
    assert main(["bench", "indonlu", "--models", "tfidf", "--set", "tfidf.nope=1"]) == 2
