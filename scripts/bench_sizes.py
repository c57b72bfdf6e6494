"""Choose the default encoder size by measurement: accuracy and speed of every size, one run.

Each size is trained by the real pipeline (`run_training`, the default recipe) on the same
reduced corpus (--per-label messages per label, --epochs epochs, validation on the hand-written
development set), then the exported graph is timed on SMS-length texts (<= 70 characters) in
batches of 64, rounds interleaved across sizes so machine noise hits all of them alike.
Reported: the served model's macro-F1 on the development set (what chooses: the size with the
best one is the default), hand-written evaluation macro-F1 and scam recall / FPR at the block
threshold, the TF-IDF baseline on the same split, ONNX messages/s, training minutes and the
graph's size.

    python scripts/bench_sizes.py                        # micro tiny small base, ~25 minutes
    python scripts/bench_sizes.py --sizes tiny small --per-label 800 --epochs 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_model import batches, sms_texts  # noqa: E402
from compare_runs import run_row  # noqa: E402

from fanzha.classifier import Classifier  # noqa: E402
from training.corpus.generate import generate_corpus  # noqa: E402
from training.data import write_records  # noqa: E402
from training.pipeline import TrainOptions, run_training  # noqa: E402

DEV = REPO / "data/dev/handwritten_dev.jsonl"
EVAL = REPO / "data/eval/handwritten.jsonl"


def block_detection(report: dict) -> dict:
    key = next(k for k in report["scam_detection"] if k.startswith("block"))
    return report["scam_detection"][key]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=["micro", "tiny", "small", "base"])
    parser.add_argument("--per-label", type=int, default=1500)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the table as JSON here")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="fanzha-sizes-"))
    corpus = work / "corpus.jsonl"
    write_records(corpus, generate_corpus(per_label=args.per_label, seed=13))
    rows: dict[str, dict] = {}
    for size in args.sizes:
        started = time.perf_counter()
        out = run_training(
            TrainOptions(
                data=[str(corpus)],
                validation_data=[str(DEV)],
                eval_data=[str(EVAL)],
                out=str(work / size),
                size=size,
                epochs=args.epochs,
                threads=args.threads,
            )
        )
        card = json.loads((out / "card.json").read_text())
        hand = card["evaluation"][EVAL.stem]
        rows[size] = {
            "hidden/layers": f"{card['architecture']['hidden']}/{card['architecture']['layers']}",
            "dev_macro_f1": run_row(out)["dev_macro_f1"],
            "macro_f1": hand["model"]["macro_f1"],
            "baseline_macro_f1": hand["baseline"]["macro_f1"],
            "scam_recall": block_detection(hand["model"])["scam_recall"],
            "fpr": block_detection(hand["model"])["false_positive_rate"],
            "train_min": (time.perf_counter() - started) / 60,
            "mb": card["architecture"]["model_bytes"] / 1e6,
            "rates": [],
        }

    texts = sms_texts(3200, 70)
    loaded = {}
    for size in args.sizes:
        classifier = Classifier.load(work / size, threads=args.threads)
        data = batches(classifier.encoder.encode(texts), 64)
        loaded[size] = (classifier.runner.predict, data)
        for ids, mask in data[:3]:
            classifier.runner.predict(ids, mask)
    for _ in range(args.rounds):
        for size, (predict, data) in loaded.items():
            t = time.perf_counter()
            for ids, mask in data:
                predict(ids, mask)
            rows[size]["rates"].append(len(texts) / (time.perf_counter() - t))

    print(
        f"{args.per_label} messages/label, {args.epochs} epochs, evaluated on {EVAL.name}; "
        f"speed: {len(texts)} SMS (<= 70 chars), batch 64, {args.threads} threads, "
        f"median of {args.rounds} rounds"
    )
    print(
        f"{'size':6} {'hidden/layers':>13} {'dev F1':>7} {'macro-F1':>9} {'TF-IDF':>7} "
        f"{'recall':>7} {'FPR':>6} {'msg/s':>7} {'train min':>9} {'MB':>6}"
    )
    for size, r in rows.items():
        r["msg_per_s"] = statistics.median(r.pop("rates"))
        print(
            f"{size:6} {r['hidden/layers']:>13} {r['dev_macro_f1']:7.3f} {r['macro_f1']:9.3f} "
            f"{r['baseline_macro_f1']:7.3f} {r['scam_recall']:7.3f} {r['fpr']:6.3f} "
            f"{r['msg_per_s']:7.0f} {r['train_min']:9.1f} {r['mb']:6.1f}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
