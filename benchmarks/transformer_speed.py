"""Scoring speed of the shipped transformer against a plain ``transformers`` pipeline.

Both score the bundled test split's sentences (with their previous sentence as context) with
the same fine-tuned encoder weights and head, in the same process, on the same threads:

- asnclf: ``model.predict_proba`` (length-sorted batches, dynamic padding, inference mode,
  LoRA folded into the weights; with late context fusion, each text through the lower layers
  once and the top layers attending to the previous sentence's states);
- plain: ``transformers.pipeline("feature-extraction")`` over the sentence with its previous
  sentence as a second segment (the input a plain encoder needs to see the context), one
  sentence a call (its default) and with ``batch_size=32``, then the same pooling and head;
  and, as the least work a plain pipeline can do, over the sentence alone, one a call.

For a model with input fusion the plain pipeline computes exactly what the model does, and the
largest probability difference is reported. With late fusion the model computes something
else from the same text and weights, so the share of sentences whose labels agree is
reported instead.

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

    import copy
    import dataclasses

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
    # The plain pipeline reads the context as a second segment of the encoder's input.
    plain_view = copy.copy(model)
    plain_view.config = dataclasses.replace(model.config, context_fusion="input")
    encoded = plain_view._encode(texts, context)
    alone = plain_view._encode(texts, [type(c)() for c in context])
    tokenizer = model.tokenizer_
    # The same token sequences as text: special tokens written out are read back as specials.
    strings = [tokenizer.decode(ids, skip_special_tokens=False) for ids, _ in encoded]
    assert all(tokenizer(s, add_special_tokens=False)["input_ids"] == ids for s, (ids, _) in zip(strings[:50], encoded))
    alone_strings = [tokenizer.decode(ids, skip_special_tokens=False) for ids, _ in alone]

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

    def plain(batch_size: int, inputs: list[str] = strings, layout: list = encoded) -> np.ndarray:
        states = extractor(
            inputs, batch_size=batch_size, return_tensors=True, tokenize_kwargs={"add_special_tokens": False}
        )
        rows = []
        with torch.inference_mode():
            for state, (_, sentence_length) in zip(states, layout):
                pooled = state[0, :sentence_length].mean(dim=0, keepdim=True)
                rows.append(torch.sigmoid(model.network_.head(pooled))[0].numpy())
        return np.stack(rows)

    plain(8)
    plain1_s, plain1 = timed(lambda: plain(1), repeats=3)
    plain32_s, plain32 = timed(lambda: plain(32), repeats=2)
    alone1_s, _ = timed(lambda: plain(1, alone_strings, alone), repeats=3)
    n = len(texts)
    late = model.config.context_fusion == "late"
    thresholds = np.asarray(model.thresholds_)
    result = {
        "command": "python benchmarks/transformer_speed.py " + " ".join(sys.argv[1:]),
        "model": model.describe() | {"backbone": model.backbone_},
        "data": {
            "split": "test",
            "sha256": sha256_file(split_path("test")),
            "sentences": n,
            "mean_tokens": round(float(np.mean([len(ids) for ids, _ in encoded])), 1),
            "mean_tokens_sentence_alone": round(float(np.mean([len(ids) for ids, _ in alone])), 1),
        },
        "context_fusion": model.config.context_fusion,
        "threads": args.threads,
        "asnclf_sentences_per_s": round(n / ours_s, 1),
        "pipeline_batch1_sentences_per_s": round(n / plain1_s, 1),
        "pipeline_batch32_sentences_per_s": round(n / plain32_s, 1),
        "pipeline_sentence_alone_batch1_sentences_per_s": round(n / alone1_s, 1),
        "speedup_vs_pipeline_default": round(plain1_s / ours_s, 2),
        "speedup_vs_pipeline_batch32": round(plain32_s / ours_s, 2),
        "speedup_vs_pipeline_sentence_alone": round(alone1_s / ours_s, 2),
        "max_abs_probability_difference": (
            None if late else float(max(np.abs(ours - plain1).max(), np.abs(ours - plain32).max()))
        ),
        "label_agreement_with_pipeline": float(((ours >= thresholds) == (plain1 >= thresholds)).all(axis=1).mean()),
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
