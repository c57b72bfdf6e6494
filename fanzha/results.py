"""One result per message, the same shape for the HTTP API and archive scoring."""

from __future__ import annotations

from typing import Any

from fanzha.decision import Verdict
from fanzha.indicators import extract_indicators


def result_record(
    text: str, verdict: Verdict, truncated: bool, model_version: str
) -> dict[str, Any]:
    """The verdict plus the evidence found in `text`, with spans into `text` as sent."""
    return {
        **verdict.to_dict(),
        "indicators": [indicator.to_dict() for indicator in extract_indicators(text)],
        "truncated": truncated,
        "model_version": model_version,
    }
