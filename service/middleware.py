"""ASGI middleware: request context (id, timing header, metrics, access log, last-resort 500)
and the body guard (size limit, media type, UTF-8), both pure ASGI so they add no buffering
beyond the body they must read anyway."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import error_response
from service.metrics import Metrics

access_log = logging.getLogger("fanzha.access")
log = logging.getLogger(__name__)

_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _route_of(scope: Scope, known: frozenset[str]) -> str:
    """The route template, for bounded metric labels; requests refused before routing count
    under their path if it is one of ours."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    return scope["path"] if scope["path"] in known else "unmatched"


class RequestContext:
    """Outermost layer: every response gets `x-request-id` and `x-total-time`, every request a
    metric sample and one access-log line (never a body)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, known_paths: frozenset[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.known_paths = known_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["arrival"] = time.monotonic()
        status = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["x-request-id"] = request_id
                headers["x-total-time"] = f"{(time.perf_counter() - started) * 1000:.2f}"
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            log.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
            if response_started:
                raise
            response = error_response(
                500, "internal_error", "internal error; it has been logged", (), request_id
            )
            await response(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_of(scope, self.known_paths)
            self.metrics.observe_http(route, scope["method"], status, elapsed)
            fields = {
                "request_id": request_id,
                "method": scope["method"],
                "route": route,
                "status": status,
                "latency_ms": round(elapsed * 1000, 2),
                **state.get("log", {}),
            }
            access_log.info("request", extra=fields)


class BodyGuard:
    """Refuses, before any parsing: bodies over the limit (413, even when chunked), media types
    other than JSON (415) and bodies that are not UTF-8 (400, with the byte offset)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        request_id = scope.get("state", {}).get("request_id")
        headers = dict(scope["headers"])
        body = b""
        problem = self._check_headers(headers)
        if problem is None:
            body, problem = await self._read(receive)
        if problem is not None:
            status, code, message = problem
            await error_response(status, code, message, (), request_id)(scope, receive, send)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_large(self) -> tuple[int, str, str]:
        return (
            413,
            "body_too_large",
            f"the body is larger than the limit of {self.max_bytes} bytes; split the request",
        )

    def _check_headers(self, headers: dict[bytes, bytes]) -> tuple[int, str, str] | None:
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            return self._too_large() if length.isdigit() else (400, "invalid_body", "bad length")
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if media and media != b"application/json" and not media.endswith(b"+json"):
            return (
                415,
                "unsupported_media_type",
                "send the body as JSON with 'Content-Type: application/json'",
            )
        return None

    async def _read(self, receive: Receive) -> tuple[bytes, tuple[int, str, str] | None]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"", (400, "invalid_body", "the client closed the connection")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return b"", self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return body, (
                400,
                "invalid_utf8",
                f"the body is not valid UTF-8 (bad byte at offset {exc.start}); "
                "encode the JSON as UTF-8",
            )
        return body, None
