"""Evaluate a model directory through the same Classifier the service uses.

`fanzha evaluate` and the end of `fanzha train` both measure the exported ONNX graph, never
the PyTorch weights, so the figures describe exactly what gets served.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fanzha.classifier import Classifier
from fanzha.decision import softmax
from training.data import DataError, Labelled, load_labelled
from training.metrics import classification_report, expected_calibration_error


def label_indices(part: Labelled, labels: Sequence[str], name: str) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted(set(part.labels) - set(index))
    if unknown:
        raise DataError(
            f"{name} holds label(s) {unknown} that the model does not know (it knows "
            f"{list(labels)}); evaluate on data with the model's labels, or retrain with them"
        )
    return np.array([index[label] for label in part.labels], dtype=np.int64)


def part_logits(classifier: Classifier, part: Labelled) -> np.ndarray:
    return classifier.logits_in_order(classifier.encoder.encode(part.texts))


def evaluate_part(
    classifier: Classifier, part: Labelled, name: str, logits: np.ndarray | None = None
) -> dict[str, Any]:
    """Full report for one data set, with calibration before and after temperature scaling."""
    y = label_indices(part, classifier.labels, name)
    if logits is None:
        logits = part_logits(classifier, part)
    report = classification_report(
        softmax(logits, classifier.temperature), y, classifier.labels, classifier.thresholds
    )
    ece_raw, reliability_raw = expected_calibration_error(softmax(logits), y)
    report["ece_uncalibrated"] = ece_raw
    report["reliability_uncalibrated"] = reliability_raw
    return report


def evaluate_model_dir(
    model: str | Path,
    data: Sequence[str],
    text_column: str = "text",
    label_column: str = "label",
    threads: int = 0,
    adversarial: bool = False,
) -> dict[str, Any]:
    classifier = Classifier.load(model, threads=threads)
    results: dict[str, Any] = {"model_version": classifier.version, "sets": {}}
    if adversarial:
        results["adversarial"] = {}
    for path in data:
        part = load_labelled([path], text_column, label_column)
        name = Path(path).name
        results["sets"][name] = evaluate_part(classifier, part, str(path))
        if adversarial:
            from training.adversarial import adversarial_report

            results["adversarial"][name] = adversarial_report(classifier, part, name)
    return results


def format_report(
    name: str,
    report: dict[str, Any],
    baseline: dict[str, Any] | None = None,
    versus: dict[str, float] | None = None,
) -> str:
    """A plain-text table an analyst reads in a terminal; `versus` is the paired bootstrap of
    the model's macro-F1 against the baseline's."""
    lines = [f"== {name}: {report['n']} messages =="]
    head = f"{'':28s}{'model':>10s}" + (f"{'baseline':>10s}" if baseline else "")
    lines.append(head)
    for key in ("accuracy", "macro_f1", "weighted_f1", "ece"):
        row = f"{key:28s}{report[key]:10.4f}"
        if baseline:
            row += f"{baseline[key]:10.4f}"
        lines.append(row)
    lines.append(f"{'ece before calibration':28s}{report['ece_uncalibrated']:10.4f}")
    if versus:
        lines.append(f"macro-F1, model - baseline: {describe_difference(versus)}")
    for rule, figures in report["scam_detection"].items():
        row = f"scam recall / FPR [{rule}]"
        lines.append(
            f"{row:42s}{figures['scam_recall']:.4f} / {figures['false_positive_rate']:.4f}"
        )
    lines.append(f"{'label':30s}{'prec':>8s}{'recall':>8s}{'f1':>8s}{'n':>7s}")
    for label, figures in report["per_label"].items():
        if figures["support"] == 0 and figures["precision"] == 0:
            continue
        lines.append(
            f"{label:30s}{figures['precision']:8.3f}{figures['recall']:8.3f}"
            f"{figures['f1']:8.3f}{figures['support']:7d}"
        )
    return "\n".join(lines)


def describe_difference(
    versus: dict[str, float], a: str = "the model", b: str = "the baseline"
) -> str:
    """One line for a paired bootstrap of A - B: the difference, its 95% interval, the verdict."""
    low, high = versus["low"], versus["high"]
    verdict = f"{a} is ahead" if low > 0 else f"{b} is ahead" if high < 0 else "within noise"
    return (
        f"{versus['difference']:+.4f} (95% interval {low:+.4f} to {high:+.4f} over "
        f"{int(versus['rounds'])} resamples of the messages: {verdict})"
    )
