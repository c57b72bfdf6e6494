"""POST /v1/classify: many messages in, one result per message out, in order.

This module does not use `from __future__ import annotations`: the request model is built from
the settings at start-up and FastAPI must see the real class in the handler's signature.
"""

from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel
from starlette.responses import Response

from service.responses import JsonResponse, error_responses, get_service
from service.schemas import ClassifyResponse

TIMEOUT_HELP = (
    "the caller's latency budget in ms (capped by the server's timeout): a request that "
    "cannot be scored within it gets 429 at once or 503 when it runs out"
)


def build_router(body_model: type[BaseModel], max_body_bytes: int) -> APIRouter:
    router = APIRouter(tags=["classify"])
    Body = body_model

    @router.post(
        "/v1/classify",
        response_model=ClassifyResponse,
        responses=error_responses(400, 401, 413, 415, 422, 429, 503),
        summary="Classify SMS messages",
        description=(
            "Scores each message: label, risk, pass/review/block suggestion, top scores and the "
            "evidence found in the text; analysts' rules (sender lists, keywords, regexes) then "
            "may change the label or suggestion, and `rules` says which rule did and why. "
            f"Bodies over {max_body_bytes} bytes get 413; a full "
            "queue gets 429 and a missed deadline 503, both with Retry-After."
        ),
    )
    async def classify(
        request: Request,
        body: Body,  # type: ignore[valid-type]
        x_timeout_ms: Annotated[float | None, Header(gt=0, description=TIMEOUT_HELP)] = None,
    ) -> Response:
        service = get_service(request)
        messages = body.messages  # type: ignore[attr-defined]
        budget = min(x_timeout_ms or float("inf"), service.settings.timeout_ms)
        deadline = request.state.arrival + budget / 1000
        scored = await service.scorer.score(
            [m.text for m in messages],
            deadline,
            senders=[m.sender for m in messages],
            ids=[m.id for m in messages],
            arrival=request.state.arrival,
        )
        request.state.log = scored.log_fields
        records = zip(messages, scored.records, strict=True)
        results = [{"id": m.id, **record} for m, record in records]
        return JsonResponse(
            {"model_version": scored.model_version, "results": results},
            headers=scored.timing_headers(),
        )

    return router
