"""The classic baseline: character n-gram TF-IDF with a linear model.

Trained on the same split and the same normalised text as the transformer and reported
beside it, so a user always sees whether the transformer earns its cost.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fanzha.normalize import normalize_text


@dataclass
class Baseline:
    pipeline: object
    n_labels: int
    fit_seconds: float

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities over all labels (columns for labels unseen in training stay 0)."""
        normalized = [normalize_text(t) for t in texts]
        model = self.pipeline
        probs = np.zeros((len(texts), self.n_labels), dtype=np.float32)
        probs[:, model.classes_] = model.predict_proba(normalized)  # type: ignore[attr-defined]
        return probs


def fit_baseline(texts: Sequence[str], y: np.ndarray, n_labels: int, seed: int = 13) -> Baseline:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    started = time.perf_counter()
    pipeline = make_pipeline(
        TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, max_features=300_000
        ),
        LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced", random_state=seed),
    )
    pipeline.fit([normalize_text(t) for t in texts], y)
    return Baseline(pipeline, n_labels, time.perf_counter() - started)
