"""The encoder's share of the ensemble, chosen on validation.

Scores of the two halves differ in scale and quality from one data set to another, so no fixed
sum is right everywhere. Weight 0 (the n-gram half alone, the TF-IDF baseline's model) is one of
the candidates, so on the validation data the served model is never worse than the baseline.
"""

from __future__ import annotations

import numpy as np

from training.metrics import macro_f1

# from n-grams alone to the encoder dominating
ENCODER_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


def choose_encoder_weight(
    encoder_logits: np.ndarray, ngram_logits: np.ndarray, y: np.ndarray, n_labels: int
) -> tuple[float, dict[str, float]]:
    """The weight with the best validation macro-F1 (ties go to the smaller weight: the simpler
    model), and the score of every candidate for the card."""
    scores = {
        str(w): macro_f1(y, (ngram_logits + w * encoder_logits).argmax(axis=1), n_labels)
        for w in ENCODER_WEIGHTS
    }
    best = max(ENCODER_WEIGHTS, key=lambda w: (scores[str(w)], -w))
    return best, scores
