"""One result per message, the same shape for the HTTP API and archive scoring."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fanzha.decision import Verdict
from fanzha.indicators import extract_indicators
from fanzha.normalize import Normalized, normalize
from fanzha.tokenizer import Encoded, TextEncoder


def result_record(
    text: str,
    verdict: Verdict,
    truncated: bool,
    model_version: str,
    normalized: Normalized | None = None,
) -> dict[str, Any]:
    """The verdict plus the evidence found in `text`, with spans into `text` as sent. Pass the
    `normalize(text)` already computed for encoding to avoid normalising twice."""
    return {
        **verdict.to_dict(),
        "indicators": [i.to_dict() for i in extract_indicators(text, normalized)],
        "truncated": truncated,
        "model_version": model_version,
    }


def prepare(encoder: TextEncoder, texts: Sequence[str]) -> tuple[list[Normalized], list[Encoded]]:
    """Normalise each message once, keeping the alignment for evidence spans, and encode it."""
    normalized = [normalize(t) for t in texts]
    return normalized, encoder.encode_normalized([n.text for n in normalized])
