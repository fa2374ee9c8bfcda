"""benchmarks/transformer_recipes.py: recipes × seeds trained, scored and tabulated."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")

from tests.tiny_bert import build_tiny_bert

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "transformer_recipes.py"


@pytest.fixture(scope="module")
def recipes_module():
    spec = importlib.util.spec_from_file_location("transformer_recipes", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_recipes_rows_and_table(recipes_module, tmp_path):
    backbone = build_tiny_bert(tmp_path / "bert")
    config = {"backbone": str(backbone), "prefix": "", "max_length": 24, "context_tokens": 4, "train_layers": 1}
    config.update(lora_r=2, lora_alpha=4, batch_size=32, eval_batch_size=256, num_threads=1, epochs=1, max_steps=2)
    (tmp_path / "config.json").write_text(json.dumps(config))
    recipes = [["plain", {}, [1, 2]], ["no-context", {"context": "none"}, [1]]]
    (tmp_path / "recipes.json").write_text(json.dumps(recipes))
    rows = tmp_path / "out" / "rows.jsonl"
    args = argparse.Namespace(
        config=str(tmp_path / "config.json"),
        recipes=str(tmp_path / "recipes.json"),
        device="cpu",
        backbone="",
        rows=str(rows),
        time_budget=0,
    )
    recipes_module.run(args)
    written = [json.loads(line) for line in rows.read_text().splitlines()]
    assert [(r["recipe"], r["seed"]) for r in written] == [("plain", 1), ("plain", 2), ("no-context", 1)]
    for row in written:
        assert row["device"] == "cpu" and row["accelerator"] is None
        assert 0.0 <= row["dev"] <= 1.0 and 0.0 <= row["test"] <= 1.0
        assert len(row["test_per_label"]) == 4
    assert written[2]["overrides"] == {"context": "none"}
    table = recipes_module.render(rows)
    line = next(line for line in table.splitlines() if line.startswith("| plain "))
    mean = (written[0]["test"] + written[1]["test"]) / 2
    assert f"| {mean:.3f} |" in line and "| 2 |" in line
    assert "| no-context | context=none | 1 |" in table


def test_recipes_time_budget_skips_later_runs(recipes_module, tmp_path, monkeypatch):
    clock = iter([0.0, 100.0, 200.0, 300.0])
    monkeypatch.setattr(recipes_module.time, "perf_counter", lambda: next(clock))
    (tmp_path / "recipes.json").write_text(json.dumps([["a", {"nonsense_field": 1}, [1]]]))
    args = argparse.Namespace(
        config=str(SCRIPT.parent.parent / "training" / "transformer.json"),
        recipes=str(tmp_path / "recipes.json"),
        device="cpu",
        backbone="",
        rows=str(tmp_path / "rows.jsonl"),
        time_budget=50,
    )
    recipes_module.run(args)  # the only run is past the budget: skipped before its config is even built
    assert not (tmp_path / "rows.jsonl").exists()
