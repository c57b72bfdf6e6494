"""What a load test accepts as a correct answer. A fast wrong answer is a failure: the body must
hold one well-formed result per message sent, in order, with labels from the served model.

Problems are short fixed phrases (never message text or ids), so Locust groups them in its
failures table and nothing personal can leak into a report.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

try:  # orjson parses large batch responses several times faster; the generator's CPU matters
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - orjson ships with the serve extra
    _fast_loads = None  # type: ignore[assignment]


def _loads(data: bytes) -> Any:
    return _fast_loads(data) if _fast_loads is not None else json.loads(data)


SUGGESTIONS = frozenset({"pass", "review", "block"})
REFUSAL_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class LabelSet:
    """The served model's labels: slug -> (Chinese name, is_scam), from GET /v1/model."""

    labels: Mapping[str, tuple[str, bool]]

    @classmethod
    def from_model_info(cls, info: Mapping[str, Any]) -> LabelSet:
        return cls({item["slug"]: (item["zh"], bool(item["is_scam"])) for item in info["labels"]})

    @classmethod
    def from_taxonomy(cls) -> LabelSet:
        from fanzha.taxonomy import SLUGS, is_scam, label_zh

        return cls({slug: (label_zh(slug), is_scam(slug)) for slug in SLUGS})

    def to_dict(self) -> dict[str, list[Any]]:
        return {slug: [zh, scam] for slug, (zh, scam) in self.labels.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Sequence[Any]]) -> LabelSet:
        return cls({slug: (str(v[0]), bool(v[1])) for slug, v in data.items()})


def check_result(result: Any, expected_id: str, labels: LabelSet) -> str | None:
    if not isinstance(result, dict):
        return "result is not an object"
    if result.get("id") != expected_id:
        return "ids out of order"
    label = result.get("label")
    if not isinstance(label, str) or label not in labels.labels:
        return "unknown label"
    zh, scam = labels.labels[label]
    if result.get("label_zh") != zh:
        return "label_zh does not match label"
    if result.get("is_scam") is not scam:
        return "is_scam does not match label"
    risk = result.get("risk")
    if not isinstance(risk, int | float) or not 0.0 <= risk <= 1.0 or math.isnan(risk):
        return "risk outside [0, 1]"
    if result.get("suggestion") not in SUGGESTIONS:
        return "unknown suggestion"
    scores = result.get("scores")
    if not isinstance(scores, list) or not scores:
        return "scores missing"
    if scores[0].get("label") != label or any(s.get("label") not in labels.labels for s in scores):
        return "scores disagree with label"
    if not isinstance(result.get("indicators"), list):
        return "indicators missing"
    if not isinstance(result.get("truncated"), bool):
        return "truncated missing"
    if not isinstance(result.get("model_version"), str):
        return "model_version missing"
    return None


def check_body(content: bytes | None, ids: Sequence[str], labels: LabelSet) -> str | None:
    """None if `content` is a correct answer to a request with these message ids."""
    try:
        body = _loads(content or b"")
    except ValueError:
        return "body is not JSON"
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        return "no results list"
    results = body["results"]
    if len(results) != len(ids):
        return "result count differs from message count"
    for result, expected in zip(results, ids, strict=True):
        problem = check_result(result, expected, labels)
        if problem:
            return problem
    return None


def check_refusal(status: int, headers: Mapping[str, str]) -> str | None:
    """Overload must be refused with 429/503 and a usable Retry-After."""
    if status not in REFUSAL_STATUSES:
        return None
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value is None:
        return "refusal without Retry-After"
    try:
        if int(value) < 0:
            raise ValueError
    except ValueError:
        return "refusal with a bad Retry-After"
    return None
