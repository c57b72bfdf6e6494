"""One request's messages through the shared pipeline: encode with the pinned model, score in
the batcher, then verdicts and evidence via `fanzha.results.result_record`, the same record
archive scoring writes.

Encoding and indicator extraction are Python work; for large requests they run in a thread so
one big request does not stall the event loop for everyone else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fanzha.decision import Verdict
from fanzha.normalize import Normalized
from fanzha.results import prepare, result_record
from fanzha.tokenizer import Encoded
from service.batching import Batcher
from service.logs import MessageHasher
from service.metrics import Metrics
from service.models import ModelHolder

OFFLOAD_CHARS = 4000  # about 50 SMS: below this, a thread hop costs more than it saves


@dataclass(frozen=True)
class Scored:
    records: list[dict[str, Any]]
    model_version: str
    queue_time: float
    inference_time: float
    log_fields: dict[str, Any]

    def timing_headers(self) -> dict[str, str]:
        return {
            "x-queue-time": f"{self.queue_time * 1000:.2f}",
            "x-inference-time": f"{self.inference_time * 1000:.2f}",
            "x-model-version": self.model_version,
        }


def _records(
    texts: Sequence[str],
    verdicts: Sequence[Verdict],
    prepared: tuple[Sequence[Normalized], Sequence[Encoded]],
    version: str,
) -> list[dict[str, Any]]:
    normalized, encoded = prepared
    return [
        result_record(text, verdict, enc.truncated, version, norm)
        for text, verdict, norm, enc in zip(texts, verdicts, normalized, encoded, strict=True)
    ]


class Scorer:
    def __init__(
        self,
        holder: ModelHolder,
        batcher: Batcher,
        metrics: Metrics,
        hasher: MessageHasher,
        log_messages: bool = True,
    ) -> None:
        self.holder = holder
        self.batcher = batcher
        self.metrics = metrics
        self.hasher = hasher
        self.log_messages = log_messages

    async def score(self, texts: Sequence[str], deadline: float) -> Scored:
        """Results for `texts` in order; raises Overloaded / DeadlineExceeded / ShuttingDown."""
        model = self.holder.current
        classifier = model.classifier
        self.batcher.admit(len(texts), deadline)  # refuse before spending time on encoding
        offload = sum(map(len, texts)) > OFFLOAD_CHARS
        if offload:
            prepared = await asyncio.to_thread(prepare, classifier.encoder, texts)
        else:
            prepared = prepare(classifier.encoder, texts)
        encoded = prepared[1]
        scores = await self.batcher.submit(classifier, encoded, deadline)
        verdicts = classifier.verdicts(scores.probabilities)
        if offload:
            records = await asyncio.to_thread(_records, texts, verdicts, prepared, model.version)
        else:
            records = _records(texts, verdicts, prepared, model.version)
        self._observe(verdicts, encoded, scores.queue_time)
        return Scored(
            records,
            model.version,
            scores.queue_time,
            scores.inference_time,
            self._log_fields(texts, verdicts, model.version, scores.queue_time),
        )

    def _observe(
        self, verdicts: Sequence[Verdict], encoded: Sequence[Encoded], queued: float
    ) -> None:
        m = self.metrics
        m.queue_time.observe(queued)
        truncated = sum(e.truncated for e in encoded)
        if truncated:
            m.messages.labels("true").inc(truncated)
        m.messages.labels("false").inc(len(encoded) - truncated)
        for verdict in verdicts:
            m.predictions.labels(verdict.label, verdict.suggestion).inc()
        m.queue_depth.set(self.batcher.stats().queued)

    def _log_fields(
        self, texts: Sequence[str], verdicts: Sequence[Verdict], version: str, queued: float
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "model_version": version,
            "n_messages": len(texts),
            "queue_ms": round(queued * 1000, 2),
        }
        if self.log_messages:
            fields["messages"] = [
                {"h": self.hasher(t), "len": len(t), "label": v.label, "risk": v.risk}
                for t, v in zip(texts, verdicts, strict=True)
            ]
        return fields
