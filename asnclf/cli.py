"""The ``asnclf`` command: thin wrappers over importable functions."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from asnclf.errors import AsnclfError


def _overrides(pairs: Sequence[str]) -> dict[str, str]:
    """``--key value`` pairs left over by argparse, as a dict."""
    out: dict[str, str] = {}
    items = list(pairs)
    while items:
        key = items.pop(0)
        if not key.startswith("--") or not items:
            raise AsnclfError(f"expected '--key value' overrides, got {key!r}")
        out[key[2:].replace("-", "_")] = items.pop(0)
    return out


def cmd_tag(args: argparse.Namespace) -> int:
    from asnclf.api import load
    from asnclf.batch import tag_file

    tagger = load(args.model)
    summary = tag_file(
        tagger, args.input, args.output, input_format=args.format, text_field=args.text_field,
        resume=args.resume, with_sentences=not args.no_sentences,
        on_bad_row=lambda row, reason: print(f"asnclf tag: row {row} skipped: {reason}", file=sys.stderr),
        progress=sys.stderr.isatty() and not args.quiet,
    )
    resumed = f", {summary.skipped_resumed} already done" if summary.skipped_resumed else ""
    print(f"asnclf tag: {summary.tagged} tagged, {summary.skipped_bad} bad rows skipped{resumed}", file=sys.stderr)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from asnclf.api import load
    from asnclf.corpus import read_labeled
    from asnclf.evaluation import error_rows, evaluate, score, to_markdown, write_errors, write_report

    if args.html and not args.report:
        raise AsnclfError("--html writes into the --report directory: give --report DIR too")
    tagger = load(args.model)
    data = read_labeled(args.data, label_set=tagger.labels)
    scored = score(tagger, data)
    report = evaluate(tagger, data, n_resamples=args.resamples, seed=args.seed, scored=scored)
    if args.report:
        paths = write_report(report, args.report, visual=args.html)
        print(f"asnclf evaluate: report written to {', '.join(str(p) for p in paths.values())}", file=sys.stderr)
    if args.errors:
        rows = error_rows(data, scored, tagger.labels, tagger.model.thresholds_)
        path = write_errors(rows, args.errors, source=data.source)
        print(f"asnclf evaluate: {len(rows)} errors written to {path}", file=sys.stderr)
    if args.json:
        json.dump(report, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(to_markdown(report))
    return 0


def cmd_train(args: argparse.Namespace, extra: Sequence[str]) -> int:
    from asnclf.models import model_class
    from asnclf.training import train

    cls = model_class(args.kind)
    config = cls.config_class.from_file(args.config) if args.config else cls.config_class()
    config = config.with_overrides(_overrides(extra))
    model = train(args.kind, config, train_data=args.train, dev_data=args.dev, output=args.output)
    print(json.dumps({"saved": str(Path(args.output).resolve()), **model.describe()}, ensure_ascii=False, indent=1))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from asnclf.bench import bench_to_files, build_plans

    plans = [] if args.render_only else build_plans(
        args.models, seeds=args.seeds, seeds_for=args.seeds_for, max_train=args.max_train, max_dev=args.max_dev,
        configs=args.config, overrides=args.set)
    written = bench_to_files(args.suite, plans, args.output, data_dir=args.data_dir, datasets=args.datasets,
                             n_resamples=args.resamples, merge=args.merge, render_only=args.render_only,
                             figures=not args.no_figures, command="asnclf " + shlex.join(args.argv),
                             notes=args.note)
    if not written:
        return 1
    print(f"asnclf bench: written {', '.join(str(p) for p in written.values())}", file=sys.stderr)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from asnclf.api import resolve_model_dir
    from asnclf.artifacts import read_manifest

    directory = resolve_model_dir(args.model)
    manifest = read_manifest(directory)
    manifest["path"] = str(directory.resolve())
    print(json.dumps(manifest, ensure_ascii=False, indent=1))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="asnclf", description="Tag Indonesian election news on ASN neutrality.")
    sub = parser.add_subparsers(dest="command", required=True)

    tag = sub.add_parser("tag", help="tag articles in a file or stdin")
    tag.add_argument("input", help="text (one article a line), JSONL, CSV, Parquet, or - for stdin")
    tag.add_argument("-o", "--output", default="-", help="JSONL, CSV or Parquet output (default: stdout, JSONL)")
    tag.add_argument("--model", default=None, help="model directory or shipped name (default: the shipped default)")
    tag.add_argument("--format", default=None, choices=["txt", "jsonl", "csv", "parquet"], help="input format")
    tag.add_argument("--text-field", default="text", help="field holding the article text (default: text)")
    tag.add_argument("--resume", action="store_true", help="skip rows already in the output and append")
    tag.add_argument("--no-sentences", action="store_true", help="omit per-sentence evidence")
    tag.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    evaluate = sub.add_parser("evaluate", help="evaluate a model on labelled data")
    evaluate.add_argument("--model", required=True, help="model directory or shipped name")
    evaluate.add_argument("--data", required=True, help="labelled file: corpus JSONL or flat sentences")
    evaluate.add_argument("--json", action="store_true", help="print the report as one JSON object")
    evaluate.add_argument("--report", default=None, help="write report.json, report.md and report.png here")
    evaluate.add_argument("--html", action="store_true", help="with --report: also report.html (self-contained) and "
                          "reliability.png, confusion.png, thresholds.png")
    evaluate.add_argument("--errors", default=None, metavar="FILE", help="write the misclassified sentences with "
                          "their scores, grouped by label and kind of error (.md, .csv or .jsonl)")
    evaluate.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (default 1000)")
    evaluate.add_argument("--seed", type=int, default=0, help="bootstrap seed")

    train = sub.add_parser("train", help="train a model; extra '--key value' pairs override the config")
    train.add_argument("kind", help="rules, tfidf or transformer")
    train.add_argument("-o", "--output", required=True, help="directory to save the model to")
    train.add_argument("--config", default=None, help="JSON file with the kind's config")
    train.add_argument("--train", default=None, help="training data (default: the bundled train split)")
    train.add_argument("--dev", default=None, help="dev data (default: the bundled dev split)")

    bench = sub.add_parser("bench", help="train and compare models on a benchmark suite (asn, indonlu, nusax-ind)")
    bench.add_argument("suite", help="asn (bundled corpus), indonlu (SmSA, EmoT, CASA) or nusax-ind")
    bench.add_argument("--models", nargs="+", default=["tfidf"],
                       help="model kinds to compare, or NAME=KIND (default: tfidf)")
    bench.add_argument("--seeds", type=int, default=3, help="training seeds per model (default 3: seeds 0, 1, 2)")
    bench.add_argument("--seeds-for", action="append", default=[], metavar="NAME=N", help="seeds for one model")
    bench.add_argument("--max-train", action="append", default=[], metavar="[NAME=]N",
                       help="train on a stratified subset of N items (documented in the results)")
    bench.add_argument("--max-dev", action="append", default=[], metavar="[NAME=]N", help="use at most N dev items")
    bench.add_argument("--config", action="append", default=[], metavar="NAME=FILE", help="JSON config for a model")
    bench.add_argument("--set", action="append", default=[], metavar="NAME.KEY=VALUE",
                       help="override a config value of a model")
    bench.add_argument("--datasets", nargs="+", default=None, help="only these datasets of the suite")
    bench.add_argument("--data-dir", default=None, help="benchmark data directory (default: $ASNCLF_DATA_DIR or "
                       "../shared/data/benchmarks); never copied into the output")
    bench.add_argument("-o", "--output", default="benchmarks/results",
                       help="results directory (default benchmarks/results)")
    bench.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples per run's CIs (default 1000)")
    bench.add_argument("--merge", action="store_true", help="keep earlier runs of other (dataset, model) pairs "
                       "from the existing bench_SUITE.json")
    bench.add_argument("--no-figures", action="store_true", help="skip the PNG charts (faster)")
    bench.add_argument("--note", action="append", default=[], help="a remark shown with the results (repeatable)")
    bench.add_argument("--render-only", action="store_true", help="train nothing: rewrite the Markdown, HTML and "
                       "charts from the existing bench_SUITE.json")

    info = sub.add_parser("info", help="show a model's manifest")
    info.add_argument("model", help="model directory or shipped name")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if extra and args.command != "train":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.command == "train":
            return cmd_train(args, extra)
        return {"tag": cmd_tag, "evaluate": cmd_evaluate, "bench": cmd_bench, "info": cmd_info}[args.command](args)
    except AsnclfError as error:
        print(f"asnclf {args.command}: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
