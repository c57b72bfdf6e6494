"""Classification metrics in plain numpy, so evaluation needs nothing the runtime lacks.

Beyond accuracy and F1, an anti-fraud centre asks two questions: how many scams get through
(scam recall) and how many legitimate messages get flagged (false positive rate), at the
thresholds the service will actually use. And `risk` must mean what it says (calibration).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from fanzha.decision import scam_mask
from fanzha.modeldir import Thresholds


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n: int) -> np.ndarray:
    """Rows are true labels, columns predicted."""
    matrix = np.zeros((n, n), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def per_label(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall, F1 and support per label, of one confusion matrix or of a stack of
    them (shape (..., n, n): the bootstrap scores all its resamples at once)."""
    tp = np.diagonal(matrix, axis1=-2, axis2=-1).astype(np.float64)
    predicted = matrix.sum(axis=-2)
    support = matrix.sum(axis=-1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return precision, recall, f1, support


def expected_calibration_error(
    probs: np.ndarray, y_true: np.ndarray, bins: int = 15
) -> tuple[float, list[dict[str, float]]]:
    """Top-label ECE with equal-width bins, plus the bins for a reliability diagram."""
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y_true).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    table = []
    for lo, hi in itertools.pairwise(edges):
        inside = (confidence > lo) & (confidence <= hi)
        if not inside.any():
            continue
        conf, acc, weight = confidence[inside].mean(), correct[inside].mean(), inside.mean()
        ece += weight * abs(conf - acc)
        table.append(
            {
                "lo": float(lo),
                "hi": float(hi),
                "confidence": float(conf),
                "accuracy": float(acc),
                "count": int(inside.sum()),
            }
        )
    return float(ece), table


def scam_detection(
    probs: np.ndarray, y_true: np.ndarray, labels: Sequence[str], thresholds: Thresholds
) -> dict[str, dict[str, float]]:
    """Scam-vs-not recall and false positive rate for each way the service flags a message."""
    scam = scam_mask(labels)
    is_scam_true = scam[y_true]
    risk = probs[:, scam].sum(axis=1)
    flagged = {
        "label": scam[probs.argmax(axis=1)],
        f"review (risk>={thresholds.review:g})": risk >= thresholds.review,
        f"block (risk>={thresholds.block:g})": risk >= thresholds.block,
    }
    n_scam, n_ok = int(is_scam_true.sum()), int((~is_scam_true).sum())
    out = {}
    for name, flag in flagged.items():
        out[name] = {
            "scam_recall": float((flag & is_scam_true).sum() / n_scam) if n_scam else float("nan"),
            "false_positive_rate": float((flag & ~is_scam_true).sum() / n_ok)
            if n_ok
            else float("nan"),
        }
    return out


def classification_report(
    probs: np.ndarray, y_true: np.ndarray, labels: Sequence[str], thresholds: Thresholds
) -> dict[str, Any]:
    """Every figure we report for one model on one data set, JSON-ready."""
    y_pred = probs.argmax(axis=1)
    matrix = confusion(y_true, y_pred, len(labels))
    precision, recall, f1, support = per_label(matrix)
    present = support > 0
    ece, reliability = expected_calibration_error(probs, y_true)
    return {
        "n": len(y_true),
        "accuracy": float((y_pred == y_true).mean()) if len(y_true) else float("nan"),
        "macro_f1": float(f1[present].mean()) if present.any() else float("nan"),
        "weighted_f1": float((f1 * support).sum() / support.sum()) if support.sum() else 0.0,
        "per_label": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
        "confusion_matrix": matrix.tolist(),
        "scam_detection": scam_detection(probs, y_true, labels, thresholds),
        "ece": ece,
        "reliability": reliability,
    }


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, n: int) -> float:
    return float(_macro_f1_of(confusion(y_true, y_pred, n)))


def _macro_f1_of(matrix: np.ndarray) -> np.ndarray:
    """Mean F1 over the labels present in the truth (0 when none is), per confusion matrix."""
    _, _, f1, support = per_label(matrix)
    present = support > 0
    return (f1 * present).sum(axis=-1) / np.maximum(present.sum(axis=-1), 1)


def paired_bootstrap(
    y_true: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    n: int,
    rounds: int = 2000,
    seed: int = 0,
) -> dict[str, float]:
    """Macro-F1 of A minus B with a 95% interval from resampling the messages (the same
    resample for both, so what they share cancels out). A hand-written set of a few hundred
    messages moves macro-F1 by about a point when a handful of verdicts change; this says
    whether a difference between two models is bigger than that noise."""
    y_true, pred_a, pred_b = (np.asarray(v, dtype=np.int64) for v in (y_true, pred_a, pred_b))
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(y_true), size=(rounds, len(y_true)))
    offsets = (np.arange(rounds) * n * n)[:, None]

    def scores(pred: np.ndarray) -> np.ndarray:
        """Macro-F1 of every resample: one confusion matrix each, counted in one bincount."""
        cells = (y_true[picks] * n + pred[picks] + offsets).ravel()
        return _macro_f1_of(np.bincount(cells, minlength=rounds * n * n).reshape(rounds, n, n))

    differences = scores(pred_a) - scores(pred_b)
    low, high = np.percentile(differences, [2.5, 97.5])
    observed = macro_f1(y_true, pred_a, n) - macro_f1(y_true, pred_b, n)
    return {
        "difference": float(observed),
        "low": float(low),
        "high": float(high),
        "a_ahead_share": float((differences > 0).mean()),
        "rounds": rounds,
    }
