"""Every error the service returns is mapped to HTTP here, in one shape:

    {"error": {"code": ..., "message": ..., "details": [{"field": ..., "problem": ...}]},
     "request_id": ...}

Error bodies never echo input. FastAPI's default 422 returns the offending value (which would be
the SMS text); it is replaced by a message built from the location and the kind of problem only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from fanzha.rules import RulesError
from service.batching import DeadlineExceeded, InferenceFailed, Overloaded, ShuttingDown
from service.feedback.db import StoreUnavailable
from service.feedback.live_rules import RuleConflict
from service.models import ModelRejected, NotLoaded


class ApiError(Exception):
    """An error with its HTTP status, machine-readable code and a message for the caller."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: Sequence[Mapping[str, str]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details)


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class BodyTooLarge(ApiError):
    status, code = 413, "body_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class InvalidBody(ApiError):
    status, code = 400, "invalid_body"


class Conflict(ApiError):
    status, code = 409, "conflict"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Unprocessable(ApiError):
    status, code = 422, "invalid_request"


def _clean(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")[:300]


def error_response(
    status: int,
    code: str,
    message: str,
    details: Sequence[Mapping[str, str]] = (),
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = {
        "error": {
            "code": code,
            "message": _clean(message),
            "details": [{k: _clean(v) for k, v in d.items()} for d in details],
        },
        "request_id": request_id,
    }
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


# --- validation errors ---------------------------------------------------------------------
_PROBLEMS = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "string_type": "must be a string",
    "string_unicode": "must be valid Unicode text",
    "list_type": "must be a JSON array",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
}


def _field(loc: Sequence[Any]) -> str:
    """('body', 'messages', 3, 'text') -> 'messages[3].text' (unknown keys are shortened)."""
    out = ""
    for part in loc[1:] if loc and loc[0] == "body" else loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)[:40]
    return out or "body"


def _problem(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in _PROBLEMS:
        return _PROBLEMS[kind]
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is longer than the limit of {ctx.get('max_length')} characters"
    if kind == "too_short":
        return f"must hold at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"holds more than the limit of {ctx.get('max_length')} items; split the request"
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return str(error.get("msg", "is invalid"))  # pydantic's templates never quote the input


def _validation(exc: RequestValidationError) -> tuple[int, str, str, list[dict[str, str]]]:
    errors = list(exc.errors())
    for error in errors:
        if error.get("type") == "json_invalid":
            ctx = error.get("ctx") or {}
            position = error["loc"][-1] if error.get("loc") else "?"
            return (
                400,
                "invalid_json",
                f"the body is not valid JSON ({ctx.get('error', 'decode error')} "
                f"at byte {position})",
                [],
            )
    details = [{"field": _field(e.get("loc", ())), "problem": _problem(e)} for e in errors[:20]]
    if len(details) == 1 and details[0]["field"] == "body":
        message = f'the body {details[0]["problem"]}, e.g. {{"messages": [{{"text": "..."}}]}}'
    else:
        message = "; ".join(f"{d['field']} {d['problem']}" for d in details[:3])
        if len(errors) > 3:
            message += f"; and {len(errors) - 3} more"
    return 422, "invalid_request", message, details


# --- handlers ------------------------------------------------------------------------------
def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _retry_after(request: Request) -> dict[str, str]:
    estimate = getattr(request.app.state, "retry_after", None)
    return {"Retry-After": str(estimate() if estimate is not None else 1)}


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    headers = {"WWW-Authenticate": 'Bearer realm="fanzha"'} if exc.status == 401 else None
    return error_response(
        exc.status, exc.code, exc.message, exc.details, _request_id(request), headers
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    status, code, message, details = _validation(exc)
    return error_response(status, code, message, details, _request_id(request))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    messages = {404: "no such endpoint; see /docs", 405: "method not allowed on this endpoint"}
    message = messages.get(exc.status_code, str(exc.detail))
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error_response(
        exc.status_code, code, message, (), _request_id(request), exc.headers or None
    )


def _service_error(status: int, code: str, message: str, retry: bool):
    async def handler(request: Request, exc: Exception) -> Response:
        metrics = getattr(request.app.state, "metrics", None)
        if metrics is not None and status in (429, 503):
            metrics.rejected.labels(code).inc()
        headers = _retry_after(request) if retry else None
        return error_response(status, code, message, (), _request_id(request), headers)

    return handler


async def _model_rejected(request: Request, exc: Exception) -> Response:
    return error_response(422, "model_rejected", str(exc), (), _request_id(request))


async def _rules_rejected(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RulesError)
    details = [{"field": where, "problem": what} for where, what in exc.problems[:50]]
    return error_response(422, "invalid_rules", str(exc), details, _request_id(request))


async def _rule_conflict(request: Request, exc: Exception) -> Response:
    return error_response(409, "conflict", str(exc), (), _request_id(request))


async def _store_unavailable(request: Request, exc: Exception) -> Response:
    """The analysts' database is down: classification is unaffected, so this is a 503 for
    feedback and database rules only."""
    headers = {"Retry-After": "5"}
    return error_response(503, "database_unavailable", str(exc), (), _request_id(request), headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(
        Overloaded,
        _service_error(429, "overloaded", "the service is at capacity; retry later", True),
    )
    app.add_exception_handler(
        DeadlineExceeded,
        _service_error(
            503, "deadline_exceeded", "the request was not scored in time; retry later", True
        ),
    )
    app.add_exception_handler(
        ShuttingDown,
        _service_error(503, "shutting_down", "the service is shutting down; retry", True),
    )
    app.add_exception_handler(
        NotLoaded, _service_error(503, "not_ready", "the model is still loading; retry", True)
    )
    app.add_exception_handler(
        InferenceFailed,
        _service_error(500, "inference_failed", "the model failed on this batch", False),
    )
    app.add_exception_handler(ModelRejected, _model_rejected)
    app.add_exception_handler(RulesError, _rules_rejected)
    app.add_exception_handler(RuleConflict, _rule_conflict)
    app.add_exception_handler(StoreUnavailable, _store_unavailable)
