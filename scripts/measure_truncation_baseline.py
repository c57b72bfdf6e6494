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
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fanzha.modeldir import load_model_dir
from fanzha.tokenizer import TextEncoder
from training.baseline import fit_baseline
from training.metrics import macro_f1
from training.pipeline import TrainOptions, prepare_data


def model_view(encoder: TextEncoder) -> Callable[[Sequence[str]], tuple[list[str], np.ndarray]]:
    """Texts as the model's own encoder leaves them (normalised, whitespace dropped, cut to its
    budget), spelled back out of a character vocabulary, and which of them were cut."""
    vocab = encoder.tokenizer.get_vocab(with_added_tokens=True)
    spelled = {i: token for token, i in vocab.items()}
    unk = vocab["[UNK]"]

    def view(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        encoded = encoder.encode(texts)
        kept = ["".join("\ufffd" if i == unk else spelled[i] for i in e.ids[1:-1]) for e in encoded]
        return kept, np.array([e.truncated for e in encoded])

    return view


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/default")
    parser.add_argument("--data", action="append", default=[], help="another evaluation file")
    args = parser.parse_args()

    model_dir = load_model_dir(args.model)
    encoder = TextEncoder.from_file(model_dir.tokenizer_path, model_dir.config.encoding)
    if not encoder.fast:
        raise SystemExit(
            f"{args.model} has a pretrained tokenizer; this measures character-vocabulary models"
        )
    view = model_view(encoder)
    options = TrainOptions.from_card(args.model)
    options = dataclasses.replace(
        options, eval_data=[*options.eval_data, *options.validation_data, *args.data]
    )
    prep = prepare_data(options)
    train, n = prep.split.train, len(prep.labels)
    y_train = prep.y(train)
    full = fit_baseline(train.texts, y_train, n, options.seed)
    cut_texts, cut = view(train.texts)
    short = fit_baseline(cut_texts, y_train, n, options.seed)
    print(
        f"budget {options.max_length} tokens ({options.truncation}); training split "
        f"{len(train)} messages, {int(cut.sum())} of them cut"
    )
    print(f"{'set':22} {'messages':>8} {'cut':>5}  macro-F1 full / cut   accuracy on cut ones")
    for name, part in prep.eval_sets.items():
        y = prep.y(part)
        cut_texts, long = view(part.texts)
        p_full = full.predict_proba(part.texts).argmax(axis=1)
        p_cut = short.predict_proba(cut_texts).argmax(axis=1)
        print(
            f"{name:22} {len(y):8} {int(long.sum()):5}  {macro_f1(y, p_full, n):.4f} / "
            f"{macro_f1(y, p_cut, n):.4f}      {np.mean(p_full[long] == y[long]):.4f} / "
            f"{np.mean(p_cut[long] == y[long]):.4f}"
        )


if __name__ == "__main__":
    main()
