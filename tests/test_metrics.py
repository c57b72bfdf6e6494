"""The paired bootstrap of two models' macro-F1 on the same messages."""

from __future__ import annotations

import numpy as np
import pytest

from training.evaluate import describe_difference
from training.metrics import macro_f1, paired_bootstrap


def labelled(seed: int, n: int = 300, labels: int = 5, wrong_a: int = 20, wrong_b: int = 60):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, labels, n)
    a, b = y.copy(), y.copy()
    a[:wrong_a] = (y[:wrong_a] + 1) % labels
    b[-wrong_b:] = (y[-wrong_b:] + 2) % labels
    return y, a, b


def test_each_resample_is_scored_like_macro_f1() -> None:
    """The vectorised scoring of all resamples at once equals scoring each one on its own."""
    y, a, b = labelled(0)
    result = paired_bootstrap(y, a, b, 5, rounds=7, seed=3)
    picks = np.random.default_rng(3).integers(0, len(y), size=(7, len(y)))
    differences = [macro_f1(y[p], a[p], 5) - macro_f1(y[p], b[p], 5) for p in picks]
    low, high = np.percentile(differences, [2.5, 97.5])
    assert (result["low"], result["high"]) == pytest.approx((low, high), abs=1e-12)
    assert result["difference"] == pytest.approx(macro_f1(y, a, 5) - macro_f1(y, b, 5))


def test_a_clear_difference_excludes_zero_and_a_tie_does_not() -> None:
    y, a, b = labelled(1)
    ahead = paired_bootstrap(y, a, b, 5)
    assert 0 < ahead["low"] <= ahead["difference"] <= ahead["high"]
    assert ahead["a_ahead_share"] == 1.0
    behind = paired_bootstrap(y, b, a, 5)
    assert behind["high"] < 0
    y, a, b = labelled(2, wrong_a=30, wrong_b=31)
    tie = paired_bootstrap(y, a, b, 5)
    assert tie["low"] < 0 < tie["high"]
    assert "within noise" in describe_difference(tie)
    assert "the model is ahead" in describe_difference(ahead)
    assert "the baseline is ahead" in describe_difference(behind)
