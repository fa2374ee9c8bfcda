"""How much the shipped models lose on untidy text.

Scores each model's sentence macro-F1 on the bundled test split as written, and on noisy copies
of it made by ``asnclf.augment.noisy_copy`` (typing slips in a share of the words, and in some
sentences lost capitals, dropped quotes and commas, glued words; the previous sentence and the
title are noisy alike) at several slip rates. Also reported: the test split's articles of the
corpus's second batch (ids p-, q-, s-, t-), written after studying the style of real news
excerpts, which no model's training noise was made from.

The noise here is of the kind the transformer's training augmentation uses (``augment`` in
its config), drawn with other seeds: the rows measure robustness to that kind of noise, not
accuracy on real news.

    python benchmarks/noise_robustness.py --models rules tfidf transformer
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SLIP_RATES = (0.03, 0.06, 0.12)
SECOND_BATCH = ("p-", "q-", "s-", "t-")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["rules", "tfidf", "transformer"])
    parser.add_argument("--seeds", type=int, default=3, help="noisy copies per slip rate")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", default=str(HERE / "results"))
    args = parser.parse_args()

    import numpy as np
    import torch
    from sklearn.metrics import f1_score

    import asnclf
    from asnclf.artifacts import sha256_file
    from asnclf.augment import noisy_texts
    from asnclf.corpus import read_labeled, sentence_rows, split_path
    from asnclf.provenance import machine, provenance

    torch.set_num_threads(args.threads)
    data = read_labeled(split_path("test"))
    articles = np.array([row["article_id"] for row in sentence_rows(data.articles)])
    second_batch = np.array([a.startswith(SECOND_BATCH) for a in articles])

    variants = {"as written": [(data.texts, data.context)]}
    for rate in SLIP_RATES:
        variants[f"noisy, slips {rate:.0%}"] = [
            noisy_texts(data.texts, data.context, f"benchmark-{s}", slip_rate=rate) for s in range(args.seeds)
        ]

    rows = []
    for name in args.models:
        model = asnclf.load(name).model
        y = model.labels.encode(data.labels)
        row = {"model": name, "kind": model.kind}
        for variant, copies in variants.items():
            predictions = [model.predict(texts, context=context) for texts, context in copies]
            scores = [f1_score(y, predicted, average="macro", zero_division=0) for predicted in predictions]
            row[variant] = round(float(np.mean(scores)), 4)
            if variant == "as written":
                on_second_batch = predictions[0][second_batch]
                row["second batch"] = round(
                    float(f1_score(y[second_batch], on_second_batch, average="macro", zero_division=0)), 4
                )
        rows.append(row)
        print(json.dumps(row), flush=True)

    meta = {
        "command": "python benchmarks/noise_robustness.py " + " ".join(sys.argv[1:]),
        "data": {
            "split": "test",
            "sha256": sha256_file(split_path("test")),
            "sentences": len(data.texts),
            "second_batch_sentences": int(second_batch.sum()),
        },
        "seeds": args.seeds,
        "threads": args.threads,
        "machine": machine(),
        **provenance(),
    }
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    (output / "noise_robustness.json").write_text(json.dumps({"results": rows, **meta}, indent=1, ensure_ascii=False))
    columns = ["as written", *[v for v in variants if v != "as written"], "second batch"]
    lines = [
        "# Sentence macro-F1 on noisy copies of the bundled test split",
        "",
        f"Command: `{meta['command']}`  ",
        f"Data: bundled test split, {len(data.texts)} sentences (sha256 {meta['data']['sha256'][:12]}…); noisy "
        f"copies by `asnclf.augment.noisy_copy`, {args.seeds} seeds per slip rate (mean shown); second batch: the "
        f"{int(second_batch.sum())} test sentences of articles p-, q-, s-, t-.  ",
        f"Machine: {meta['machine'].get('cpu_model', '?')}; asnclf git {meta['git_revision']}.  ",
        "The noise is the kind the transformer's training augmentation uses, with other seeds.",
        "",
        "| model | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for row in rows:
        lines.append(f"| {row['model']} | " + " | ".join(f"{row[c]:.3f}" for c in columns) + " |")
    (output / "noise_robustness.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
