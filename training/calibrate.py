"""Temperature scaling, so `risk` is a probability an operator can set thresholds on.

One scalar fitted on validation logits keeps the ranking (and so every label) unchanged and
only sharpens or softens the probabilities.
"""

from __future__ import annotations

import numpy as np

from fanzha.decision import softmax


def negative_log_likelihood(logits: np.ndarray, y_true: np.ndarray, temperature: float) -> float:
    probs = softmax(logits, temperature).astype(np.float64)
    return float(-np.log(np.clip(probs[np.arange(len(y_true)), y_true], 1e-12, 1.0)).mean())


def fit_temperature(logits: np.ndarray, y_true: np.ndarray) -> float:
    """Minimise validation NLL over log-temperature: coarse grid, then golden-section search."""
    if len(y_true) == 0:
        return 1.0
    grid = np.linspace(np.log(0.05), np.log(20.0), 60)
    losses = [negative_log_likelihood(logits, y_true, float(np.exp(g))) for g in grid]
    best = int(np.argmin(losses))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(40):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if negative_log_likelihood(logits, y_true, float(np.exp(a))) < negative_log_likelihood(
            logits, y_true, float(np.exp(b))
        ):
            hi = b
        else:
            lo = a
    return float(np.exp((lo + hi) / 2))
