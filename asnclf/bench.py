"""``asnclf bench``: several models on a suite of datasets, side by side, with statistics.

A suite is a list of datasets (:data:`SUITES`): ``asn`` (the bundled corpus), ``indonlu``
(SmSA, EmoT, CASA) and ``nusax-ind``. For every dataset, model kind and seed, :func:`run_bench`
trains on the train split (dev split for thresholds and early stopping), scores the test split
with :func:`asnclf.evaluation.evaluate` and keeps the test predictions. :func:`summarize` then
gives, per dataset and model, the mean ± standard deviation over seeds of the dataset's
headline metric (IndoNLU's F1 for the public benchmarks, sentence macro-F1 for ``asn``) and a
paired bootstrap test between every two models; :func:`write_results` writes

- ``bench_<suite>.json``: every run with its config, config hash, data hashes, timings, test
  predictions and (first seed) full evaluation report, plus versions, git revision, machine and
  the command line;
- ``bench_<suite>.md``: our models next to the published rows, then per-dataset detail;
- ``bench_<suite>.html``: the same with charts, one self-contained file;
- ``bench_<suite>_figures/*.png``: the charts (per-label F1 with CIs, reliability diagram,
  confusion heatmap, threshold curves) of every model's first seed on every dataset.

Third-party data is read in place (:mod:`asnclf.benchmark_data`); nothing of it is written
out but hashes, sizes and our models' predictions. A dataset that is not there is skipped
with a message and listed in the results.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from asnclf import evaluation, metrics, stats
from asnclf.artifacts import sha256_json, write_atomic
from asnclf.benchmark_data import BenchmarkDataMissing, Dataset, DatasetSpec, load_dataset, subsample
from asnclf.config import Config
from asnclf.corpus import LabeledData, read_labeled, split_path
from asnclf.errors import ConfigError, InputError
from asnclf.labels import ASN_LABELS, LabelSet
from asnclf.provenance import machine, provenance

SCHEMA_VERSION = 1

SUITES: dict[str, tuple[str, ...]] = {
    "asn": ("asn",),
    "indonlu": ("smsa", "emot", "casa"),
    "nusax-ind": ("nusax_senti_ind",),
}
"""Suite name -> dataset names (``asn`` is the bundled corpus, the others read from the data directory)."""

FIGURE_NAMES = ("f1", "reliability", "confusion", "thresholds")

PUBLISHED: dict[str, dict[str, Any]] = {
    "indonlu": {
        "citation": "Wilie, Vincentio, Winata, Cahyawijaya, Li, Lim, Soleman, Mahendra, Fung, Bahar and Purwarianti "
        "(2020). IndoNLU: Benchmark and Resources for Evaluating Indonesian Natural Language "
        "Understanding. AACL-IJCNLP 2020, https://aclanthology.org/2020.aacl-main.85",
        "metric": "test-set macro-F1 (%); CASA pooled over aspects (IndoNLU absa_metrics_fn)",
        "digits": 2,
        "verified_from": "the IndoNLU results table as quoted in the NusaBERT README "
        "(github.com/LazarusNLP/NusaBERT, commit 0ff63f4); its IndoBERT-base p1 SmSA value 87.73 "
        "is the one the paper reports. fastText rows are left out: no copy of them could be checked.",
        "rows": [
            {"model": "mBERT", "smsa": 84.14, "emot": 67.30, "casa": 72.23},
            {"model": "XLM-R base", "smsa": 91.39, "emot": 71.15, "casa": 91.71},
            {"model": "XLM-R large", "smsa": 92.35, "emot": 78.51, "casa": 92.40},
            {"model": "IndoBERT-base p1", "smsa": 87.73, "emot": 75.48, "casa": 93.23},
            {"model": "IndoBERT-base p2", "smsa": 87.66, "emot": 76.28, "casa": 93.24},
            {"model": "IndoBERT-large p1", "smsa": 92.72, "emot": 77.08, "casa": 95.69},
            {"model": "IndoBERT-large p2", "smsa": 92.03, "emot": 79.47, "casa": 94.94},
        ],
    },
    "nusax-ind": {
        "citation": "Winata et al. (2023). NusaX: Multilingual Parallel Sentiment Dataset for 10 Indonesian Local "
        "Languages. EACL 2023, https://aclanthology.org/2023.eacl-main.57",
        "metric": "test-set macro-F1 (%), Indonesian (ind) column",
        "digits": 1,
        "verified_from": "the NusaX results as quoted in the NusaBERT README (github.com/LazarusNLP/NusaBERT, "
        "commit 0ff63f4)",
        "rows": [
            {"model": "Naive Bayes", "nusax_senti_ind": 73.1},
            {"model": "SVM", "nusax_senti_ind": 78.7},
            {"model": "Logistic regression", "nusax_senti_ind": 74.7},
            {"model": "mBERT base", "nusax_senti_ind": 78.0},
            {"model": "XLM-R base", "nusax_senti_ind": 88.4},
            {"model": "XLM-R large", "nusax_senti_ind": 91.6},
            {"model": "IndoLEM IndoBERT base", "nusax_senti_ind": 87.6},
            {"model": "IndoNLU IndoBERT base", "nusax_senti_ind": 90.0},
            {"model": "IndoNLU IndoBERT large", "nusax_senti_ind": 90.2},
        ],
    },
}
"""Published scores shown next to ours, with where they come from."""


@dataclasses.dataclass(frozen=True)
class ModelPlan:
    """How one model kind is run in a bench.

    Attributes:
        kind: model kind (``tfidf``, ``transformer``, ``rules``).
        config: its configuration (the seed is replaced per run).
        seeds: training seeds.
        max_train: train on a stratified subset of this many items (None: the full split).
        max_dev: use at most this many dev items (None: the full split).
        label: the name it goes by in the results (default: the kind), so that two settings of
            one kind can be compared.
    """

    kind: str
    config: Config
    seeds: tuple[int, ...] = (0, 1, 2)
    max_train: int | None = None
    max_dev: int | None = None
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.kind


# ---------------------------------------------------------------------------- data
def load_suite_dataset(name: str, data_dir: str | Path | None = None) -> Dataset:
    """A dataset of a suite: the bundled corpus for ``asn``, else a benchmark from ``data_dir``."""
    if name != "asn":
        return load_dataset(name, data_dir)
    splits = {
        split: read_labeled(split_path(source), label_set=ASN_LABELS)
        for split, source in (("train", "train"), ("valid", "dev"), ("test", "test"))
    }

    def bundled(path: Path, label_set: LabelSet) -> tuple[list[str], list[list[str]]]:
        raise InputError("the bundled corpus is read with asnclf.corpus.read_labeled")

    spec = DatasetSpec(
        "asn", "asn-news (bundled)", ASN_LABELS, "jsonl", bundled, "sentence macro-F1 over the four labels"
    )
    files = {
        split: {"file": Path(d.source).name, "sha256": d.sha256, "rows": len(d.texts)} for split, d in splits.items()
    }
    return Dataset(
        spec, Path(splits["train"].source).parent, splits, files, "asnclf bundled corpus (asnclf/data/asn_news)"
    )


def headline(label_set: LabelSet) -> tuple[str, Callable[[LabelSet], metrics.CountMetric]]:
    """The dataset's headline metric: IndoNLU's F1 for one-of-k tasks, else sentence macro-F1."""
    if label_set.choices():
        return "indonlu_f1", metrics.indonlu_f1
    return "macro_f1", lambda _labels: metrics.macro_f1


# ---------------------------------------------------------------------------- running
def _fit(plan: ModelPlan, config: Config, dataset: Dataset, train: LabeledData, dev: LabeledData) -> Any:
    """Train one model; returns what :func:`~asnclf.evaluation.evaluate` scores (a model or tagger)."""
    from asnclf.models import model_class

    if dataset.name == "asn":
        from asnclf.tagger import Tagger
        from asnclf.training import train as train_bundled

        return Tagger(train_bundled(plan.kind, config, labels=ASN_LABELS))
    model = model_class(plan.kind)(config, dataset.label_set)
    return model.fit(
        train.texts,
        train.labels,
        context=train.context,
        dev_texts=dev.texts,
        dev_labels=dev.labels,
        dev_context=dev.context,
        data_sha256=train.sha256,
    )


def run_one(
    plan: ModelPlan, seed: int, dataset: Dataset, *, n_resamples: int = 1000, keep_report: bool = True
) -> dict[str, Any]:
    """Train ``plan.kind`` with ``seed`` on ``dataset`` and score its test split.

    Returns:
        The run record (see the module docstring): config and its hash, train/dev sizes and
        subset, timings, headline and other test scores, test predictions (label indices per
        item), training facts, and the full evaluation report when ``keep_report``.
    """
    if dataset.name == "asn" and (plan.max_train or plan.max_dev):
        raise InputError(
            "the asn suite trains on the bundled article splits; --max-train/--max-dev are for flat benchmarks"
        )
    config = plan.config.with_overrides({"seed": str(seed)})
    train = subsample(dataset.splits["train"], plan.max_train, seed=0)
    dev = subsample(dataset.splits["valid"], plan.max_dev, seed=0)
    test = dataset.splits["test"]
    started = time.perf_counter()
    tagger = _fit(plan, config, dataset, train, dev)
    train_seconds = time.perf_counter() - started
    scored = evaluation.score(tagger, test)
    report = evaluation.evaluate(tagger, test, scored=scored, n_resamples=n_resamples, seed=0)
    sentence = report["sentence"]
    key, _ = headline(dataset.label_set)
    score = sentence["indonlu"]["f1"] if key == "indonlu_f1" else sentence["macro_f1"]
    score_ci = sentence["indonlu"]["f1_ci95"] if key == "indonlu_f1" else sentence["macro_f1_ci95"]
    model = getattr(tagger, "model", tagger)
    return {
        "dataset": dataset.name,
        "model": plan.name,
        "kind": plan.kind,
        "seed": seed,
        "config": config.to_dict(),
        "config_sha256": sha256_json(config.to_dict()),
        "train": {
            "rows": len(train.texts),
            "of": len(dataset.splits["train"].texts),
            "subset_seed": 0 if plan.max_train else None,
            "sha256": dataset.splits["train"].sha256,
        },
        "dev": {
            "rows": len(dev.texts),
            "of": len(dataset.splits["valid"].texts),
            "sha256": dataset.splits["valid"].sha256,
        },
        "train_seconds": round(train_seconds, 1),
        "test": {
            "sha256": test.sha256,
            "sentences": len(test.texts),
            "metric": key,
            "score": score,
            "score_ci95": score_ci,
            "macro_f1": sentence["macro_f1"],
            "accuracy": sentence.get("indonlu", {}).get("accuracy", sentence["subset_accuracy"]),
            "sentences_per_s": report["throughput"]["sentences_per_s"],
        },
        "predictions": [np.flatnonzero(row).tolist() for row in scored.y_pred],
        "training": {k: v for k, v in model.training_.items() if k != "history"},
        "report": report if keep_report else None,
    }


def run_bench(
    suite: str,
    plans: Sequence[ModelPlan],
    *,
    data_dir: str | Path | None = None,
    datasets: Sequence[str] | None = None,
    n_resamples: int = 1000,
    command: str = "",
    notes: Sequence[str] = (),
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
) -> dict[str, Any]:
    """Run every plan on every dataset of a suite.

    Args:
        suite: a :data:`SUITES` name.
        plans: the models to run.
        data_dir: benchmark data directory (default: ``$ASNCLF_DATA_DIR`` or ``../shared/data/benchmarks``).
        datasets: a subset of the suite's datasets.
        n_resamples: bootstrap resamples for each run's confidence intervals.
        command: the command line, recorded in the results.
        notes: remarks a reader of the results must see (shown under the table).
        log: progress messages.

    Returns:
        The results dict that :func:`write_results` renders.
    """
    if suite not in SUITES:
        raise InputError(f"unknown suite {suite!r}; suites are {sorted(SUITES)}")
    names = list(datasets or SUITES[suite])
    unknown = [n for n in names if n not in SUITES[suite]]
    if unknown:
        raise InputError(f"dataset(s) {unknown} are not in suite {suite!r}, which has {list(SUITES[suite])}")
    results: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "suite": suite,
        "command": command,
        "notes": list(notes),
        "datasets": {},
        "skipped": {},
        "runs": [],
    }
    for name in names:
        try:
            dataset = load_suite_dataset(name, data_dir)
        except BenchmarkDataMissing as error:
            log(f"asnclf bench: skipping {name}: {error.message}")
            results["skipped"][name] = error.message
            continue
        results["datasets"][name] = dataset.describe()
        for plan in plans:
            for i, seed in enumerate(plan.seeds):
                log(f"asnclf bench: {name} / {plan.name} / seed {seed} ...")
                record = run_one(plan, seed, dataset, n_resamples=n_resamples, keep_report=i == 0)
                log(
                    f"asnclf bench: {name} / {plan.name} / seed {seed}: {record['test']['metric']} "
                    f"{record['test']['score']:.4f} (trained in {record['train_seconds']} s)"
                )
                results["runs"].append(record)
    results["provenance"] = provenance(machine=machine(), n_resamples=n_resamples)
    return results


def merge_results(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` with the runs of ``old`` whose (dataset, model) ``new`` did not run again.

    Commands and provenance of both are kept (``history``) so every number stays traceable.
    """
    if old.get("suite") != new["suite"]:
        raise InputError(f"cannot merge results of suite {old.get('suite')!r} into {new['suite']!r}")
    redone = {(r["dataset"], r["model"]) for r in new["runs"]}
    kept = [r for r in old.get("runs", []) if (r["dataset"], r["model"]) not in redone]
    merged = dict(new)
    merged["runs"] = kept + new["runs"]
    merged["datasets"] = {**old.get("datasets", {}), **new["datasets"]}
    merged["notes"] = [*old.get("notes", []), *new.get("notes", [])]
    merged["skipped"] = {
        k: v for k, v in {**old.get("skipped", {}), **new["skipped"]}.items() if k not in merged["datasets"]
    }
    history = list(old.get("history", [])) or [
        {
            "command": old.get("command"),
            "provenance": old.get("provenance"),
            "runs": sorted({f"{r['dataset']}/{r['model']}" for r in old.get("runs", [])}),
        }
    ]
    merged["history"] = [
        *history,
        {
            "command": new.get("command"),
            "provenance": new.get("provenance"),
            "runs": sorted(f"{d}/{m}" for d, m in redone),
        },
    ]
    return merged


