"""How to cut long messages: accuracy of head / tail / head+tail truncation at several token
budgets, on the long messages of the evaluation sets, with the cost of each budget.

Scam scripts run to 150-400 characters; the hook is usually at the start and the contact or
payment instruction at the end. This measures, rather than assumes, which part matters.

    python scripts/measure_truncation.py --model models/default
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from fanzha.classifier import Classifier
from fanzha.tokenizer import TextEncoder
from training.data import load_labelled
from training.evaluate import label_indices
from training.metrics import macro_f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="models/default")
    parser.add_argument("--data", action="append", default=None)
    parser.add_argument("--min-chars", type=int, default=120)
    parser.add_argument("--lengths", default="48,64,96,128,160")
    args = parser.parse_args()
    files = args.data or ["data/eval/handwritten.jsonl"]

    classifier = Classifier.load(args.model)
    data = load_labelled(files)
    keep = [i for i, t in enumerate(data.texts) if len(t) >= args.min_chars]
    long = data.subset(keep)
    y = label_indices(long, classifier.labels, "long messages")
    print(f"{len(long)} messages of >= {args.min_chars} characters from {', '.join(files)}")
    print(
        f"{'tokens':>7s} {'strategy':10s} {'accuracy':>9s} {'macro-F1':>9s} {'truncated':>10s}"
        f" {'ms/100 msgs':>12s}"
    )
    base = classifier.encoder.config
    limit = base.max_length
    for length in (int(v) for v in args.lengths.split(",")):
        if length > limit:
            continue
        for strategy in ("head", "tail", "head_tail"):
            config = dataclasses.replace(base, max_length=length, truncation=strategy)
            classifier.encoder = TextEncoder(classifier.encoder.tokenizer, config)
            encoded = classifier.encoder.encode(long.texts)
            started = time.perf_counter()
            pred = classifier.logits_in_order(encoded).argmax(axis=1)
            ms = (time.perf_counter() - started) * 1000 * 100 / len(long)
            truncated = np.mean([e.truncated for e in encoded])
            print(
                f"{length:7d} {strategy:10s} {(pred == y).mean():9.4f} "
                f"{macro_f1(y, pred, len(classifier.labels)):9.4f} {truncated:10.2f} {ms:12.1f}"
            )


if __name__ == "__main__":
    main()
