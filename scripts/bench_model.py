"""Bare model throughput: the ONNX runner (as served) beside PyTorch on the same texts.

Measured side by side in one run, rounds interleaved, so a noisy machine affects both alike;
the figure that matters is the ratio. Texts are SMS-length (<= 70 characters) from the
hand-written evaluation set and the generated corpus, in batches of 64.

    python scripts/bench_model.py --model models/default
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fanzha.classifier import Classifier
from fanzha.tokenizer import Encoded, pad_batch


def sms_texts(n: int, max_chars: int) -> list[str]:
    texts = []
    for path in (Path("data/eval/handwritten.jsonl"), Path("data/corpus/corpus.jsonl")):
        if path.is_file():
            with path.open(encoding="utf-8") as fh:
                texts += [
                    t for t in (json.loads(line)["text"] for line in fh) if len(t) <= max_chars
                ]
    if not texts:
        raise SystemExit("no texts: run `make corpus` or keep data/eval/handwritten.jsonl")
    rng = np.random.default_rng(0)
    return [texts[i] for i in rng.integers(0, len(texts), n)]


def batches(encoded: list[Encoded], size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return [pad_batch(encoded[i : i + size]) for i in range(0, len(encoded), size)]


def rate(run: Callable[[np.ndarray, np.ndarray], object], data: list, n: int) -> float:
    started = time.perf_counter()
    for ids, mask in data:
        run(ids, mask)
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="models/default")
    parser.add_argument("--messages", type=int, default=3200)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-chars", type=int, default=70)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch

    from training.model import load_trained

    torch.set_num_threads(args.threads)
    classifier = Classifier.load(args.model, threads=args.threads)
    model = load_trained(Path(args.model) / "pytorch")
    texts = sms_texts(args.messages, args.max_chars)
    encoded = classifier.encoder.encode(texts)
    data = batches(encoded, args.batch_size)
    tensors = [(torch.from_numpy(i), torch.from_numpy(m)) for i, m in data]

    def torch_run(ids: object, mask: object) -> object:
        with torch.inference_mode():
            return model(ids, mask)

    candidates = {
        "onnx (served graph)": (classifier.runner.predict, data),
        "pytorch fp32": (torch_run, tensors),
    }
    for run, batch_data in candidates.values():  # warm-up
        rate(run, batch_data[:3], 1)
    results: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(args.rounds):
        for name, (run, batch_data) in candidates.items():
            results[name].append(rate(run, batch_data, len(texts)))
    mean_len = statistics.mean(len(t) for t in texts)
    print(
        f"model {classifier.version}, {len(texts)} texts, mean {mean_len:.1f} chars, "
        f"batch {args.batch_size}, {args.threads} threads, {args.rounds} rounds"
    )
    medians = {name: statistics.median(values) for name, values in results.items()}
    for name, value in medians.items():
        print(f"  {name:22s} {value:9.0f} msg/s (median; best {max(results[name]):.0f})")
    print(
        f"  ratio onnx / pytorch: {medians['onnx (served graph)'] / medians['pytorch fp32']:.2f}x"
    )


if __name__ == "__main__":
    main()
