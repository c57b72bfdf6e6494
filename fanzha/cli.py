"""`fanzha`: one entry point, one thin subcommand per job.

Every subcommand imports its implementation lazily, so `fanzha serve` and `fanzha score`
never load torch or transformers.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence

Handler = Callable[[argparse.Namespace], int]


def _columns(parser: argparse.ArgumentParser, label: bool = True) -> None:
    parser.add_argument("--text-column", default="text", help="column holding the message text")
    if label:
        parser.add_argument("--label-column", default="label", help="column holding the label")


def cmd_corpus(args: argparse.Namespace) -> int:
    from training.corpus.generate import corpus_fingerprint, generate_corpus
    from training.data import write_records

    records = generate_corpus(per_label=args.per_label, seed=args.seed)
    write_records(args.out, records)
    print(f"wrote {len(records)} messages to {args.out} (sha256 {corpus_fingerprint(records)})")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from training.pipeline import TrainOptions, run_training

    options = TrainOptions(
        data=args.data,
        out=args.out,
        eval_data=args.eval_data or [],
        validation_data=args.validation_data or [],
        text_column=args.text_column,
        label_column=args.label_column,
        base_model=args.base_model,
        init_from=args.init_from,
        precision=args.precision,
        ngram_buckets=args.ngram_buckets,
        dropout=args.dropout,
        label_smoothing=args.label_smoothing,
        token_noise=args.token_noise,
        weight_average=args.weight_average,
        size=args.size,
        max_length=args.max_length,
        truncation=args.truncation,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        patience=args.patience,
        validation_fraction=args.validation_fraction,
        test_fraction=args.test_fraction,
        seed=args.seed,
        quantize=not args.no_quantize,
        augment=not args.no_augment,
        resume=args.resume,
        threads=args.threads,
        review_threshold=args.review_threshold,
        block_threshold=args.block_threshold,
        block_fpr=args.block_fpr,
        name=args.name,
    )
    out = run_training(options)
    from training.evaluate import format_report

    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    for name, result in card["evaluation"].items():
        print(
            format_report(name, result["model"], result["baseline"], result.get("versus_baseline"))
        )
    print(truncation_note(card["data"]["truncated_share"], options.max_length))
    print(f"model directory: {out} (report: {out / 'report.html'})")
    return 0


def truncation_note(share: float, max_length: int) -> str:
    """Long messages lose their middle to the token budget, the n-gram half included, while a
    full-text baseline sees everything; a user with long scripts should know to measure."""
    note = (
        f"{share:.0%} of the messages are longer than --max-length ({max_length} tokens)"
        " and were cut"
    )
    if share > 0.25:
        note += (
            "; with this many long messages, also train with a larger --max-length (up to 512)"
            " and compare the two model directories (python scripts/compare_runs.py DIR DIR)"
        )
    return note


def cmd_evaluate(args: argparse.Namespace) -> int:
    from training.evaluate import evaluate_model_dir, format_report

    results = evaluate_model_dir(
        args.model,
        args.data,
        args.text_column,
        args.label_column,
        args.threads,
        adversarial=args.adversarial,
    )
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0
    print(f"model {results['model_version']}")
    for name, report in results["sets"].items():
        print(format_report(name, report))
    if args.adversarial:
        from training.adversarial import format_adversarial

        for report in results["adversarial"].values():
            print(format_adversarial(report))
    return 0


# Subcommands with their own parser in their own package: `fanzha serve ...` hands everything
# after the subcommand to that package's `main(argv)`, so its flags live beside its code.
DELEGATED = {
    "serve": ("service.cli", "run the HTTP classification service"),
    "score": ("scoring.cli", "score an archive (CSV/JSONL/Parquet) with a model directory"),
    "loadtest": ("loadtest.cli", "load-test the service with Locust and write a report"),
    "feedback": ("service.feedback_cli", "export analysts' corrections as training data"),
    "compare": ("training.compare", "compare two model directories before promoting one"),
}


def run_delegated(command: str, argv: Sequence[str]) -> int:
    import importlib

    module = importlib.import_module(DELEGATED[command][0])
    return int(module.main(list(argv), prog=f"fanzha {command}"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fanzha", description="反诈: Chinese scam-SMS classification"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("corpus", help="generate the built-in labelled training corpus")
    p.add_argument("--out", required=True, help="output file (.jsonl, .csv or .parquet)")
    p.add_argument("--per-label", type=int, default=3000, help="messages per label")
    p.add_argument("--seed", type=int, default=13)
    p.set_defaults(handler=cmd_corpus)

    p = sub.add_parser("train", help="train, evaluate and export a model directory")
    p.add_argument(
        "--data",
        action="append",
        required=True,
        metavar="FILE",
        help="labelled CSV/JSONL/Parquet; repeat for several files",
    )
    p.add_argument("--out", required=True, help="model directory to write")
    p.add_argument(
        "--eval-data",
        action="append",
        metavar="FILE",
        help="extra held-out file reported separately (never trained on)",
    )
    p.add_argument(
        "--validation-data",
        action="append",
        metavar="FILE",
        help="validation file for early stopping and calibration instead of a split of --data "
        "(data like what will be scored, when --data is generated)",
    )
    _columns(p)
    p.add_argument("--base-model", help="pretrained BERT-family checkpoint (path or hub id)")
    p.add_argument(
        "--init-from",
        metavar="MODEL_DIR",
        help="warm-start from a fanzha model directory (its tokenizer and encoder weights)",
    )
    p.add_argument(
        "--precision",
        default="auto",
        choices=("auto", "bf16", "fp32"),
        help="training arithmetic; auto uses bfloat16 where the CPU runs it natively",
    )
    p.add_argument(
        "--size",
        default="tiny",
        choices=("micro", "tiny", "small", "base"),
        help="encoder size when training from scratch",
    )
    p.add_argument("--max-length", type=int, default=160, help="tokens per message")
    p.add_argument(
        "--ngram-buckets",
        type=int,
        default=262144,
        help="slots of the character 1-3-gram TF-IDF table beside the encoder (0: none)",
    )
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument(
        "--token-noise", type=float, default=0.15, help="share of tokens masked during training"
    )
    p.add_argument(
        "--weight-average",
        type=float,
        default=0.999,
        help="validate and keep a moving average of the weights with this decay per step "
        "(0: off, keep the weights as trained)",
    )
    p.add_argument("--truncation", default="head_tail", choices=("head", "tail", "head_tail"))
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--patience", type=int, default=2, help="epochs without improvement")
    p.add_argument("--validation-fraction", type=float, default=0.1)
    p.add_argument("--test-fraction", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--no-quantize", action="store_true", help="serve the FP32 graph")
    p.add_argument("--no-augment", action="store_true", help="no evasion-style augmentation")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: all)")
    p.add_argument("--review-threshold", type=float, default=0.5)
    p.add_argument("--block-threshold", type=float, default=0.9)
    p.add_argument(
        "--block-fpr",
        type=float,
        metavar="RATE",
        help="instead of --block-threshold, block at the lowest risk (0.01 steps, not below "
        "--review-threshold) at which at most RATE of the validation data's non-scam messages "
        "would be blocked, e.g. 0.01",
    )
    p.add_argument("--name", default="fanzha", help="prefix of the model version")
    p.set_defaults(handler=cmd_train)

    p = sub.add_parser("evaluate", help="metrics of a model directory on labelled data")
    p.add_argument("--model", required=True, help="model directory")
    p.add_argument("--data", action="append", required=True, metavar="FILE")
    _columns(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--adversarial", action="store_true", help="also score evasion-disguised copies")
    p.add_argument("--threads", type=int, default=0)
    p.set_defaults(handler=cmd_evaluate)

    for name, (_, help_text) in DELEGATED.items():
        sub.add_parser(name, help=help_text + f" (see: fanzha {name} --help)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        return run_delegated(argv[0], argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from fanzha.errors import USER_ERRORS

    try:
        return int(args.handler(args))
    except USER_ERRORS as exc:
        print(f"fanzha {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"fanzha {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
