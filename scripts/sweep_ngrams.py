"""Which n-gram orders and regularisation should the n-gram half use? Measured on validation.

Refits the n-gram half (TF-IDF over token-id n-grams, logistic regression with balanced class
weights, as `training/ngrams.py` fits it) on the training split recorded in a model's card, for
each combination of orders and C, and prints macro-F1 on the card's validation data (for the
default model the hand-written development set). The evaluation and held-out sets are never
read: they must stay unused for choices like this one.

    python scripts/sweep_ngrams.py --model models/default
    python scripts/sweep_ngrams.py --orders 1,2,3 --orders 1,2,3,4 --c 3 --c 10
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn.linear_model import LogisticRegression

from fanzha.classifier import Classifier
from training.metrics import macro_f1
from training.ngrams import build_table, count_grams, features
from training.pipeline import TrainOptions, prepare_data

TABLE_SLOTS = 1 << 20  # room for the 4-grams too, so no n-gram is left out of any row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/default", help="model directory")
    parser.add_argument("--orders", action="append", help="e.g. 1,2,3 (repeatable)")
    parser.add_argument("--c", action="append", type=float, help="inverse regularisation")
    args = parser.parse_args()
    orders_text = args.orders or ["1,2", "1,2,3", "1,2,3,4"]
    grid_orders = [tuple(map(int, o.split(","))) for o in orders_text]
    grid_c = args.c or [1.0, 3.0, 10.0, 30.0]

    model = Path(args.model)
    options = dataclasses.replace(TrainOptions.from_card(model), eval_data=[])  # never read
    prep = prepare_data(options)
    encoder = Classifier.load(model).encoder
    train, validation = prep.split.train, prep.split.validation
    train_encoded, val_encoded = encoder.encode(train.texts), encoder.encode(validation.texts)
    y_train, y_val, n = prep.y(train), prep.y(validation), len(prep.labels)
    print(f"{len(train)} training messages; validation: {len(validation)} messages")
    for orders in grid_orders:
        counted_train = count_grams(train_encoded, orders)
        table = build_table(counted_train, TABLE_SLOTS)
        x_train = features(counted_train, table)
        x_val = features(count_grams(val_encoded, orders), table)
        for c in grid_c:
            started = time.perf_counter()
            lr = LogisticRegression(C=c, max_iter=2000, class_weight="balanced", random_state=13)
            lr.fit(x_train, y_train)
            predicted = lr.classes_[lr.predict_proba(x_val).argmax(axis=1)]
            print(
                f"orders {','.join(map(str, orders)):8s} C {c:5g}: validation macro-F1 "
                f"{macro_f1(y_val, predicted, n):.4f} ({table.grams} n-grams, "
                f"{time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
