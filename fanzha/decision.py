"""From model scores to a verdict: calibrated probabilities, risk, label and suggestion.

Pure functions, so training reports, serving and archive scoring apply the same rule.
`risk` is the total probability of the scam labels; `suggestion` compares it to thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fanzha.modeldir import Thresholds
from fanzha.taxonomy import SCAM_SLUGS, label_zh


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits.astype(np.float64) / temperature
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


@dataclass(frozen=True, slots=True)
class Verdict:
    label: str
    label_zh: str
    is_scam: bool
    risk: float
    suggestion: str
    scores: tuple[tuple[str, float], ...]  # top labels, most probable first

    def to_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "label_zh": self.label_zh,
            "is_scam": self.is_scam,
            "risk": self.risk,
            "suggestion": self.suggestion,
            "scores": [{"label": label, "score": score} for label, score in self.scores],
        }


def scam_mask(labels: Sequence[str]) -> np.ndarray:
    return np.array([label in SCAM_SLUGS for label in labels], dtype=bool)


def suggest(risk: float, thresholds: Thresholds) -> str:
    if risk >= thresholds.block:
        return "block"
    if risk >= thresholds.review:
        return "review"
    return "pass"


def decide(
    probs: np.ndarray, labels: Sequence[str], thresholds: Thresholds, top_k: int = 3
) -> list[Verdict]:
    """One verdict per row of `probs` (rows are calibrated probabilities over `labels`)."""
    scam = scam_mask(labels)
    risks = probs[:, scam].sum(axis=1) if scam.any() else np.zeros(len(probs))
    order = np.argsort(-probs, axis=1)[:, :top_k]
    verdicts = []
    for row, risk_value in enumerate(risks):
        best = labels[int(order[row, 0])]
        risk = round(float(min(max(risk_value, 0.0), 1.0)), 6)
        verdicts.append(
            Verdict(
                label=best,
                label_zh=label_zh(best),
                is_scam=best in SCAM_SLUGS,
                risk=risk,
                suggestion=suggest(risk, thresholds),
                scores=tuple((labels[int(i)], round(float(probs[row, i]), 6)) for i in order[row]),
            )
        )
    return verdicts
