"""Feedback and rules over real HTTP against the real app and the tiny model: corrections by
text and by id, merging and retries, rules from a file and from the database, reload without
restart, all-or-nothing validation, and a database that is down."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service_helpers import (
    SECRET_TEXTS,
    ProcessServer,
    ThreadServer,
    free_port,
    thread_server,
    wait_until,
)

REPO = Path(__file__).resolve().parents[1]
SCAM = "我是杭州公安局民警，你的账户涉嫌洗钱，请把钱转入安全账户配合调查"
NORMAL = "您的验证码是4821，5分钟内有效，请勿泄露给他人。"


@pytest.fixture()
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    shutil.copy(REPO / "rules/example.yaml", path)
    return path


@pytest.fixture()
def server(tiny_model_dir: Path, tmp_path: Path, rules_file: Path) -> Iterator[ThreadServer]:
    with thread_server(
        tiny_model_dir,
        database_url=f"sqlite:///{tmp_path}/analyst.sqlite3",
        rules_file=rules_file,
        rules_poll_s=0.1,
    ) as srv:
        yield srv


def classify(server: ThreadServer, messages: list[dict[str, str]]) -> list[dict[str, Any]]:
    response = httpx.post(server.url + "/v1/classify", json={"messages": messages})
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def post(server: ThreadServer, path: str, body: Any) -> httpx.Response:
    return httpx.post(server.url + path, json=body, timeout=30)


# --- feedback --------------------------------------------------------------------------------
def test_feedback_by_id_finds_the_text_and_what_was_served(server: ThreadServer) -> None:
    [served] = classify(server, [{"id": "gw-1", "text": NORMAL, "sender": "10690000"}])
    response = post(
        server, "/v1/feedback", {"id": "gw-1", "label": "营销推广类", "analyst": "李四"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["outcome"] == "created"
    row = body["feedback"]
    assert (row["text"], row["label"], row["label_zh"]) == (NORMAL, "marketing", "营销推广")
    assert (row["served_label"], row["served_suggestion"]) == (
        served["label"],
        served["suggestion"],
    )
    assert (row["sender"], row["message_id"], row["analyst"]) == ("10690000", "gw-1", "李四")
    assert row["model_version"] == served["model_version"]


def test_feedback_by_text_merges_and_retries_change_nothing(server: ThreadServer) -> None:
    first = post(server, "/v1/feedback", {"text": SCAM, "label": "impersonate_authority"})
    assert first.status_code == 201
    merged = post(server, "/v1/feedback", {"text": SCAM, "label": "normal", "submission_id": "s1"})
    assert merged.status_code == 200 and merged.json()["outcome"] == "merged"
    assert merged.json()["feedback"]["disputed"] is True
    retry = post(server, "/v1/feedback", {"text": SCAM, "label": "normal", "submission_id": "s1"})
    assert retry.json()["outcome"] == "duplicate"
    assert retry.json()["feedback"]["submissions"] == 2
    listed = httpx.get(server.url + "/v1/feedback").json()
    assert listed["total"] == 1 and listed["label_counts"] == {"normal": 1}
    row_id = listed["items"][0]["id"]
    detail = httpx.get(f"{server.url}/v1/feedback/{row_id}").json()
    assert [h["label"] for h in detail["history"]] == ["impersonate_authority", "normal"]
    assert httpx.delete(f"{server.url}/v1/feedback/{row_id}").status_code == 204
    assert httpx.get(f"{server.url}/v1/feedback/{row_id}").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"label": "normal"}, 422, "send the message 'text'"),
        ({"id": "never-seen", "label": "normal"}, 404, "send the message text"),
        ({"text": SECRET_TEXTS[0], "label": "诈骗"}, 422, "not a slug or a known alias"),
        ({"text": SECRET_TEXTS[0], "label": "normal", "colour": 1}, 422, "not a known field"),
        ({"text": "a\u0000b", "label": "normal"}, 422, "NUL"),
        ({"text": "   ", "label": "normal"}, 422, "non-whitespace"),
    ],
)
def test_bad_feedback_is_refused_clearly_without_echoing_text(
    server: ThreadServer, body: dict[str, Any], status: int, words: str
) -> None:
    response = post(server, "/v1/feedback", body)
    assert response.status_code == status, response.text
    assert words in response.text
    assert SECRET_TEXTS[0] not in response.text


def test_feedback_text_never_reaches_the_logs(
    server: ThreadServer, caplog: pytest.LogCaptureFixture
) -> None:
    from service.logs import JsonFormatter

    with caplog.at_level(logging.DEBUG):
        classify(server, [{"id": "x", "text": SECRET_TEXTS[1]}])
        post(server, "/v1/feedback", {"id": "x", "label": "rebate_task", "note": "备注"})
        post(server, "/v1/feedback", {"text": SECRET_TEXTS[2], "label": "bogus"})
    logged = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "/v1/feedback" in logged
    assert not any(secret in logged for secret in SECRET_TEXTS)


# --- rules -----------------------------------------------------------------------------------
def test_file_rules_change_results_and_say_why(server: ThreadServer) -> None:
    allowed, blocked = classify(
        server,
        [
            {"id": "a", "text": SCAM, "sender": "95588"},
            {"id": "b", "text": "你好，明天见", "sender": "+86 165 0000 1111"},
        ],
    )
    assert (allowed["label"], allowed["suggestion"]) == ("normal", "pass")
    assert allowed["risk"] > 0.5  # the model's own figure stays
    assert allowed["rules"][0]["id"] == "allow-official-shortcodes"
    assert allowed["rules"][0]["changes"]["suggestion"]["to"] == "pass"
    assert blocked["suggestion"] == "block"
    assert blocked["rules"][0]["reason"].startswith("本中心已核实")


def test_database_rules_apply_at_once_and_are_validated(server: ThreadServer) -> None:
    text = "恭喜您的手机号获得幸运大奖，速领"
    rule = {"kind": "keyword", "keywords": ["幸运大奖"], "label": "phishing_prize",
            "suggestion": "block", "reason": "中奖钓鱼新话术"}  # fmt: skip
    created = httpx.put(server.url + "/v1/rules/lucky?author=王五", json=rule)
    assert created.status_code == 201, created.text
    [result] = classify(server, [{"text": text}])
    assert (result["label"], result["suggestion"]) == ("phishing_prize", "block")
    assert result["rules"][0]["source"] == "database"

    bad = httpx.put(server.url + "/v1/rules/broken", json={**rule, "kind": "regex",
                    "keywords": None, "pattern": "(幸运"})  # fmt: skip
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["code"] == "invalid_rules"
    assert any("pattern" in d["field"] and "regular expression" in d["problem"]
               for d in error["details"])  # fmt: skip
    conflict = httpx.put(
        server.url + "/v1/rules/block-95588",
        json={"kind": "sender_block", "senders": ["95588"], "reason": "测试"},
    )
    assert conflict.status_code == 422 and "allows" in conflict.text
    file_rule = httpx.put(server.url + "/v1/rules/safe-account", json=rule)
    assert file_rule.status_code == 409 and "rules file" in file_rule.text

    listed = httpx.get(server.url + "/v1/rules").json()
    assert [r["id"] for r in listed["rules"] if r["source"] == "database"] == ["lucky"]
    assert listed["status"]["error"] is None
    exported = httpx.get(server.url + "/v1/rules/export").json()
    assert exported["version"] == 1 and "lucky" in {r["id"] for r in exported["rules"]}

    assert httpx.delete(server.url + "/v1/rules/lucky").status_code == 200
    assert httpx.delete(server.url + "/v1/rules/lucky").status_code == 404
    [after] = classify(server, [{"text": text}])
    assert not any(hit["id"] == "lucky" for hit in after["rules"])


def test_rules_file_reloads_without_restart_and_bad_edits_keep_the_old_rules(
    server: ThreadServer, rules_file: Path
) -> None:
    marker = "测试专用关键词甲乙"

    def hits() -> set[str]:
        [result] = classify(server, [{"text": f"您好，{marker}"}])
        return {hit["id"] for hit in result["rules"]}

    assert hits() == set()
    addition = (
        f"\n  - id: new-script\n    kind: keyword\n    keywords: [{marker}]\n"
        "    suggestion: review\n    reason: 新出现的话术\n"
    )
    original = rules_file.read_text(encoding="utf-8")
    rules_file.write_text(original + addition, encoding="utf-8")
    wait_until(lambda: hits() == {"new-script"}, timeout=20, interval=0.05)

    broken = original + addition.replace("kind: keyword", "kind: keywrod")
    rules_file.write_text(broken, encoding="utf-8")
    response = post(server, "/v1/rules/reload", None)
    assert response.status_code == 422
    assert "nothing loaded" in response.json()["error"]["message"]
    assert hits() == {"new-script"}  # the previous set still serves
    status = httpx.get(server.url + "/v1/rules").json()["status"]
    assert status["error"] and status["problems"]

    rules_file.write_text(original, encoding="utf-8")
    assert post(server, "/v1/rules/reload", None).status_code == 200
    assert hits() == set()


def test_a_bad_rules_file_stops_start_up_and_says_why(tiny_model_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {id: x, kind: regex, pattern: '(', suggestion: block, reason: r}\n")
    args = ["--model", str(tiny_model_dir), "--rules-file", str(bad)]
    server = ProcessServer(args, tmp_path / "server.log")
    assert server.proc.wait(60) != 0
    server.stop()
    assert "invalid regular expression" in server.logs()


# --- database down ---------------------------------------------------------------------------
def test_classification_goes_on_when_the_database_is_down(tiny_model_dir: Path) -> None:
    url = f"postgresql://nobody:pw@127.0.0.1:{free_port()}/nothing"
    with thread_server(tiny_model_dir, database_url=url) as srv:
        assert httpx.get(srv.url + "/readyz").status_code == 200
        [result] = classify(srv, [{"text": SCAM}])
        assert result["rules"] == []
        response = post(srv, "/v1/feedback", {"text": SCAM, "label": "normal"})
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "database_unavailable"
        assert "retry-after" in response.headers and "pw@" not in response.text
        status = httpx.get(srv.url + "/v1/console/status").json()
        assert status["database"]["available"] is False


# --- auth --------------------------------------------------------------------------------------
def test_with_api_keys_only_the_page_is_open(tiny_model_dir: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/auth.sqlite3"
    with thread_server(tiny_model_dir, api_keys="k1", database_url=db) as srv:
        assert httpx.get(srv.url + "/").status_code == 200
        assert httpx.get(srv.url + "/console/app.js").status_code == 200
        for path in ("/v1/feedback", "/v1/rules", "/v1/console/status", "/v1/model/card"):
            assert httpx.get(srv.url + path).status_code == 401, path
        ok = httpx.post(
            srv.url + "/v1/feedback",
            json={"text": NORMAL, "label": "normal"},
            headers={"X-API-Key": "k1"},
        )
        assert ok.status_code == 201
