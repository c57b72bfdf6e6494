"""The block threshold chosen on validation data for an accepted false positive rate."""

from __future__ import annotations

import numpy as np
import pytest

from fanzha.errors import UserError
from training.data import DataError
from training.thresholds import choose_block_threshold

RISK = np.array([0.10, 0.55, 0.80, 0.30, 0.62, 0.95, 0.99])
SCAM = np.array([False, False, False, True, True, True, True])


def test_lowest_threshold_that_keeps_every_non_scam_below() -> None:
    choice = choose_block_threshold(RISK, SCAM, max_fpr=0.0, floor=0.5)
    assert choice.threshold == 0.81
    assert choice.validation_fpr == 0.0
    assert choice.validation_recall == 0.5  # 0.95 and 0.99 of the four scams
    assert (choice.validation_non_scam, choice.validation_scam) == (3, 4)


def test_a_rate_allows_that_many_non_scams_above() -> None:
    choice = choose_block_threshold(RISK, SCAM, max_fpr=0.34, floor=0.5)  # one of three
    assert choice.threshold == 0.56
    assert choice.validation_fpr == pytest.approx(1 / 3)
    assert choice.validation_recall == 0.75


def test_never_below_the_floor() -> None:
    choice = choose_block_threshold(np.array([0.1, 0.9]), np.array([False, True]), 0.0, 0.5)
    assert choice.threshold == 0.5


def test_a_floor_between_steps_rounds_up() -> None:
    choice = choose_block_threshold(np.array([0.1, 0.9]), np.array([False, True]), 0.0, 0.505)
    assert choice.threshold == 0.51


def test_a_non_scam_at_certainty_leaves_only_one() -> None:
    choice = choose_block_threshold(np.array([1.0, 0.9]), np.array([False, True]), 0.0, 0.5)
    assert choice.threshold == 1.0 and choice.validation_recall == 0.0


def test_grid_values_are_exact_hundredths() -> None:
    risk = np.array([0.6999, 0.7])
    choice = choose_block_threshold(risk, np.array([False, True]), 0.0, 0.5)
    assert choice.threshold == 0.7 and choice.validation_recall == 1.0


def test_no_non_scam_messages_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="non-scam"):
        choose_block_threshold(np.array([0.9]), np.array([True]), 0.01, 0.5)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 2.0])
def test_rate_out_of_range_is_a_clear_error(rate: float) -> None:
    with pytest.raises(UserError, match="--block-fpr"):
        choose_block_threshold(RISK, SCAM, rate, 0.5)
