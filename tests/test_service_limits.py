"""Limits and bad input: each gets a 4xx that says what is wrong and never echoes the text;
overload gets 429 and a missed deadline 503, both with Retry-After, never a hang."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service_helpers import (
    SECRET_TEXTS,
    ThreadServer,
    classify_body,
    thread_server,
    wait_until,
)

SECRET = SECRET_TEXTS[0]
MAX_MESSAGES, MAX_CHARS, MAX_BODY = 8, 200, 8_000


@pytest.fixture(scope="module")
def server(tiny_model_dir: Path) -> Iterator[ThreadServer]:
    with thread_server(
        tiny_model_dir,
        max_messages=MAX_MESSAGES,
        max_chars=MAX_CHARS,
        max_body_bytes=MAX_BODY,
    ) as srv:
        yield srv


def post(
    server: ThreadServer, content: bytes, content_type: str = "application/json"
) -> httpx.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return httpx.post(server.url + "/v1/classify", content=content, headers=headers)


def as_json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def assert_error(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["request_id"] == response.headers["x-request-id"]
    message = (
        body["error"]["message"] + " " + json.dumps(body["error"]["details"], ensure_ascii=False)
    )
    for word in words:
        assert word in message, (word, message)
    assert "绝密标记" not in response.text  # the message text is never echoed
    return body


CASES = [
    ("empty list", as_json({"messages": []}), 422, ["messages", "at least 1"]),
    ("empty text", as_json({"messages": [{"text": ""}]}), 422, ["messages[0].text", "empty"]),
    ("blank text", as_json({"messages": [{"text": " \n\t"}]}), 422, ["non-whitespace"]),
    (
        "missing text",
        as_json({"messages": [{"id": SECRET}]}),
        422,
        ["messages[0].text", "required"],
    ),
    ("text not a string", as_json({"messages": [{"text": 12345}]}), 422, ["must be a string"]),
    ("messages not a list", as_json({"messages": SECRET}), 422, ["messages", "array"]),
    ("body not an object", as_json([SECRET]), 422, ["body must be a JSON object"]),
    ("unknown field", as_json({"messages": [{"text": SECRET, "txt": SECRET}]}), 422, ["txt"]),
    ("id not a string", as_json({"messages": [{"text": SECRET, "id": 7}]}), 422, ["[0].id"]),
    (
        "too many messages",
        as_json(classify_body([SECRET] * (MAX_MESSAGES + 1))),
        422,
        ["messages", f"limit of {MAX_MESSAGES}"],
    ),
    (
        "message too long",
        as_json({"messages": [{"text": SECRET * 20}]}),
        422,
        ["messages[0].text", f"limit of {MAX_CHARS} characters"],
    ),
    (
        "invalid JSON",
        ('{"messages": [{"text": "' + SECRET + '"}').encode(),
        400,
        ["not valid JSON"],
    ),
    ("no body", b"", 422, ["body is required"]),
    (
        "lone surrogate",
        b'{"messages": [{"text": "\\ud800' + SECRET.encode() + b'"}]}',
        422,
        ["Unicode"],
    ),
    (
        "invalid UTF-8",
        b'{"messages": [{"text": "' + SECRET.encode("gbk") + b'"}]}',
        400,
        ["UTF-8", "offset"],
    ),
]


@pytest.mark.parametrize(("name", "content", "status", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_clearly(
    server: ThreadServer, name: str, content: bytes, status: int, words: list[str]
) -> None:
    assert_error(post(server, content), status, *words)


def test_oversize_body_is_refused_before_reading(server: ThreadServer) -> None:
    big = as_json(classify_body([SECRET] * 100))
    assert len(big) > MAX_BODY
    assert_error(post(server, big), 413, "limit", str(MAX_BODY))


def test_oversize_chunked_body_is_refused(server: ThreadServer) -> None:
    chunk = as_json(classify_body([SECRET]))

    def stream() -> Iterator[bytes]:
        for _ in range(MAX_BODY // len(chunk) + 2):
            yield chunk

    response = httpx.post(
        server.url + "/v1/classify", content=stream(), headers={"Content-Type": "application/json"}
    )
    assert_error(response, 413, "limit")


def test_wrong_media_type_and_unknown_routes(server: ThreadServer) -> None:
    assert_error(post(server, SECRET.encode(), "text/plain"), 415, "application/json")
    assert_error(httpx.get(server.url + "/v1/nothing"), 404, "/docs")
    assert_error(httpx.get(server.url + "/v1/classify"), 405, "method")


def test_the_service_survives_all_of_it(server: ThreadServer) -> None:
    response = httpx.post(server.url + "/v1/classify", json=classify_body(SECRET_TEXTS))
    assert response.status_code == 200
    assert len(response.json()["results"]) == len(SECRET_TEXTS)


def test_full_queue_gets_429_with_retry_after_at_once(tiny_model_dir: Path) -> None:
    # The idle runner waits up to max_wait for a batch to fill, which holds the first request
    # in the queue; the second cannot fit in the remaining slot.
    with thread_server(
        tiny_model_dir, max_queue=4, max_messages=4, max_wait_ms=1000, timeout_ms=30_000
    ) as srv:
        results: dict[str, httpx.Response] = {}
        first = threading.Thread(
            target=lambda: results.update(
                a=httpx.post(srv.url + "/v1/classify", json=classify_body(SECRET_TEXTS), timeout=30)
            )
        )
        first.start()
        wait_until(lambda: srv.service.batcher.stats().queued == 3 or "a" in results)
        if "a" not in results:
            second = httpx.post(srv.url + "/v1/classify", json=classify_body(SECRET_TEXTS[:2]))
            assert_error(second, 429, "capacity")
            assert int(second.headers["retry-after"]) >= 1
        first.join()
        assert results["a"].status_code == 200
        metrics = httpx.get(srv.url + "/metrics").text
        assert 'fanzha_rejected_requests_total{reason="overloaded"} 1.0' in metrics


def test_missed_deadline_gets_503_and_is_not_computed(tiny_model_dir: Path) -> None:
    with thread_server(tiny_model_dir, max_wait_ms=1000, timeout_ms=50) as srv:
        response = httpx.post(srv.url + "/v1/classify", json=classify_body(SECRET_TEXTS[:1]))
        assert_error(response, 503, "not scored in time")
        assert int(response.headers["retry-after"]) >= 1
        stats = srv.service.batcher.stats()
        assert stats.batches == 0 and stats.dropped == 1


def test_callers_latency_budget_header(tiny_model_dir: Path) -> None:
    with thread_server(tiny_model_dir, max_wait_ms=1000, timeout_ms=30_000) as srv:
        url, body = srv.url + "/v1/classify", classify_body(SECRET_TEXTS[:1])
        assert_error(httpx.post(url, json=body, headers={"x-timeout-ms": "200"}), 503, "in time")
        assert_error(
            httpx.post(url, json=body, headers={"x-timeout-ms": "soon"}), 422, "x-timeout-ms"
        )
        assert httpx.post(url, json=body, headers={"x-timeout-ms": "20000"}).status_code == 200


def test_an_internal_error_is_generic_and_logged_without_text(
    tiny_model_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with thread_server(tiny_model_dir) as srv:

        async def broken(texts: list[str], deadline: float, **_: object) -> None:
            raise RuntimeError(f"tokenizer choked on {texts[0]}")

        srv.service.scorer.score = broken  # type: ignore[method-assign,assignment]
        with caplog.at_level("ERROR"):
            response = httpx.post(srv.url + "/v1/classify", json=classify_body(SECRET_TEXTS[:1]))
        body = assert_error(response, 500, "internal error")
        assert body["error"]["code"] == "internal_error"
    from service.logs import JsonFormatter

    formatted = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "RuntimeError" in formatted and "绝密标记" not in formatted


def test_cors_is_off_unless_configured(tiny_model_dir: Path) -> None:
    preflight = {"Origin": "https://console.example", "Access-Control-Request-Method": "POST"}
    with thread_server(tiny_model_dir) as srv:
        response = httpx.options(srv.url + "/v1/classify", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
    with thread_server(tiny_model_dir, cors_origins="https://console.example") as srv:
        response = httpx.options(srv.url + "/v1/classify", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "https://console.example"
