"""The block threshold, chosen on validation data for a false positive rate the operator accepts.

A fixed 0.9 means different things for different models: one trained with more hard negatives
gives scams lower risks as well, and blocks fewer of them at 0.9 for no gain. Asking for a rate
of wrongly blocked legitimate messages instead, and choosing the threshold on validation data
from the deployment distribution, keeps `block` meaning the same thing across retrains.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from fanzha.errors import UserError
from training.data import DataError

STEP = 0.01  # thresholds an operator can read and set by hand


@dataclass(frozen=True)
class BlockChoice:
    threshold: float
    max_fpr: float
    validation_fpr: float
    validation_recall: float
    validation_non_scam: int
    validation_scam: int

    def to_dict(self) -> dict[str, Any]:
        return {"chosen_on": "validation", **asdict(self)}


def check_block_fpr(max_fpr: float, non_scam: int) -> None:
    """The two ways --block-fpr cannot work: the pipeline checks them before training, and
    `choose_block_threshold` again for any other caller."""
    if not 0.0 <= max_fpr < 1.0:
        raise UserError(f"--block-fpr must be at least 0 and below 1, got {max_fpr}")
    if non_scam == 0:
        raise DataError(
            "--block-fpr needs non-scam messages (normal or marketing) in the validation data "
            "to measure a false positive rate; add some, or set --block-threshold instead"
        )


def choose_block_threshold(
    risk: np.ndarray, is_scam: np.ndarray, max_fpr: float, floor: float
) -> BlockChoice:
    """The lowest threshold on a 0.01 grid from `floor` to 1 at which at most `max_fpr` of the
    validation non-scam messages score at or above it (so at most floor(max_fpr x n) of them)."""
    risk = np.asarray(risk, dtype=np.float64)
    is_scam = np.asarray(is_scam, dtype=bool)
    negatives, positives = risk[~is_scam], risk[is_scam]
    check_block_fpr(max_fpr, len(negatives))
    first = math.ceil(floor / STEP - 1e-9)  # a floor between steps rounds up, never below it
    grid = [round(i * STEP, 2) for i in range(first, round(1.0 / STEP) + 1)] or [1.0]
    allowed = int(np.floor(max_fpr * len(negatives) + 1e-9))
    threshold = next((t for t in grid if int((negatives >= t).sum()) <= allowed), 1.0)
    return BlockChoice(
        threshold=threshold,
        max_fpr=max_fpr,
        validation_fpr=float((negatives >= threshold).mean()),
        validation_recall=float((positives >= threshold).mean()) if len(positives) else 0.0,
        validation_non_scam=len(negatives),
        validation_scam=len(positives),
    )
