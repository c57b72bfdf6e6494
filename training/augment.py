"""Augmentation with the disguises the model itself must learn.

Each epoch a fresh, seeded share of the training messages has its scheme keywords disguised
(菠菜 for 博彩, jz for 兼职, see training/keywords.py). The other evasion tricks (spacing,
variants, full-width, zero-width, emoji, numerals, links, traditional script) are undone by
the normaliser before the model sees any text, so augmenting with them would train on
identical inputs; the adversarial report measures both kinds.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from training.perturb import MODEL_PERTURBATIONS, perturb

DEFAULT_SHARE = 0.3


def make_augmenter(
    seed: int, share: float = DEFAULT_SHARE
) -> Callable[[Sequence[str], int], list[str]]:
    def augment(texts: Sequence[str], epoch: int) -> list[str]:
        rng = random.Random(seed * 7919 + epoch)
        return [
            perturb(text, rng.choice(MODEL_PERTURBATIONS), rng) if rng.random() < share else text
            for text in texts
        ]

    return augment
