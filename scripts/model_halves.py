"""How much of an ensemble model's accuracy comes from each half?

Scores the n-gram half alone, the encoder half alone and their mix (n-gram + w x encoder, w from
the card) with the PyTorch weights in `pytorch/` (float32, so the mix can differ from the served
INT8 graph by a message or two), and prints macro-F1 per file. The README's "its n-gram half
alone" and "its encoder half alone" rows come from here.

    python scripts/model_halves.py --model models/default --data data/eval/handwritten.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from fanzha.classifier import Classifier
from training.data import load_labelled
from training.loop import predict_parts
from training.metrics import macro_f1
from training.model import load_trained


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/default", help="model directory")
    parser.add_argument("--data", action="append", required=True, help="labelled file (repeat)")
    args = parser.parse_args()

    model_dir = Path(args.model)
    card = json.loads((model_dir / "card.json").read_text(encoding="utf-8"))
    weight = card.get("ensemble", {}).get("encoder_weight")
    if weight is None:
        print(f"{model_dir} is not an n-gram + encoder ensemble (no ensemble entry in its card)")
        return 2
    classifier = Classifier.load(model_dir, threads=1)
    net = load_trained(model_dir / "pytorch").float()
    labels = list(classifier.labels)
    pad_id = classifier.model_dir.config.encoding.pad_id
    print(f"model {card['model_version']}, encoder weight w = {weight}")
    for path in args.data:
        data = load_labelled([path])
        y = np.array([labels.index(label) for label in data.labels])
        enc, ngr = predict_parts(net, classifier.encoder.encode(data.texts), pad_id)
        scores = {
            "n-gram half": ngr,
            "encoder half": enc,
            "mix": ngr + weight * enc,
        }
        figures = ", ".join(
            f"{name} {macro_f1(y, logits.argmax(axis=1), len(labels)):.4f}"
            for name, logits in scores.items()
        )
        print(f"{Path(path).name} ({len(y)} messages): macro-F1 {figures}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
