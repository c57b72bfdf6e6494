"""Response validation: a wrong answer is a failure even when the status is 200."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from loadtest.corpus import build_pool, length_profile
from loadtest.validate import LabelSet, check_body, check_refusal

LABELS = LabelSet.from_taxonomy()


def _result(i: str, label: str = "impersonate_authority", zh: str = "冒充公检法及政府机关") -> dict:
    return {
        "id": i,
        "label": label,
        "label_zh": zh,
        "is_scam": label not in ("normal", "marketing"),
        "risk": 0.97,
        "suggestion": "block",
        "scores": [{"label": label, "score": 0.97}, {"label": "normal", "score": 0.02}],
        "indicators": [],
        "truncated": False,
        "model_version": "m1",
    }


def _body(results: list[dict[str, Any]]) -> bytes:
    return json.dumps({"model_version": "m1", "results": results}, ensure_ascii=False).encode()


def test_a_correct_answer_passes() -> None:
    zh = LABELS.labels["impersonate_authority"][0]
    assert check_body(_body([_result("a", zh=zh), _result("b", zh=zh)]), ["a", "b"], LABELS) is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda r: r.update(id="zz"), "ids out of order"),
        (lambda r: r.update(label="not_a_label"), "unknown label"),
        (lambda r: r.update(label_zh="正常"), "label_zh does not match label"),
        (lambda r: r.update(is_scam=False), "is_scam does not match label"),
        (lambda r: r.update(risk=1.5), "risk outside [0, 1]"),
        (lambda r: r.update(suggestion="maybe"), "unknown suggestion"),
        (lambda r: r.update(scores=[]), "scores missing"),
        (lambda r: r["scores"].reverse(), "scores disagree with label"),
        (lambda r: r.pop("indicators"), "indicators missing"),
        (lambda r: r.pop("truncated"), "truncated missing"),
        (lambda r: r.pop("model_version"), "model_version missing"),
    ],
)
def test_each_defect_is_named(change: Any, problem: str) -> None:
    result = _result("a", zh=LABELS.labels["impersonate_authority"][0])
    broken = copy.deepcopy(result)
    change(broken)
    assert check_body(_body([broken]), ["a"], LABELS) == problem


def test_wrong_count_and_non_json_are_failures() -> None:
    zh = LABELS.labels["impersonate_authority"][0]
    assert check_body(_body([_result("a", zh=zh)]), ["a", "b"], LABELS) == (
        "result count differs from message count"
    )
    assert check_body(b"<html>", ["a"], LABELS) == "body is not JSON"
    assert check_body(b'{"error": {}}', ["a"], LABELS) == "no results list"


def test_problems_never_carry_message_text() -> None:
    secret = "绝密标记"
    result = _result(secret, label=secret)
    problem = check_body(_body([result]), [secret], LABELS)
    assert problem and secret not in problem


def test_refusals_need_a_retry_after() -> None:
    assert check_refusal(429, {"retry-after": "1"}) is None
    assert check_refusal(503, {"Retry-After": "2"}) is None
    assert check_refusal(429, {}) == "refusal without Retry-After"
    assert check_refusal(503, {"retry-after": "soon"}) == "refusal with a bad Retry-After"
    assert check_refusal(500, {}) is None  # not a refusal: judged elsewhere


def test_label_set_round_trips_through_the_plan_and_model_info() -> None:
    assert LabelSet.from_dict(LABELS.to_dict()) == LABELS
    info = {"labels": [{"slug": "normal", "zh": "正常", "is_scam": False}]}
    assert LabelSet.from_model_info(info).labels == {"normal": ("正常", False)}


def test_pool_spans_short_sms_to_long_scripts_from_project_data_only() -> None:
    pool = build_pool(size=400, seed=3, long_share=0.05, max_chars=1500)
    assert len(pool) == 400
    assert {r["source"] for r in pool} <= {"generated", "handwritten", "long_script"}
    assert sum(r["source"] == "long_script" for r in pool) == 20
    profile = length_profile([r["text"] for r in pool])
    assert profile["p10"] < 60 and profile["max"] > 500 and profile["max"] <= 1500
    assert all(r["text"].strip() for r in pool)
    assert build_pool(size=400, seed=3, long_share=0.05, max_chars=1500) == pool  # seeded