# ---------------------------------------------------------------------------- statistics
def _by_model(results: dict[str, Any], dataset: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for run in results["runs"]:
        if run["dataset"] == dataset:
            out.setdefault(run["model"], []).append(run)
    for runs in out.values():
        runs.sort(key=lambda r: r["seed"])
    return out


def summarize(
    results: dict[str, Any], *, data_dir: str | Path | None = None, n_resamples: int = 10_000
) -> dict[str, Any]:
    """Per dataset: each model's seed summary, and paired bootstrap tests between models.

    The tests compare each model's first-seed predictions on the test split (re-read from
    the data directory; its sha256 must match the runs'). A dataset that cannot be re-read
    keeps its seed summaries and lists no tests.
    """
    summary: dict[str, Any] = {}
    for name in results["datasets"]:
        models = _by_model(results, name)
        entry: dict[str, Any] = {"models": {}, "tests": [], "tests_skipped": None}
        for model, runs in models.items():
            entry["models"][model] = {
                "score": stats.seed_summary([r["test"]["score"] for r in runs]),
                "macro_f1": stats.seed_summary([r["test"]["macro_f1"] for r in runs]),
                "accuracy": stats.seed_summary([r["test"]["accuracy"] for r in runs]),
                "score_ci95_first_seed": runs[0]["test"]["score_ci95"],
                "metric": runs[0]["test"]["metric"],
                "seeds": [r["seed"] for r in runs],
                "train_rows": runs[0]["train"]["rows"],
                "train_of": runs[0]["train"]["of"],
                "dev_rows": runs[0]["dev"]["rows"],
                "train_seconds": stats.seed_summary([r["train_seconds"] for r in runs]),
                "sentences_per_s": runs[0]["test"]["sentences_per_s"],
                "config_sha256": runs[0]["config_sha256"],
            }
        if len(models) >= 2:
            try:
                dataset = load_suite_dataset(name, data_dir)
            except BenchmarkDataMissing as error:
                entry["tests_skipped"] = error.message
            else:
                entry["tests"] = _paired_tests(dataset, models, n_resamples)
        summary[name] = entry
    return summary


def _paired_tests(dataset: Dataset, models: dict[str, list[dict[str, Any]]], n_resamples: int) -> list[dict[str, Any]]:
    test = dataset.splits["test"]
    label_set = dataset.label_set
    y_true = label_set.encode(test.labels)
    _, metric_for = headline(label_set)
    metric = metric_for(label_set)
    groups = evaluation._sentence_groups(test)
    predictions = {}
    for model, runs in models.items():
        if runs[0]["test"]["sha256"] != test.sha256:
            raise InputError(f"{test.source}: its sha256 differs from the one {model} was scored on; rerun the bench")
        matrix = np.zeros(y_true.shape, dtype=np.int8)
        for i, columns in enumerate(runs[0]["predictions"]):
            matrix[i, columns] = 1
        predictions[model] = matrix
    tests = []
    for a, b in itertools.combinations(sorted(predictions), 2):
        result = stats.paired_bootstrap(
            y_true, predictions[a], predictions[b], metric, groups=groups, n_resamples=n_resamples, seed=0
        )
        tests.append({"a": a, "b": b, "seed_a": models[a][0]["seed"], "seed_b": models[b][0]["seed"], **result})
    return tests


# ---------------------------------------------------------------------------- rendering
def _title(results: dict[str, Any], name: str) -> str:
    return results["datasets"].get(name, {}).get("title", name)


def _setup(results: dict[str, Any], dataset: str, model: str) -> str:
    """How our model was trained on a dataset, in words (config differences from the kind's defaults)."""
    from asnclf.models import model_class

    runs = [r for r in results["runs"] if r["model"] == model and r["dataset"] == dataset]
    if not runs:
        return ""
    kind = runs[0]["kind"]
    try:
        defaults = model_class(kind).config_class().to_dict()
    except ConfigError:
        defaults = {}
    changed = {k: v for k, v in runs[0]["config"].items() if k != "seed" and defaults.get(k) != v}
    parts = [f"{k}={json.dumps(v)}" for k, v in sorted(changed.items())]
    return ", ".join(parts) if parts else "default config"


def _training_note(entry: dict[str, Any]) -> str:
    seeds = len(entry["seeds"])
    subset = (
        f"{entry['train_rows']:,} of {entry['train_of']:,} train"
        if entry["train_rows"] < entry["train_of"]
        else "full train"
    )
    return f"{subset}, {seeds} seed{'s' if seeds != 1 else ''}"


def comparison_rows(results: dict[str, Any], summary: dict[str, Any]) -> tuple[list[str], list[list[str]], list[str]]:
    """Header, rows and row kinds (``ours``/``published``) of the side-by-side table (scores in %)."""
    names = list(results["datasets"])
    published = PUBLISHED.get(results["suite"])
    header = ["model", "source", *[_title(results, n) for n in names]]
    rows, kinds = [], []
    models = sorted({m for n in names for m in summary[n]["models"]})
    for model in models:
        cells = []
        for n in names:
            entry = summary[n]["models"].get(model)
            if entry is None:
                cells.append("-")
                continue
            mark = "†" if entry["train_rows"] < entry["train_of"] or len(entry["seeds"]) < 3 else ""
            cells.append(stats.format_mean_std(entry["score"]) + mark)
        rows.append([f"asnclf {model}", "this run", *cells])
        kinds.append("ours")
    if published:
        for row in published["rows"]:
            digits = published.get("digits", 2)
            rows.append([row["model"], "published", *[f"{row[n]:.{digits}f}" if n in row else "-" for n in names]])
            kinds.append("published")
    return header, rows, kinds


def _commands(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Every command that produced runs in the results: ``(command, runs, git revision)``."""
    history = results.get("history") or [
        {
            "command": results.get("command"),
            "provenance": results.get("provenance"),
            "runs": sorted({f"{r['dataset']}/{r['model']}" for r in results["runs"]}),
        }
    ]
    return [
        (h.get("command") or "?", ", ".join(h.get("runs", [])), (h.get("provenance") or {}).get("git_revision") or "?")
        for h in history
    ]


def _commands_md(results: dict[str, Any]) -> list[str]:
    commands = _commands(results)
    if len(commands) == 1:
        return [f"Command: `{commands[0][0]}`  "]
    return (
        ["Commands (each replaced the runs it lists):", ""]
        + [f"- `{command}` ({runs}; git {revision})" for command, runs, revision in commands]
        + [""]
    )


def _footnote(rows: Sequence[Sequence[str]], where: str) -> str:
    """What the marks in the side-by-side table mean (only those that occur)."""
    cells = " ".join(str(c) for row in rows for c in row)
    notes = []
    if "†" in cells:
        notes.append(
            f"† trained on a subset of the training split and/or with fewer than 3 seeds on 2 CPU cores; {where}."
        )
    if "± 0.00" in cells:
        notes.append(
            "± 0.00: the model is deterministic given its data (TF-IDF with logistic regression does not "
            "depend on the seed when a dev split is given); the 95% bootstrap interval below is the "
            "uncertainty that matters."
        )
    return " ".join(notes)


def _md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    clean = [[str(c).replace("|", "\\|") for c in row] for row in rows]
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *["| " + " | ".join(r) + " |" for r in clean],
        "",
    ]


def _detail_rows(results: dict[str, Any], summary: dict[str, Any], name: str) -> tuple[list[str], list[list[str]]]:
    header = [
        "model",
        "training",
        "score mean ± std (%)",
        "95% CI, first seed (%)",
        "accuracy (%)",
        "macro-F1 over labels (%)",
        "train s (mean)",
        "test sentences/s",
    ]
    rows = []
    for model, e in summary[name]["models"].items():
        ci = e["score_ci95_first_seed"]
        rows.append(
            [
                model,
                _training_note(e),
                stats.format_mean_std(e["score"]),
                f"[{ci[0] * 100:.2f}, {ci[1] * 100:.2f}]",
                stats.format_mean_std(e["accuracy"]),
                stats.format_mean_std(e["macro_f1"]),
                f"{e['train_seconds']['mean']:.0f}",
                f"{e['sentences_per_s']:.0f}" if e["sentences_per_s"] else "-",
            ]
        )
    return header, rows


def _test_rows(summary: dict[str, Any], name: str) -> tuple[list[str], list[list[str]]]:
    header = ["A", "B", "A (%)", "B (%)", "A − B (points)", "95% CI of A − B", "p (two-sided)", "reading"]
    rows = []
    for t in summary[name]["tests"]:
        rows.append(
            [
                t["a"],
                t["b"],
                f"{t['score_a'] * 100:.2f}",
                f"{t['score_b'] * 100:.2f}",
                f"{t['delta'] * 100:+.2f}",
                f"[{t['ci95'][0] * 100:+.2f}, {t['ci95'][1] * 100:+.2f}]",
                f"{t['p_value']:.4f}",
                stats.significance_label(t["p_value"]),
            ]
        )
    return header, rows


def to_markdown(results: dict[str, Any], summary: dict[str, Any]) -> str:
    """The bench as Markdown: side-by-side table, how each row was trained, per-dataset detail."""
    suite = results["suite"]
    prov = results.get("provenance", {})
    host = prov.get("machine", {})
    out = [f"# asnclf bench: {suite}", ""]
    out += [
        *_commands_md(results),
        f"Machine: {host.get('cpu_model', '?')}, {host.get('cpus_usable', host.get('cpu_count', '?'))} usable CPUs, "
        f"{host.get('memory_gib', '?')} GiB; no GPU used  ",
        f"asnclf git {prov.get('git_revision') or 'unknown'}; created {prov.get('created', '')}  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in prov.get("versions", {}).items()),
        "",
    ]
    header, rows, _ = comparison_rows(results, summary)
    published = PUBLISHED.get(suite)
    metric_words = "; ".join(f"{_title(results, n)}: {results['datasets'][n]['metric']}" for n in results["datasets"])
    out += [
        "## Side by side" + (" with the published table" if published else ""),
        "",
        f"Test-set scores in %, mean ± standard deviation over seeds. Metric: {metric_words}.",
        "",
    ]
    out += _md_table(header, rows)
    out += [_footnote(rows, "see *How our rows were trained*"), ""]
    for note in results.get("notes", []):
        out += [f"Note: {note}", ""]
    if published:
        out += [
            f"Published rows: {published['citation']}. Metric: {published['metric']}. Values checked against "
            f"{published['verified_from']}",
            "",
        ]
    out += ["## How our rows were trained", ""]
    train_rows = []
    for n in results["datasets"]:
        for model, e in summary[n]["models"].items():
            train_rows.append(
                [
                    _title(results, n),
                    model,
                    f"{e['train_rows']:,} / {e['train_of']:,}",
                    f"{e['dev_rows']:,}",
                    ", ".join(str(s) for s in e["seeds"]),
                    _setup(results, n, model),
                    e["config_sha256"][:12],
                ]
            )
    out += _md_table(
        ["dataset", "model", "train rows used", "dev rows", "seeds", "config vs defaults", "config sha256"], train_rows
    )
    for n, info in results["datasets"].items():
        out += [f"## {info['title']}", "", f"Source: {info.get('source', '')}. Metric: {info['metric']}.", ""]
        out += _md_table(
            ["split", "file", "rows", "sha256"],
            [[s, f["file"], f["rows"], f["sha256"]] for s, f in info["files"].items()],
        )
        out += _md_table(*_detail_rows(results, summary, n))
        if summary[n]["tests"]:
            out += [
                "Paired bootstrap test (10,000 resamples of the test items, both models' first seed; "
                "p: two-sided, shifted bootstrap distribution):",
                "",
            ]
            out += _md_table(*_test_rows(summary, n))
        elif summary[n].get("tests_skipped"):
            out += [f"No paired test: {summary[n]['tests_skipped']}", ""]
    for n, message in results.get("skipped", {}).items():
        out += [f"Skipped {n}: {message}", ""]
    return "\n".join(out)


def _figures(results: dict[str, Any]) -> dict[tuple[str, str], dict[str, bytes]]:
    """Chart PNGs of every (dataset, model) first-seed report."""
    out = {}
    for name in results["datasets"]:
        for model, runs in _by_model(results, name).items():
            report = next((r["report"] for r in runs if r.get("report")), None)
            if report is not None:
                out[(name, model)] = {f: evaluation.render_png(report, f, dpi=80) for f in FIGURE_NAMES}
    return out


def to_html(results: dict[str, Any], summary: dict[str, Any], figures: dict[tuple[str, str], dict[str, bytes]]) -> str:
    """The bench as one self-contained HTML page (charts embedded)."""
    from asnclf.html_report import FIGURE_CAPTIONS, Raw, cards, esc, figure, page, table

    suite = results["suite"]
    prov = results.get("provenance", {})
    host = prov.get("machine", {})
    published = PUBLISHED.get(suite)
    header, rows, kinds = comparison_rows(results, summary)
    best = []
    for n in results["datasets"]:
        models = summary[n]["models"]
        if models:
            model, e = max(models.items(), key=lambda kv: kv[1]["score"]["mean"])
            best.append((f"{e['score']['mean'] * 100:.2f}", f"{_title(results, n)}: best of ours ({model})"))
    sections = [cards(best)]
    sections += [
        Raw("<h2>Side by side" + (" with the published table" if published else "") + "</h2>"),
        Raw(
            '<p class="note">Test-set scores in %, mean ± standard deviation over seeds. '
            + esc("; ".join(f"{_title(results, n)}: {results['datasets'][n]['metric']}" for n in results["datasets"]))
            + ".</p>"
        ),
        table(header, rows, row_classes=kinds, numeric=tuple(range(2, len(header)))),
        Raw(f'<p class="note">{esc(_footnote(rows, "see below"))}</p>'),
    ]
    for note in results.get("notes", []):
        sections.append(Raw(f'<p class="note"><strong>Note:</strong> {esc(note)}</p>'))
    if published:
        sections.append(
            Raw(
                f'<p class="note">Published rows: {esc(published["citation"])}. Metric: '
                f"{esc(published['metric'])}. Values checked against {esc(published['verified_from'])}</p>"
            )
        )
    for n, info in results["datasets"].items():
        sections.append(Raw(f"<h2>{esc(info['title'])}</h2>"))
        sections.append(
            Raw(
                f'<p class="note">Source: {esc(info.get("source", ""))}. Metric: {esc(info["metric"])}. '
                + esc("; ".join(f"{s}: {f['rows']} rows, sha256 {f['sha256'][:12]}…" for s, f in info["files"].items()))
                + "</p>"
            )
        )
        detail_header, detail_rows = _detail_rows(results, summary, n)
        sections.append(table(detail_header, detail_rows, numeric=(2, 4, 5, 6, 7)))
        if summary[n]["tests"]:
            sections.append(Raw("<h3>Paired bootstrap test</h3>"))
            sections.append(table(*_test_rows(summary, n), numeric=(2, 3, 4, 6)))
        for i, (model, runs) in enumerate(_by_model(results, n).items()):
            pngs = figures.get((n, model))
            if not pngs:
                continue
            charts = "".join(
                figure(pngs[f], f"{info['title']}, {model} (seed {runs[0]['seed']}): {FIGURE_CAPTIONS[f]}")
                for f in FIGURE_NAMES
            )
            sections.append(
                Raw(
                    f"<details{' open' if i == 0 else ''}><summary>{esc(model)}: charts</summary>"
                    f'<div class="grid">{charts}</div></details>'
                )
            )
    train_rows = [
        [
            _title(results, n),
            model,
            f"{e['train_rows']:,} / {e['train_of']:,}",
            ", ".join(map(str, e["seeds"])),
            _setup(results, n, model),
            e["config_sha256"][:12],
        ]
        for n in results["datasets"]
        for model, e in summary[n]["models"].items()
    ]
    sections += [
        Raw("<h2>How our rows were trained</h2>"),
        table(["dataset", "model", "train rows used", "seeds", "config vs defaults", "config sha256"], train_rows),
        Raw("<h2>Provenance</h2>"),
        table(
            ["field", "value"],
            [
                *[
                    [f"command ({runs})", f"{command} (git {revision})"]
                    for command, runs, revision in _commands(results)
                ],
                ["git revision", prov.get("git_revision") or "unknown"],
                ["created", prov.get("created", "")],
                [
                    "machine",
                    f"{host.get('cpu_model', '?')}, {host.get('cpus_usable', '?')} usable CPUs, "
                    f"{host.get('memory_gib', '?')} GiB, {host.get('platform', '')}",
                ],
                ["versions", ", ".join(f"{k} {v}" for k, v in prov.get("versions", {}).items())],
            ],
        ),
    ]
    for n, message in results.get("skipped", {}).items():
        sections.append(Raw(f'<p class="note">Skipped {esc(n)}: {esc(message)}</p>'))
    return page(
        f"asnclf benchmark: {suite}",
        sections,
        lead=f"{len(results['runs'])} runs over {len(results['datasets'])} dataset(s), "
        f"{len(_commands(results))} command(s); see Provenance.",
    )


def write_results(
    results: dict[str, Any],
    output: str | Path,
    *,
    data_dir: str | Path | None = None,
    figures: bool = True,
    n_resamples: int = 10_000,
) -> dict[str, Path]:
    """Write ``bench_<suite>.json``, ``.md``, ``.html`` and the figure PNGs into ``output``."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    summary = summarize(results, data_dir=data_dir, n_resamples=n_resamples)
    stem = f"bench_{results['suite']}"
    pngs = _figures(results) if figures else {}
    written = {}
    document = {**results, "summary": summary}
    for suffix, content in (
        ("json", json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False)),
        ("md", to_markdown(results, summary)),
        ("html", to_html(results, summary, pngs)),
    ):
        path = output / f"{stem}.{suffix}"
        write_atomic(path, content.encode("utf-8"))
        written[suffix] = path
    if pngs:
        directory = output / f"{stem}_figures"
        directory.mkdir(exist_ok=True)
        for (dataset, model), charts in pngs.items():
            for name, png in charts.items():
                write_atomic(directory / f"{dataset}_{model}_{name}.png", png)
        written["figures"] = directory
    return written


def read_results(path: str | Path) -> dict[str, Any]:
    """Results written by :func:`write_results` (the ``summary`` is recomputed on writing)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    data.pop("summary", None)
    return data


# ---------------------------------------------------------------------------- command-line options
def _per_kind(values: Sequence[str], option: str, kinds: Sequence[str]) -> dict[str, int]:
    """``N`` (every model) or ``NAME=N`` option values as name -> int."""
    out: dict[str, int] = {}
    for value in values:
        kind, _, number = str(value).rpartition("=")
        if kind and kind not in kinds:
            raise ConfigError(f"{option} {value!r}: {kind!r} is not among the models {list(kinds)}")
        try:
            count = int(number)
        except ValueError:
            raise ConfigError(f"{option} {value!r}: expected N or KIND=N with an integer N") from None
        out.update(dict.fromkeys([kind] if kind else kinds, count))
    return out


def build_plans(
    models: Sequence[str],
    *,
    seeds: int = 3,
    seeds_for: Sequence[str] = (),
    max_train: Sequence[str] = (),
    max_dev: Sequence[str] = (),
    configs: Sequence[str] = (),
    overrides: Sequence[str] = (),
) -> list[ModelPlan]:
    """Model plans from command-line style options.

    Args:
        models: model kinds, or ``NAME=KIND`` to run a kind under another name (two settings of
            one kind side by side); the options below address a model by its name.
        seeds: seeds per model (0 .. seeds-1).
        seeds_for: ``NAME=N`` seeds for one model.
        max_train, max_dev: ``N`` or ``NAME=N`` subset sizes.
        configs: ``NAME=FILE`` JSON configs.
        overrides: ``NAME.KEY=VALUE`` config overrides (values parsed as JSON when they can be).
    """
    from asnclf.models import model_class

    kinds: dict[str, str] = {}
    for spec in models:
        name, _, kind = spec.rpartition("=")
        name = name or kind
        if name in kinds:
            raise ConfigError(f"--models: {name!r} is given twice; use NAME=KIND to run one kind twice")
        kinds[name] = kind
    names = list(kinds)
    n_seeds = {name: seeds for name in names} | _per_kind(seeds_for, "--seeds-for", names)
    train_sizes = _per_kind(max_train, "--max-train", names)
    dev_sizes = _per_kind(max_dev, "--max-dev", names)
    files = {}
    for item in configs:
        name, _, path = item.partition("=")
        if name not in kinds or not path:
            raise ConfigError(f"--config {item!r}: expected NAME=FILE with NAME among {names}")
        files[name] = path
    changes: dict[str, dict[str, str]] = {name: {} for name in names}
    for item in overrides:
        key, sep, value = item.partition("=")
        name, dot, field = key.partition(".")
        if not sep or not dot or name not in kinds:
            raise ConfigError(f"--set {item!r}: expected NAME.KEY=VALUE with NAME among {names}")
        changes[name][field.replace("-", "_")] = value
    plans = []
    for name, kind in kinds.items():
        cls = model_class(kind)
        config = cls.config_class.from_file(files[name]) if name in files else cls.config_class()
        if n_seeds[name] < 1:
            raise ConfigError(f"{name}: needs at least one seed, got {n_seeds[name]}")
        plans.append(
            ModelPlan(
                kind,
                config.with_overrides(changes[name]),
                tuple(range(n_seeds[name])),
                train_sizes.get(name),
                dev_sizes.get(name),
                "" if name == kind else name,
            )
        )
    return plans


def bench_to_files(
    suite: str,
    plans: Sequence[ModelPlan],
    output: str | Path,
    *,
    data_dir: str | Path | None = None,
    datasets: Sequence[str] | None = None,
    n_resamples: int = 1000,
    merge: bool = False,
    render_only: bool = False,
    figures: bool = True,
    command: str = "",
    notes: Sequence[str] = (),
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
) -> dict[str, Path]:
    """What ``asnclf bench`` does: run the plans (or nothing with ``render_only``), merge with the
    earlier ``bench_<suite>.json`` when asked, and write the results. Returns the written paths
    (empty when nothing ran)."""
    previous = Path(output) / f"bench_{suite}.json"
    if render_only:
        if not previous.is_file():
            raise InputError(f"--render-only: there is no {previous} to render")
        return write_results(read_results(previous), output, data_dir=data_dir, figures=figures)
    results = run_bench(
        suite,
        plans,
        data_dir=data_dir,
        datasets=datasets,
        n_resamples=n_resamples,
        command=command,
        notes=notes,
        log=log,
    )
    if merge and previous.is_file():
        results = merge_results(read_results(previous), results)
    if not results["runs"]:
        log(f"asnclf bench: nothing ran (skipped: {', '.join(results['skipped']) or 'none'})")
        return {}
    return write_results(results, output, data_dir=data_dir, figures=figures)


__all__ = [
    "PUBLISHED",
    "SUITES",
    "ModelPlan",
    "bench_to_files",
    "build_plans",
    "load_suite_dataset",
    "merge_results",
    "read_results",
    "run_bench",
    "run_one",
    "summarize",
    "to_html",
    "to_markdown",
    "write_results",
]
