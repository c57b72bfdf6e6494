"""One request's messages through the shared pipeline: encode with the pinned model, score in
the batcher, then verdicts and evidence via `fanzha.results.result_record`, the same record
archive scoring writes, then the analysts' rules (`fanzha.rules`), which may change the label or
suggestion and say why.

Encoding and indicator extraction are Python work; for large requests they run in a thread so
one big request does not stall the event loop for everyone else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fanzha.decision import Verdict
from fanzha.normalize import Normalized
from fanzha.results import prepare, result_record
from fanzha.tokenizer import Encoded
from service.batching import Batcher
from service.logs import MessageHasher
from service.metrics import Metrics
from service.models import ModelHolder

if TYPE_CHECKING:
    from fanzha.rules import RuleSet
    from service.feedback.live_rules import LiveRules
    from service.feedback.recent import RecentMessages

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
    rules: RuleSet | None = None,
    senders: Sequence[str | None] | None = None,
) -> list[dict[str, Any]]:
    normalized, encoded = prepared
    records = [
        result_record(text, verdict, enc.truncated, version, norm)
        for text, verdict, norm, enc in zip(texts, verdicts, normalized, encoded, strict=True)
    ]
    if rules is None:
        return records
    senders = senders or [None] * len(texts)
    return [
        rules.apply(record, text, sender, norm)
        for record, text, sender, norm in zip(records, texts, senders, normalized, strict=True)
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
        # set by the app factory: analysts' rules, and the id -> text map for feedback
        self.rules: LiveRules | None = None
        self.recent: RecentMessages | None = None

    async def score(
        self,
        texts: Sequence[str],
        deadline: float,
        senders: Sequence[str | None] | None = None,
        ids: Sequence[str | None] | None = None,
        arrival: float | None = None,
    ) -> Scored:
        """Results for `texts` in order; raises Overloaded / DeadlineExceeded / ShuttingDown.
        `arrival` (time.monotonic() when the request came in) lets admission see loop lag."""
        model = self.holder.current
        ruleset = self.rules.current if self.rules is not None else None
        classifier = model.classifier
        # refuse before spending time on encoding
        self.batcher.admit(len(texts), deadline, arrival)
        offload = sum(map(len, texts)) > OFFLOAD_CHARS
        if offload:
            prepared = await asyncio.to_thread(prepare, classifier.encoder, texts)
        else:
            prepared = prepare(classifier.encoder, texts)
        encoded = prepared[1]
        scores = await self.batcher.submit(classifier, encoded, deadline)
        verdicts = classifier.verdicts(scores.probabilities)
        args = (texts, verdicts, prepared, model.version, ruleset, senders)
        records = await asyncio.to_thread(_records, *args) if offload else _records(*args)
        if self.rules is not None:
            self.rules.count_hits(records)
        if self.recent is not None:
            self.recent.remember(texts, records, senders, ids)
        self._observe(records, encoded, scores.queue_time)
        return Scored(
            records,
            model.version,
            scores.queue_time,
            scores.inference_time,
            self._log_fields(texts, records, model.version, scores.queue_time),
        )

    def _observe(
        self, records: Sequence[dict[str, Any]], encoded: Sequence[Encoded], queued: float
    ) -> None:
        m = self.metrics
        m.queue_time.observe(queued)
        truncated = sum(e.truncated for e in encoded)
        if truncated:
            m.messages.labels("true").inc(truncated)
        m.messages.labels("false").inc(len(encoded) - truncated)
        for record in records:  # what was served, after the rules
            m.predictions.labels(record["label"], record["suggestion"]).inc()
        m.queue_depth.set(self.batcher.stats().queued)

    def _log_fields(
        self, texts: Sequence[str], records: Sequence[dict[str, Any]], version: str, queued: float
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "model_version": version,
            "n_messages": len(texts),
            "queue_ms": round(queued * 1000, 2),
        }
        if self.log_messages:
            fields["messages"] = [
                {"h": self.hasher(t), "len": len(t), "label": r["label"], "risk": r["risk"]}
                | ({"rules": [hit["id"] for hit in r["rules"]]} if r.get("rules") else {})
                for t, r in zip(texts, records, strict=True)
            ]
        return fields
