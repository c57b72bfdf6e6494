"""The adversarial evaluation: does a disguised scam get the verdict of its plain form?

Every evasion trick in `training.perturb`, one at a time and combined, is applied to a
labelled set (normally the hand-written one); each perturbed copy is scored through the
served model and compared with the clean set on accuracy, macro-F1, scam recall and false
positive rate, plus how often the verdict stayed exactly the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fanzha.classifier import Classifier
from fanzha.decision import scam_mask, softmax
from training.data import Labelled
from training.evaluate import label_indices
from training.metrics import macro_f1, scam_detection
from training.perturb import ADVERSARIAL_KINDS, applicable, perturb_all


def _figures(probs: np.ndarray, y: np.ndarray, classifier: Classifier) -> dict[str, float]:
    detection = scam_detection(probs, y, classifier.labels, classifier.thresholds)
    review = next(v for k, v in detection.items() if k.startswith("review"))
    pred = probs.argmax(axis=1)
    return {
        "accuracy": float((pred == y).mean()),
        "macro_f1": macro_f1(y, pred, len(classifier.labels)),
        "scam_recall": detection["label"]["scam_recall"],
        "false_positive_rate": detection["label"]["false_positive_rate"],
        "scam_recall_review": review["scam_recall"],
        "false_positive_rate_review": review["false_positive_rate"],
    }


def adversarial_report(
    classifier: Classifier, part: Labelled, name: str, seed: int = 13
) -> dict[str, Any]:
    y = label_indices(part, classifier.labels, name)

    def probabilities(texts: list[str]) -> np.ndarray:
        logits = classifier.logits_in_order(classifier.encoder.encode(texts))
        return softmax(logits, classifier.temperature)

    clean_probs = probabilities(part.texts)
    clean = _figures(clean_probs, y, classifier)
    scam = scam_mask(classifier.labels)[y]
    kinds: dict[str, Any] = {}
    for kind in ADVERSARIAL_KINDS:
        texts = perturb_all(part.texts, kind, seed)
        probs = probabilities(texts)
        figures = _figures(probs, y, classifier)
        same = probs.argmax(axis=1) == clean_probs.argmax(axis=1)
        touched = np.array([applicable(t, kind) for t in part.texts])
        kinds[kind] = {
            **figures,
            "changed_share": float(
                np.mean([a != b for a, b in zip(texts, part.texts, strict=True)])
            ),
            "applicable_share": float(touched.mean()),
            "same_label_share": float(same.mean()),
            "same_label_share_scams": float(same[scam].mean()) if scam.any() else float("nan"),
            "delta_macro_f1": figures["macro_f1"] - clean["macro_f1"],
            "delta_scam_recall": figures["scam_recall"] - clean["scam_recall"],
        }
    deltas_f1 = [k["delta_macro_f1"] for k in kinds.values()]
    deltas_recall = [k["delta_scam_recall"] for k in kinds.values()]
    return {
        "set": name,
        "n": len(y),
        "clean": clean,
        "perturbations": kinds,
        "summary": {
            "mean_delta_macro_f1": float(np.mean(deltas_f1)),
            "mean_delta_scam_recall": float(np.mean(deltas_recall)),
            "worst_delta_scam_recall": float(np.min(deltas_recall)),
            "worst_perturbation": min(kinds, key=lambda k: kinds[k]["delta_scam_recall"]),
        },
    }


def format_adversarial(report: dict[str, Any]) -> str:
    clean = report["clean"]
    lines = [
        f"== adversarial: {report['set']} ({report['n']} messages) ==",
        f"{'perturbation':14s}{'changed':>9s}{'acc':>8s}{'macro-F1':>10s}{'Δ':>8s}"
        f"{'scam rec':>10s}{'Δ':>8s}{'FPR':>8s}{'same':>8s}",
        f"{'clean':14s}{'':>9s}{clean['accuracy']:8.4f}{clean['macro_f1']:10.4f}{'':>8s}"
        f"{clean['scam_recall']:10.4f}{'':>8s}{clean['false_positive_rate']:8.4f}",
    ]
    for kind, f in report["perturbations"].items():
        lines.append(
            f"{kind:14s}{f['changed_share']:9.2f}{f['accuracy']:8.4f}{f['macro_f1']:10.4f}"
            f"{f['delta_macro_f1']:+8.4f}{f['scam_recall']:10.4f}{f['delta_scam_recall']:+8.4f}"
            f"{f['false_positive_rate']:8.4f}{f['same_label_share']:8.3f}"
        )
    s = report["summary"]
    lines.append(
        f"mean Δ macro-F1 {s['mean_delta_macro_f1']:+.4f}, "
        f"mean Δ scam recall {s['mean_delta_scam_recall']:+.4f}, "
        f"worst Δ scam recall {s['worst_delta_scam_recall']:+.4f} ({s['worst_perturbation']})"
    )
    return "\n".join(lines)
