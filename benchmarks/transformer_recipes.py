"""Compare transformer training recipes on the bundled corpus, several seeds each.

Each recipe is a set of overrides of a training config (``training/transformer.json`` by
default). Every recipe × seed is trained on the train split with early stopping and
thresholds on dev (``asnclf.training.train``, as ``asnclf train`` does), then scored on dev
and test (sentence macro-F1 with the dev thresholds).
Rows are appended to a JSONL file as they finish, so an interrupted run keeps what it did, and
a Markdown table (mean and per-seed scores, training time) is rendered from the rows.

The recipe file is JSON: a list of ``[name, {overrides}, [seeds]]``. The recipes that
cannot be trained on 2 CPU cores in the 20-minute budget are meant for a GPU
(``--device cuda``); the table says which device each row ran on.

    python benchmarks/transformer_recipes.py --recipes benchmarks/recipes/transformer.json \\
        --device cuda --rows benchmarks/results/transformer_recipes.jsonl
    python benchmarks/transformer_recipes.py --render benchmarks/results/transformer_recipes.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def run(args: argparse.Namespace) -> None:
    """Train and score every recipe × seed, appending one JSON row per run."""
    import numpy as np
    import torch
    from sklearn.metrics import f1_score

    from asnclf.corpus import read_labeled, split_path
    from asnclf.models.transformer import TransformerConfig
    from asnclf.provenance import machine, provenance
    from asnclf.training import train

    base = json.loads(Path(args.config).read_text(encoding="utf-8"))
    base.update(device=args.device)
    if args.backbone:
        base["backbone"] = args.backbone
    recipes = json.loads(Path(args.recipes).read_text(encoding="utf-8"))
    data = {name: read_labeled(split_path(name)) for name in ("dev", "test")}
    rows_path = Path(args.rows)
    rows_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for name, overrides, seeds in recipes:
        for seed in seeds:
            if args.time_budget and time.perf_counter() - started > args.time_budget:
                print(f"time budget spent: {name} seed {seed} not run", file=sys.stderr)
                continue
            fit_started = time.perf_counter()
            model = train("transformer", TransformerConfig(**{**base, **overrides, "seed": seed}))
            row = {
                "recipe": name,
                "seed": seed,
                "overrides": overrides,
                "fit_s": round(time.perf_counter() - fit_started, 1),
                "epochs_run": model.training_.get("epochs_run"),
                "dev_history": [round(h["dev_macro_f1"], 4) for h in model.training_.get("history", [])],
                "device": str(model.device_),
                "accelerator": torch.cuda.get_device_name(model.device_) if model.device_.type == "cuda" else None,
            }
            for split in ("dev", "test"):
                part = data[split]
                truth = model.labels.encode(part.labels)
                predicted = model.predict(part.texts, context=part.context)
                row[split] = round(float(f1_score(truth, predicted, average="macro", zero_division=0)), 4)
                row[f"{split}_per_label"] = np.round(
                    f1_score(truth, predicted, average=None, zero_division=0), 3
                ).tolist()
            row.update(machine=machine(), **provenance(config=_shown(args.config), recipes=_shown(args.recipes)))
            print(json.dumps({k: row[k] for k in ("recipe", "seed", "dev", "test", "fit_s")}), flush=True)
            with rows_path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _shown(path: str) -> str:
    """A path as the results show it: relative to the repository when inside it."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else path


def render(rows_path: Path) -> str:
    """A Markdown table of the rows: one line per recipe, mean and per-seed scores."""
    rows = [json.loads(line) for line in rows_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    recipes: dict[str, list[dict]] = {}
    for row in rows:
        recipes.setdefault(row["recipe"], []).append(row)
    lines = [
        f"# Transformer recipes on the bundled corpus ({rows_path.name})",
        "",
        "Sentence macro-F1 with thresholds tuned on dev; dev is also the early-stopping set, so its",
        "scores are optimistic. Test is read after each run and not used to choose anything.",
        "",
        "| recipe | overrides of the config | seeds | dev mean | test mean | test per seed | fit s (device) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, group in recipes.items():
        overrides = ", ".join(f"{k}={v}" for k, v in group[0]["overrides"].items()) or "(none)"
        devices = sorted({r.get("accelerator") or r["device"] for r in group})
        per_seed = ", ".join(f"{r['test']:.3f}" for r in group)
        fit_s = ", ".join(str(r["fit_s"]) for r in group)
        lines.append(
            f"| {name} | {overrides} | {len(group)} | {statistics.mean(r['dev'] for r in group):.3f} "
            f"| {statistics.mean(r['test'] for r in group):.3f} | {per_seed} | {fit_s} ({'; '.join(devices)}) |"
        )
    first = rows[0] if rows else {}
    versions = first.get("versions", {})
    host = first.get("machine", {})
    lines += [
        "",
        f"Data: the bundled asn-news train/dev/test splits. Config: `{first.get('config', '')}` with each "
        f"recipe's overrides; recipes: `{first.get('recipes', '')}`.",
        f"Machine: {host.get('cpu_model', '?')}, {host.get('cpus_usable', '?')} CPUs, "
        f"{host.get('memory_gib', '?')} GiB; versions: "
        + ", ".join(f"{k} {v}" for k, v in versions.items() if k in ("python", "torch", "transformers", "peft"))
        + f"; revision: {first.get('git_revision')}.",
    ]
    lines += ["", *(f"Note: {note}" for note in sorted({r["note"] for r in rows if r.get("note")}))]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", default=str(HERE / "recipes" / "transformer.json"))
    parser.add_argument("--config", default=str(ROOT / "training" / "transformer.json"))
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (default)")
    parser.add_argument("--backbone", default="", help="override the config's backbone (a directory or name)")
    parser.add_argument("--rows", default=str(HERE / "results" / "transformer_recipes.jsonl"))
    parser.add_argument("--time-budget", type=float, default=0, help="seconds; later runs are skipped (0: none)")
    parser.add_argument("--render", metavar="ROWS", help="only render ROWS (JSONL) to a .md beside it")
    args = parser.parse_args()
    if not args.render:
        run(args)
    rows_path = Path(args.render or args.rows)
    if rows_path.is_file():
        markdown = render(rows_path)
        rows_path.with_suffix(".md").write_text(markdown, encoding="utf-8")
        print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
