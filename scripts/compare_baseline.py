"""Is a model directory's macro-F1 really above (or below) the TF-IDF baseline's?

Refits the baseline on the training split recorded in the model's card (same data, seed and
normaliser as `fanzha train`), scores both on each evaluation file, and prints the difference
with a paired-bootstrap 95% interval. `fanzha train` now records this in the card
(`evaluation.<set>.versus_baseline`); this script gives it for models trained before that.

    python scripts/compare_baseline.py --model models/default
    python scripts/compare_baseline.py --data data/holdout/handwritten_holdout.jsonl
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fanzha.classifier import Classifier
from training.baseline import fit_baseline
from training.evaluate import describe_difference, part_logits
from training.metrics import macro_f1, paired_bootstrap
from training.pipeline import TrainOptions, prepare_data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/default", help="model directory")
    parser.add_argument("--data", action="append", help="evaluation file (default: the card's)")
    parser.add_argument("--rounds", type=int, default=2000, help="bootstrap resamples")
    args = parser.parse_args()

    model = Path(args.model)
    card = json.loads((model / "card.json").read_text(encoding="utf-8"))
    options = TrainOptions.from_card(model)
    if args.data:
        options = dataclasses.replace(options, eval_data=args.data)
    prep = prepare_data(options)
    classifier = Classifier.load(model)
    if list(classifier.labels) != prep.labels:
        print(f"the model's labels {classifier.labels} differ from the data's {prep.labels}")
        return 2
    train = prep.split.train
    baseline = fit_baseline(train.texts, prep.y(train), len(prep.labels), options.seed)
    print(f"model {card['model_version']}; baseline refitted on {len(train)} training messages")
    n = len(prep.labels)
    for name, part in prep.eval_sets.items():
        y = prep.y(part)
        ours = part_logits(classifier, part).argmax(axis=1)
        theirs = baseline.predict_proba(part.texts).argmax(axis=1)
        card_figure = card["evaluation"].get(name, {}).get("baseline", {}).get("macro_f1")
        as_recorded = f" (card: {card_figure:.4f})" if card_figure is not None else ""
        result = paired_bootstrap(y, ours, theirs, n, rounds=args.rounds)
        print(
            f"{name} ({len(y)} messages): model {macro_f1(y, ours, n):.4f}, baseline "
            f"{macro_f1(y, theirs, n):.4f}{as_recorded}; model - baseline "
            f"{describe_difference(result)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
