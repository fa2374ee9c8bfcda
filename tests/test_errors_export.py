"""Error analysis: misclassified sentences with scores, grouped by label and kind of error."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from asnclf import evaluation
from asnclf.cli import main
from asnclf.corpus import LabeledData
from asnclf.errors import InputError
from asnclf.labels import LabelSet
from tests.test_html_report import GROUPED, SENTIMENT, ScoreTagger

MULTI = LabelSet(("a", "b", "c"), multi_label=True)


def _data(labels: list[list[str]]) -> LabeledData:
    return LabeledData([f"kalimat {i}" for i in range(len(labels))], labels, None, "0" * 64, "memory")


def _rows(label_set: LabelSet, gold: list[list[str]], probs: list[list[float]], thresholds=None) -> list[dict]:
    tagger = ScoreTagger(label_set, np.array(probs, dtype=float), thresholds)
    data = _data(gold)
    return evaluation.error_rows(data, evaluation.score(tagger, data), label_set, tagger.thresholds)


def test_errors_export_multilabel_kinds_margins_and_order() -> None:
    rows = _rows(
        MULTI,
        [["a"], ["a", "b"], [], ["c"]],
        [[0.9, 0.2, 0.1], [0.1, 0.8, 0.1], [0.7, 0.1, 0.95], [0.45, 0.1, 0.3]],
        thresholds=[0.5, 0.5, 0.4],
    )
    summary = [(r["label"], r["kind"], r["item"]) for r in rows]
    # label order, then missed before spurious, then the most confident mistake first
    assert summary == [("a", "missed", 1), ("a", "spurious", 2), ("c", "missed", 3), ("c", "spurious", 2)]
    first = rows[0]
    assert first["score"] == 0.1 and first["margin"] == -0.4 and first["decision"] == ">= 0.50"
    assert first["gold"] == ["a", "b"] and first["predicted"] == ["b"] and first["instead"] == []  # nothing spurious
    assert rows[3]["decision"] == ">= 0.40" and rows[3]["margin"] == 0.55
    assert rows[3]["scores"] == {"a": 0.7, "b": 0.1, "c": 0.95} and rows[3]["annotator_note"] == ""
    assert list(rows[0]) == list(evaluation.ERROR_FIELDS)


def test_errors_export_multiclass_confusion_is_missed_and_spurious() -> None:
    rows = _rows(SENTIMENT, [["positive"], ["negative"]], [[0.7, 0.2, 0.1], [0.6, 0.1, 0.3]])
    assert [(r["label"], r["kind"]) for r in rows] == [("positive", "spurious"), ("negative", "missed")]
    missed = rows[1]
    assert missed["instead"] == ["positive"] and missed["decision"] == "arg-max"
    assert missed["margin"] == pytest.approx(0.3 - 0.6)
    assert rows[0]["instead"] == ["negative"]


def test_errors_export_grouped_only_the_wrong_group() -> None:
    gold = [["fuel:positive", "price:neutral"]]
    rows = _rows(GROUPED, gold, [[0.1, 0.6, 0.3, 0.1, 0.8, 0.1]])
    assert {(r["label"], r["kind"]) for r in rows} == {("fuel:positive", "missed"), ("fuel:neutral", "spurious")}
    assert all(r["instead"] in (["fuel:neutral"], ["fuel:positive"]) for r in rows)


def test_errors_export_no_errors_no_rows() -> None:
    assert _rows(SENTIMENT, [["neutral"]], [[0.1, 0.8, 0.1]]) == []


def test_errors_export_writes_jsonl_csv_markdown(tmp_path: Path) -> None:
    rows = _rows(MULTI, [["a"], ["b"]], [[0.1, 0.2, 0.1], [0.1, 0.2, 0.9]])
    jsonl = evaluation.write_errors(rows, tmp_path / "e.jsonl")
    assert [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()] == rows
    with open(evaluation.write_errors(rows, tmp_path / "e.csv"), encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [r["label"] for r in table] == [r["label"] for r in rows] and set(table[0]) == set(evaluation.ERROR_FIELDS)
    assert json.loads(table[0]["scores"]) == rows[0]["scores"]
    markdown = evaluation.write_errors(rows, tmp_path / "sub" / "e.md", source="dev.jsonl").read_text(encoding="utf-8")
    assert markdown.startswith("# Misclassified sentences in `dev.jsonl`")
    assert "## a: missed (1)" in markdown and "## b: missed (1)" in markdown and "## c: spurious (1)" in markdown
    with pytest.raises(InputError, match=r"\.jsonl, \.csv or \.md"):
        evaluation.write_errors(rows, tmp_path / "e.txt")


def test_errors_export_markdown_escapes_pipes(tmp_path: Path) -> None:
    rows = _rows(SENTIMENT, [["positive"]], [[0.1, 0.8, 0.1]])
    rows[0]["text"] = "a | b\nc"
    text = evaluation.errors_markdown(rows)
    assert "a \\| b c" in text


def test_errors_export_cli(tfidf_model_dir: Path, small_corpus: dict[str, Path], tmp_path: Path, capsys) -> None:
    errors = tmp_path / "errors.jsonl"
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(tfidf_model_dir),
                "--data",
                str(small_corpus["dev"]),
                "--json",
                "--resamples",
                "20",
                "--errors",
                str(errors),
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    rows = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
    per_label = report["sentence"]["per_label"]
    for name, entry in per_label.items():
        missed = sum(1 for r in rows if r["label"] == name and r["kind"] == "missed")
        spurious = sum(1 for r in rows if r["label"] == name and r["kind"] == "spurious")
        true_positives = round(entry["recall"] * entry["support"])
        assert missed == entry["support"] - true_positives
        assert spurious == entry["predicted"] - true_positives
    assert all(r["article_id"] for r in rows) and any(r["previous"] for r in rows)
    assert all(r["decision"].startswith(">= ") for r in rows)


def test_errors_export_cli_html_report(tfidf_model_dir: Path, small_corpus: dict[str, Path], tmp_path: Path) -> None:
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(tfidf_model_dir),
                "--data",
                str(small_corpus["dev"]),
                "--resamples",
                "20",
                "--report",
                str(tmp_path / "r"),
                "--html",
                "--errors",
                str(tmp_path / "e.md"),
            ]
        )
        == 0
    )
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "confusion.png",
        "reliability.png",
        "report.html",
        "report.json",
        "report.md",
        "report.png",
        "thresholds.png",
    ]
    assert (tmp_path / "e.md").read_text(encoding="utf-8").startswith("# Misclassified sentences")
