"""Perturbation-based augmentation: the model learns the disguised forms scammers use, not
only the normaliser's canonical text.

Each epoch a fresh, seeded share of the training messages is rewritten by one of the
evasion tricks in `training.perturb`; labels are unchanged because the tricks are.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from training.perturb import PERTURBATIONS, perturb

DEFAULT_SHARE = 0.3


def make_augmenter(
    seed: int, share: float = DEFAULT_SHARE
) -> Callable[[Sequence[str], int], list[str]]:
    def augment(texts: Sequence[str], epoch: int) -> list[str]:
        rng = random.Random(seed * 7919 + epoch)
        out = []
        for text in texts:
            if rng.random() < share:
                out.append(perturb(text, rng.choice(PERTURBATIONS), rng))
            else:
                out.append(text)
        return out

    return augment
