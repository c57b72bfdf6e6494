"""What the token budget costs a character n-gram model: the TF-IDF baseline fitted and scored
on full messages against the same baseline on messages cut as the model cuts them.

The model's n-gram half reads the model's tokens, so it sees a long message only up to the
budget (`--max-length`, head + tail), while the baseline reads the whole text. This refits both
on the training split a model directory's card records and scores every evaluation set it
names (plus `--data` files), overall and on the messages that are cut.

    python scripts/measure_truncation_baseline.py --model models/default
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fanzha.normalize import normalize_text
from fanzha.tokenizer import truncate_ids
from training.baseline import fit_baseline
from training.metrics import macro_f1
from training.pipeline import TrainOptions, prepare_data


def characters(text: str) -> str:
    """The characters the model's character tokenizer makes tokens of (whitespace is dropped)."""
    return "".join(normalize_text(text).split())


def cut(text: str, budget: int, strategy: str) -> str:
    kept = truncate_ids([ord(c) for c in characters(text)], budget, strategy, 0.5)
    return "".join(map(chr, kept))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/default")
    parser.add_argument("--data", action="append", default=[], help="another evaluation file")
    args = parser.parse_args()

    options = TrainOptions.from_card(args.model)
    options = dataclasses.replace(
        options, eval_data=[*options.eval_data, *options.validation_data, *args.data]
    )
    budget = options.max_length - 2  # [CLS] and [SEP]
    prep = prepare_data(options)
    train, n = prep.split.train, len(prep.labels)
    y_train = prep.y(train)
    full = fit_baseline(train.texts, y_train, n, options.seed)
    short_texts = [cut(t, budget, options.truncation) for t in train.texts]
    short = fit_baseline(short_texts, y_train, n, options.seed)
    long_train = sum(len(characters(t)) > budget for t in train.texts)
    print(
        f"budget {options.max_length} tokens ({options.truncation}); training split "
        f"{len(train)} messages, {long_train} of them cut"
    )
    print(f"{'set':22} {'messages':>8} {'cut':>5}  macro-F1 full / cut   accuracy on cut ones")
    for name, part in prep.eval_sets.items():
        y = prep.y(part)
        long = np.array([len(characters(t)) > budget for t in part.texts])
        p_full = full.predict_proba(part.texts).argmax(axis=1)
        p_cut = short.predict_proba([cut(t, budget, options.truncation) for t in part.texts])
        p_cut = p_cut.argmax(axis=1)
        print(
            f"{name:22} {len(y):8} {int(long.sum()):5}  {macro_f1(y, p_full, n):.4f} / "
            f"{macro_f1(y, p_cut, n):.4f}      {np.mean(p_full[long] == y[long]):.4f} / "
            f"{np.mean(p_cut[long] == y[long]):.4f}"
        )


if __name__ == "__main__":
    main()
