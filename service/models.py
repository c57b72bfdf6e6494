"""The model holder: which classifier serves new requests, and safe replacement of it.

A reload builds and checks the new classifier completely (load, checksums, warm-up and a probe
batch) in a thread while the old one keeps serving, then swaps one reference. Requests pin the
classifier they encoded with, so those in flight finish on the old model, which is freed when
the last of them is done. A directory that fails any check is rejected with a logged reason
and the old model stays.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fanzha.classifier import Classifier
from fanzha.modeldir import ModelDirError, Thresholds, load_model_dir

log = logging.getLogger(__name__)

PROBE_TEXTS = ("您的验证码是1234，请勿泄露。", "我是公安局民警，你的账户涉嫌洗钱，请转入安全账户。")


class ModelRejected(Exception):
    """A model directory that cannot be served; the message says why."""


class NotLoaded(Exception):
    """No model is loaded yet."""


@dataclass(frozen=True)
class LoadedModel:
    classifier: Classifier
    path: Path
    loaded_at: float  # unix time

    @property
    def version(self) -> str:
        return self.classifier.version


@dataclass(frozen=True)
class RuntimeOptions:
    """How each classifier is built: threads and threshold overrides from the settings."""

    threads: int
    allow_spinning: bool
    review_threshold: float | None = None
    block_threshold: float | None = None


def build_classifier(path: Path, options: RuntimeOptions) -> Classifier:
    """Load, warm up and probe a model directory; raise ModelRejected saying what is wrong."""
    try:
        model_dir = load_model_dir(path)
        base = model_dir.config.thresholds
        thresholds = Thresholds(
            review=base.review if options.review_threshold is None else options.review_threshold,
            block=base.block if options.block_threshold is None else options.block_threshold,
        )
        classifier = Classifier(
            model_dir, options.threads, options.allow_spinning, thresholds=thresholds
        )
        classifier.warmup()
        probs = classifier.probabilities(classifier.encoder.encode(PROBE_TEXTS))
    except ModelDirError as exc:
        raise ModelRejected(str(exc)) from exc
    except ValueError as exc:
        raise ModelRejected(f"{path}: {exc}") from exc
    except Exception as exc:  # ONNX Runtime or tokenizer refusing the files
        raise ModelRejected(
            f"{path} could not be loaded ({type(exc).__name__}: {exc}); re-export the model"
        ) from exc
    expected = (len(PROBE_TEXTS), len(classifier.labels))
    if probs.shape != expected or not np.all(np.isfinite(probs)):
        raise ModelRejected(
            f"{path}: the graph returns scores of shape {probs.shape} for {len(PROBE_TEXTS)} "
            f"messages and {len(classifier.labels)} labels (expected {expected}, finite); "
            "labels.json does not match model.onnx"
        )
    return classifier


class ModelHolder:
    def __init__(self, path: Path, options: RuntimeOptions) -> None:
        self.path = path
        self.options = options
        self._current: LoadedModel | None = None
        self._lock = asyncio.Lock()

    @property
    def current(self) -> LoadedModel:
        if self._current is None:
            raise NotLoaded("the model is still loading")
        return self._current

    @property
    def loaded(self) -> bool:
        return self._current is not None

    async def reload(self, path: Path | None = None) -> tuple[LoadedModel | None, LoadedModel]:
        """Load `path` (default: the configured directory) and swap it in.

        Returns (previous, new); raises ModelRejected and keeps the current model on failure.
        """
        target = Path(path) if path is not None else self.path
        async with self._lock:
            previous = self._current
            started = time.perf_counter()
            try:
                classifier = await asyncio.to_thread(build_classifier, target, self.options)
            except ModelRejected as exc:
                log.error(
                    "model rejected",
                    extra={
                        "event": "model_rejected",
                        "model_dir": str(target),
                        "reason": str(exc),
                        "serving": previous.version if previous else None,
                    },
                )
                raise
            loaded = LoadedModel(classifier, target, time.time())
            self._current = loaded
            self.path = target
            log.info(
                "model loaded",
                extra={
                    "event": "model_loaded",
                    "model_dir": str(target),
                    "model_version": loaded.version,
                    "previous_version": previous.version if previous else None,
                    "labels": list(classifier.labels),
                    "threads": classifier.runner.threads,
                    "load_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return previous, loaded
