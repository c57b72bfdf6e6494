"""Load a model directory once and classify text: the pipeline serving and scoring share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fanzha.decision import Verdict, decide, softmax
from fanzha.modeldir import ModelDir, Thresholds, load_model_dir
from fanzha.runner import OnnxRunner
from fanzha.tokenizer import Encoded, TextEncoder, length_sorted_batches, pad_batch


@dataclass(frozen=True, slots=True)
class Prediction:
    verdict: Verdict
    truncated: bool


class Classifier:
    """Text in, calibrated verdicts out, with the tokenizer and session loaded once."""

    def __init__(
        self,
        model_dir: ModelDir,
        threads: int = 0,
        allow_spinning: bool = True,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.model_dir = model_dir
        self.labels = model_dir.labels
        self.encoder = TextEncoder.from_file(model_dir.tokenizer_path, model_dir.config.encoding)
        self.runner = OnnxRunner(model_dir.model_path, threads, allow_spinning)
        self.temperature = model_dir.config.temperature
        self.thresholds = thresholds or model_dir.config.thresholds

    @classmethod
    def load(cls, path: str | Path, **kwargs: object) -> Classifier:
        return cls(load_model_dir(path), **kwargs)  # type: ignore[arg-type]

    @property
    def version(self) -> str:
        return self.model_dir.version

    def warmup(self) -> None:
        self.runner.warmup(self.model_dir.config.encoding.max_length)

    def logits(self, batch: Sequence[Encoded]) -> np.ndarray:
        """Raw logits for one batch, rows in the batch's order."""
        input_ids, mask = pad_batch(batch, self.model_dir.config.encoding.pad_id)
        return self.runner.predict(input_ids, mask)

    def probabilities(self, batch: Sequence[Encoded]) -> np.ndarray:
        """Calibrated probabilities for one batch: softmax(logits / temperature)."""
        return softmax(self.logits(batch), self.temperature)

    def verdicts(self, probs: np.ndarray) -> list[Verdict]:
        return decide(probs, self.labels, self.thresholds)

    def logits_in_order(self, encoded: Sequence[Encoded], batch_size: int = 64) -> np.ndarray:
        """Logits for many messages in input order; batches are formed from messages of
        similar length so little compute is spent on padding."""
        out = np.empty((len(encoded), len(self.labels)), dtype=np.float32)
        for idx in length_sorted_batches(encoded, batch_size):
            out[idx] = self.logits([encoded[i] for i in idx])
        return out

    def classify(self, texts: Sequence[str], batch_size: int = 64) -> list[Prediction]:
        encoded = self.encoder.encode(texts)
        probs = softmax(self.logits_in_order(encoded, batch_size), self.temperature)
        verdicts = self.verdicts(probs)
        return [Prediction(v, e.truncated) for v, e in zip(verdicts, encoded, strict=True)]
