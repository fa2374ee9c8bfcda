"""Scoring speed of the shipped transformer against a plain ``transformers`` pipeline.

Both score the bundled test split's sentences (with their previous sentence as context) with
the same fine-tuned encoder and head, in the same process, on the same threads:

- asnclf: ``model.predict_proba`` (length-sorted batches, dynamic padding, inference mode,
  LoRA folded into the weights);
- plain: ``transformers.pipeline("feature-extraction")`` on the same token sequences, one
  sentence a call (its default) and with ``batch_size=32``, then the same pooling and head.

The probabilities of both are compared, so the speed-up is for identical outputs.

    python benchmarks/transformer_speed.py --model transformer --threads 2
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="transformer")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=400, help="first N test sentences (0: all)")
    parser.add_argument("--output", default=str(HERE / "results"))
    args = parser.parse_args()

    import numpy as np
    import torch
    from transformers import pipeline

    import asnclf
    from asnclf.artifacts import sha256_file
    from asnclf.corpus import read_labeled, split_path
    from asnclf.provenance import machine, provenance

    torch.set_num_threads(args.threads)
    tagger = asnclf.load(args.model)
    model = tagger.model
    if model.kind != "transformer":
        print(f"{args.model} is a {model.kind} model, not a transformer", file=sys.stderr)
        return 1
    data = read_labeled(split_path("test"))
    limit = args.limit or len(data.texts)
    texts, context = data.texts[:limit], data.context[:limit]
    encoded = model._encode(texts, context)
    tokenizer = model.tokenizer_
    # The same token sequences as text: special tokens written out are read back as specials.
    strings = [tokenizer.decode(ids, skip_special_tokens=False) for ids, _ in encoded]
    assert all(tokenizer(s, add_special_tokens=False)["input_ids"] == ids for s, (ids, _) in zip(strings[:50], encoded))

    def timed(function, repeats: int = 3) -> tuple[float, object]:
        best, result = float("inf"), None
        for _ in range(repeats):
            started = time.perf_counter()
            result = function()
            best = min(best, time.perf_counter() - started)
        return best, result

    model.predict_proba(texts[:32], context=context[:32])
    ours_s, ours = timed(lambda: model.predict_proba(texts, context=context))

    extractor = pipeline("feature-extraction", model=model.network_.encoder, tokenizer=tokenizer, device=-1)

    def plain(batch_size: int) -> np.ndarray:
        states = extractor(
            strings, batch_size=batch_size, return_tensors=True, tokenize_kwargs={"add_special_tokens": False}
        )
        rows = []
        with torch.inference_mode():
            for state, (_, sentence_length) in zip(states, encoded):
                pooled = state[0, :sentence_length].mean(dim=0, keepdim=True)
                rows.append(torch.sigmoid(model.network_.head(pooled))[0].numpy())
        return np.stack(rows)

    plain(8)
    plain1_s, plain1 = timed(lambda: plain(1), repeats=3)
    plain32_s, plain32 = timed(lambda: plain(32), repeats=2)
    n = len(texts)
    result = {
        "command": "python benchmarks/transformer_speed.py " + " ".join(sys.argv[1:]),
        "model": model.describe() | {"backbone": model.backbone_},
        "data": {
            "split": "test",
            "sha256": sha256_file(split_path("test")),
            "sentences": n,
            "mean_tokens": round(float(np.mean([len(ids) for ids, _ in encoded])), 1),
        },
        "threads": args.threads,
        "asnclf_sentences_per_s": round(n / ours_s, 1),
        "pipeline_batch1_sentences_per_s": round(n / plain1_s, 1),
        "pipeline_batch32_sentences_per_s": round(n / plain32_s, 1),
        "speedup_vs_pipeline_default": round(plain1_s / ours_s, 2),
        "speedup_vs_pipeline_batch32": round(plain32_s / ours_s, 2),
        "max_abs_probability_difference": float(max(np.abs(ours - plain1).max(), np.abs(ours - plain32).max())),
        "machine": machine(),
        **provenance(),
    }
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    (output / "transformer_speed.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(json.dumps({k: v for k, v in result.items() if k not in ("model", "machine", "versions")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
