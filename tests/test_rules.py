"""The rules engine: matching, precedence, validation (all or nothing), and the record it
returns. Pure functions: no model, no service."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from fanzha.rules import (
    RulesError,
    RuleSet,
    build_ruleset,
    load_rules_file,
    normalize_sender,
    parse_rules,
)

REPO = Path(__file__).resolve().parents[1]


def record(label: str = "normal", suggestion: str = "pass", risk: float = 0.1) -> dict[str, Any]:
    """A result record as `fanzha.results.result_record` builds it."""
    return {
        "label": label,
        "label_zh": "x",
        "is_scam": label not in ("normal", "marketing"),
        "risk": risk,
        "suggestion": suggestion,
        "scores": [{"label": label, "score": 0.9}],
        "indicators": [],
        "truncated": False,
        "model_version": "m1",
    }


def rules(*definitions: dict[str, Any], source: str = "file") -> list:
    return parse_rules([{"reason": "because", **d} for d in definitions], source)


def decided(result: dict[str, Any]) -> dict[str, str]:
    """field -> id of the rule that changed it."""
    return {field: hit["id"] for hit in result["rules"] for field in hit["changes"]}


ALLOW = {"id": "allow", "kind": "sender_allow", "senders": ["95588"]}
BLOCK = {"id": "block", "kind": "sender_block", "senders": ["16500001111"]}
SAFE = {
    "id": "safe",
    "kind": "keyword",
    "keywords": ["安全账户"],
    "label": "impersonate_authority",
    "suggestion": "block",
}


# --- the example file ------------------------------------------------------------------------
def test_example_file_loads_and_decides() -> None:
    ruleset = build_ruleset(load_rules_file(REPO / "rules/example.yaml"))
    assert len(ruleset) >= 5
    out = ruleset.apply(record(), "我是公安局民警，请把钱转入安全账户配合调查")
    assert (out["label"], out["suggestion"], out["is_scam"]) == (
        "impersonate_authority",
        "block",
        True,
    )
    assert out["label_zh"] == "冒充公检法及政府机关"
    hit = out["rules"][0]
    assert hit["id"] == "safe-account" and hit["reason"] and hit["source"] == "file"
    assert hit["changes"]["suggestion"] == {"from": "pass", "to": "block"}
    # the spoofed-bank rule outranks the allow-list by priority
    spoofed = ruleset.apply(
        record(), "【工商银行】您的网银已过期，请登录 www.icbc-x.cn 升级", "95588"
    )
    assert decided(spoofed) == {"label": "spoofed-bank-link", "suggestion": "spoofed-bank-link"}


# --- matching --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["请转入安全账户", "请转入 安 全 账 户", "請轉入安全賬戶", "请转入安全账户！！"],
)
def test_keywords_match_the_normalised_text(text: str) -> None:
    out = RuleSet(rules(SAFE)).apply(record(), text)
    assert out["suggestion"] == "block"
    span = out["rules"][0]["spans"][0]
    assert "安" in text[span["start"] : span["end"]]  # spans point into the text as sent


def test_raw_matching_sees_the_text_as_sent() -> None:
    raw = {**SAFE, "id": "raw", "keywords": ["安 全"], "match_on": "raw"}
    ruleset = RuleSet(rules(raw))
    assert ruleset.apply(record(), "安 全账户")["suggestion"] == "block"
    assert ruleset.apply(record(), "安全账户")["suggestion"] == "pass"


def test_all_keywords_must_match_with_match_all() -> None:
    both = {**SAFE, "keywords": ["验证码", "转账"], "match": "all"}
    ruleset = RuleSet(rules(both))
    assert ruleset.apply(record(), "验证码发我")["rules"] == []
    assert ruleset.apply(record(), "验证码发我，然后转账")["suggestion"] == "block"


def test_regex_spans_map_back_to_the_original_text() -> None:
    etc = {"id": "etc", "kind": "regex", "pattern": "etc.{0,4}失效", "suggestion": "review"}
    text = "【提醒】您的ＥＴＣ已失效"
    out = RuleSet(rules(etc)).apply(record(), text)
    span = out["rules"][0]["spans"][0]
    assert text[span["start"] : span["end"]] == "ＥＴＣ已失效"


@pytest.mark.parametrize("sender", ["16500001111", "+86 165-0000-1111", "0086 16500001111"])
def test_senders_are_compared_without_separators_or_country_code(sender: str) -> None:
    assert normalize_sender(sender) == "16500001111"
    out = RuleSet(rules(BLOCK)).apply(record(), "你好", sender)
    assert out["suggestion"] == "block"


def test_content_rules_can_be_limited_to_senders() -> None:
    only = {**SAFE, "senders": ["95588"]}
    ruleset = RuleSet(rules(only))
    assert ruleset.apply(record(), "安全账户", "10086")["rules"] == []
    assert ruleset.apply(record(), "安全账户", None)["rules"] == []
    assert ruleset.apply(record(), "安全账户", "95588")["suggestion"] == "block"


def test_disabled_rules_do_nothing() -> None:
    out = RuleSet(rules({**SAFE, "enabled": False})).apply(record(), "安全账户")
    assert out["rules"] == [] and out["suggestion"] == "pass"


def test_the_record_is_copied_and_model_figures_stay() -> None:
    original = record("rebate_task", "block", 0.97)
    before = copy.deepcopy(original)
    out = RuleSet(rules(ALLOW)).apply(original, "兼职", "95588")
    assert original == before
    assert out["risk"] == 0.97 and out["scores"] == original["scores"]
    assert (out["label"], out["is_scam"], out["suggestion"]) == ("normal", False, "pass")


def test_no_rules_still_says_so() -> None:
    assert RuleSet().apply(record(), "你好")["rules"] == []


# --- precedence -----------------------------------------------------------------------------
def test_allow_beats_content_rules_at_equal_priority() -> None:
    out = RuleSet(rules(SAFE, ALLOW)).apply(record(), "安全账户", "95588")
    assert (out["label"], out["suggestion"]) == ("normal", "pass")
    assert [hit["id"] for hit in out["rules"]] == ["allow"]


def test_priority_beats_kind() -> None:
    urgent = {**SAFE, "priority": 5}
    out = RuleSet(rules(urgent, ALLOW)).apply(record(), "安全账户", "95588")
    assert (out["label"], out["suggestion"]) == ("impersonate_authority", "block")
    assert decided(out) == {"label": "safe", "suggestion": "safe"}


def test_block_sender_beats_a_pass_keyword() -> None:
    ok = {"id": "ok", "kind": "keyword", "keywords": ["验证码"], "suggestion": "pass"}
    out = RuleSet(rules(ok, BLOCK)).apply(
        record(risk=0.6, suggestion="review"), "验证码", "16500001111"
    )
    assert out["suggestion"] == "block" and decided(out) == {"suggestion": "block"}


def test_stricter_action_wins_a_tie() -> None:
    review = {"id": "review", "kind": "keyword", "keywords": ["兼职"], "suggestion": "review"}
    block = {"id": "block-kw", "kind": "keyword", "keywords": ["日结"], "suggestion": "block"}
    for order in ((review, block), (block, review)):
        out = RuleSet(rules(*order)).apply(record(), "兼职日结")
        assert out["suggestion"] == "block"


def test_scam_label_wins_a_tie_then_declaration_order() -> None:
    marketing = {"id": "mk", "kind": "keyword", "keywords": ["优惠"], "label": "marketing"}
    rebate = {"id": "rb", "kind": "keyword", "keywords": ["返利"], "label": "rebate_task"}
    invest = {"id": "iv", "kind": "keyword", "keywords": ["返利"], "label": "investment"}
    out = RuleSet(rules(marketing, rebate)).apply(record(), "优惠返利")
    assert out["label"] == "rebate_task"
    assert RuleSet(rules(rebate, invest)).apply(record(), "返利")["label"] == "rebate_task"
    assert RuleSet(rules(invest, rebate)).apply(record(), "返利")["label"] == "investment"


def test_file_rules_win_ties_over_database_rules() -> None:
    file_rule = rules({"id": "f", "kind": "keyword", "keywords": ["返利"], "label": "rebate_task"})
    db_rule = rules(
        {"id": "d", "kind": "keyword", "keywords": ["返利"], "label": "investment"},
        source="database",
    )
    assert build_ruleset(db_rule, file_rule).apply(record(), "返利")["label"] == "rebate_task"


def test_label_and_suggestion_are_decided_separately() -> None:
    tag = {"id": "tag", "kind": "keyword", "keywords": ["ETC"], "label": "phishing_prize"}
    out = RuleSet(rules(tag, BLOCK)).apply(record(), "ETC失效", "16500001111")
    assert (out["label"], out["suggestion"]) == ("phishing_prize", "block")
    assert decided(out) == {"label": "tag", "suggestion": "block"}


def test_a_rule_that_agrees_is_listed_without_changes() -> None:
    out = RuleSet(rules(SAFE)).apply(record("impersonate_authority", "block", 0.99), "安全账户")
    assert out["rules"][0]["id"] == "safe" and out["rules"][0]["changes"] == {}


def test_allow_keeps_a_non_scam_label() -> None:
    out = RuleSet(rules(ALLOW)).apply(record("marketing", "review", 0.6), "积分", "95588")
    assert (out["label"], out["suggestion"]) == ("marketing", "pass")
    assert decided(out) == {"suggestion": "allow"}


# --- validation ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("definition", "problem"),
    [
        ({"id": "r", "kind": "regex", "pattern": "(unclosed", "suggestion": "block"}, "regular"),
        ({"id": "r", "kind": "regex", "pattern": "a*", "suggestion": "block"}, "empty string"),
        ({**SAFE, "label": "诈骗"}, "not a slug"),
        ({**SAFE, "suggestion": "delete"}, "must be one of"),
        ({**SAFE, "colour": "red"}, "unknown field"),
        ({**SAFE, "kind": "magic"}, "must be one of"),
        ({**SAFE, "id": "has space"}, "letters, digits"),
        ({**SAFE, "priority": "high"}, "integer"),
        ({**SAFE, "keywords": []}, "non-empty list"),
        ({**SAFE, "keywords": ["  "]}, "non-empty string"),
        ({**SAFE, "pattern": "x"}, "does not apply"),
        ({"id": "k", "kind": "keyword", "keywords": ["a"]}, "must set 'label'"),
        ({**ALLOW, "suggestion": "block"}, "always pass"),
        ({**BLOCK, "suggestion": "pass"}, "always block"),
        ({"id": "s", "kind": "sender_block"}, "non-empty list"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_problem(definition: dict, problem: str) -> None:
    with pytest.raises(RulesError) as caught:
        rules(definition)
    assert problem in str(caught.value)
    assert caught.value.problems and "rules[0]" in caught.value.problems[0][0]


def test_reason_is_required() -> None:
    with pytest.raises(RulesError, match="reason"):
        parse_rules([{**SAFE, "reason": ""}])


def test_every_problem_is_reported_and_nothing_loads() -> None:
    good = {**SAFE, "reason": "ok"}
    bad_regex = {"id": "b1", "kind": "regex", "pattern": "[", "suggestion": "block", "reason": "x"}
    bad_label = {**SAFE, "id": "b2", "label": "nope", "reason": "x"}
    with pytest.raises(RulesError) as caught:
        parse_rules([good, bad_regex, bad_label])
    wheres = [where for where, _ in caught.value.problems]
    assert any("rules[1]" in w for w in wheres) and any("rules[2]" in w for w in wheres)
    assert "nothing loaded" in str(caught.value)


def test_conflicts_across_rules_are_refused() -> None:
    with pytest.raises(RulesError, match="duplicates the id"):
        build_ruleset(rules(SAFE), rules(SAFE, source="database"))
    with pytest.raises(RulesError, match="which rule 'allow' allows"):
        RuleSet(rules(ALLOW, {**BLOCK, "senders": ["955 88"]}))
    # a disabled rule cannot contradict anything
    RuleSet(rules(ALLOW, {**BLOCK, "senders": ["95588"], "enabled": False}))


def test_rules_files_are_checked(tmp_path: Path) -> None:
    broken = tmp_path / "rules.yaml"
    broken.write_text("rules:\n  - id: x\n    kind: [unclosed\n", encoding="utf-8")
    with pytest.raises(RulesError, match="invalid YAML"):
        load_rules_file(broken)
    other = tmp_path / "rules.txt"
    other.write_text("", encoding="utf-8")
    with pytest.raises(RulesError, match="yaml"):
        load_rules_file(other)
    as_json = tmp_path / "rules.json"
    as_json.write_text('{"version": 1, "rules": []}', encoding="utf-8")
    assert load_rules_file(as_json) == []
    with pytest.raises(RulesError, match="version"):
        parse_rules({"version": 2, "rules": []})


def test_yaml_numbers_are_senders(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "- {id: a, kind: sender_allow, senders: [95588, 10086], reason: 官方}\n", encoding="utf-8"
    )
    ruleset = build_ruleset(load_rules_file(path))
    assert ruleset.apply(record("rebate_task", "block"), "x", "10086")["suggestion"] == "pass"


def test_export_round_trips() -> None:
    ruleset = build_ruleset(load_rules_file(REPO / "rules/example.yaml"))
    again = RuleSet(parse_rules(ruleset.export()))
    text, sender = "请转入安全账户", "13800000000"
    assert again.apply(record(), text, sender) == ruleset.apply(record(), text, sender)
    assert [r["id"] for r in again.definitions()] == [r["id"] for r in ruleset.definitions()]
