"""Benchmark the shipped models on the bundled asn-news test split.

For each model, in its own process (so peak memory is that model's alone): sentence- and
article-level scores with cluster-bootstrap 95% CIs, sentences/s and articles/s on this
machine, peak resident memory, and (with --train) the wall time of training it from the
bundled corpus. Results go to ``benchmarks/results/asn_models.{json,md}`` with provenance.

    python benchmarks/asn_models.py --models rules tfidf transformer --train tfidf
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure(model: str, train_kind: str | None, threads: int) -> dict:
    """Everything measured for one model (runs in a child process).

    Throughput is that of the evaluation's own scoring passes: one over the test sentences
    with their context, one end to end over the raw article texts.
    """
    import torch

    torch.set_num_threads(threads)
    import asnclf
    from asnclf.corpus import read_labeled, split_path
    from asnclf.evaluation import evaluate

    result: dict = {"model": model}
    if train_kind:
        with tempfile.TemporaryDirectory() as directory:
            started = time.perf_counter()
            asnclf.train(train_kind, output=Path(directory) / "model")
            result["train_wall_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    tagger = asnclf.load(model)
    result["load_s"] = round(time.perf_counter() - started, 2)
    data = read_labeled(split_path("test"))
    report = evaluate(tagger, data, n_resamples=1000, seed=0)
    result.update(
        {
            "report": report,
            "sentences_per_s": round(report["throughput"]["sentences_per_s"], 1),
            "articles_per_s": round(report["throughput"]["articles_per_s"], 2),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    )
    return result


def markdown(results: list[dict], meta: dict) -> str:
    def ci(values: list[float]) -> str:
        return f"[{values[0]:.3f}, {values[1]:.3f}]"

    lines = [
        "# asnclf models on the bundled asn-news test split",
        "",
        f"Command: `{meta['command']}`  ",
        f"Data: bundled test split, {meta['sentences']} sentences in {meta['articles']} articles "
        f"(sha256 {meta['data_sha256'][:12]}…)  ",
        f"Machine: {meta['machine'].get('cpu_model', '?')}, {meta['threads']} threads; "
        f"asnclf git {meta['git_revision']}; load average at start {meta['load_average_at_start']}  ",
        "CIs: 95% percentile bootstrap over articles (1000 resamples, seed 0).",
        "",
        "| model | sentence macro-F1 [95% CI] | sentence micro-F1 | article macro-F1 [95% CI] | primary acc. "
        "| sentences/s | articles/s | peak RSS MiB | train s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s, a = r["report"]["sentence"], r["report"]["article"]
        lines.append(
            f"| {r['model']} | {s['macro_f1']:.3f} {ci(s['macro_f1_ci95'])} | {s['micro_f1']:.3f} | "
            f"{a['macro_f1']:.3f} {ci(a['macro_f1_ci95'])} | {a['primary_accuracy']:.3f} | {r['sentences_per_s']} | "
            f"{r['articles_per_s']} | {r['peak_rss_mib']} | {r.get('train_wall_s', '')} |"
        )
    lines += [
        "",
        "Per label, sentence level (F1 [95% CI]):",
        "",
        "| model | " + " | ".join(results[0]["report"]["sentence"]["per_label"]) + " |",
        "|---|" + "---|" * len(results[0]["report"]["sentence"]["per_label"]),
    ]
    for r in results:
        per = r["report"]["sentence"]["per_label"]
        lines.append(f"| {r['model']} | " + " | ".join(f"{v['f1']:.3f} {ci(v['ci95'])}" for v in per.values()) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["rules", "tfidf", "transformer"])
    parser.add_argument("--train", nargs="*", default=[], help="kinds whose training time is measured too")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", default=str(HERE / "results"))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        kind = args.one if args.one in args.train else None
        print(json.dumps(measure(args.one, kind, args.threads)))
        return 0
    from asnclf.artifacts import sha256_file
    from asnclf.corpus import load_articles, sentence_rows, split_path
    from asnclf.provenance import machine, provenance

    load_at_start = [round(x, 2) for x in os.getloadavg()]
    results = []
    for model in args.models:
        command = [sys.executable, __file__, "--one", model, "--threads", str(args.threads), "--train", *args.train]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{model}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
            continue
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"{model}: done", file=sys.stderr)
    if not results:
        return 1
    articles = load_articles("test")
    meta = {
        "command": "python benchmarks/asn_models.py " + " ".join(sys.argv[1:]),
        "data_sha256": sha256_file(split_path("test")),
        "articles": len(articles),
        "sentences": len(sentence_rows(articles)),
        "threads": args.threads,
        "load_average_at_start": load_at_start,
        "machine": machine(),
        **provenance(),
    }
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    (output / "asn_models.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=1, ensure_ascii=False)
    )
    (output / "asn_models.md").write_text(markdown(results, meta))
    print(markdown(results, meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
