"""Feedback: analysts correct a verdict, by message text or by the id of a message the service
scored recently; corrections are kept as training data (`fanzha feedback export`)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from fanzha.taxonomy import SLUGS
from service.errors import NotFound, Unprocessable
from service.feedback.store import Submission
from service.feedback.wiring import Analyst
from service.responses import JsonResponse, error_responses
from service.schemas import (
    MAX_DB_ID,
    FeedbackDetail,
    FeedbackList,
    FeedbackRequest,
    FeedbackResponse,
)

router = APIRouter(tags=["feedback"])


def get_analyst(request: Request) -> Analyst:
    analyst: Analyst = request.app.state.analyst
    return analyst


def _submission(analyst: Analyst, body: FeedbackRequest) -> Submission:
    """Resolve the text (given, or found by id) and what was served for it, if known."""
    recent = analyst.recent
    seen = None
    if body.text is None:
        if body.id is None:
            raise Unprocessable(
                "send the message 'text', or the 'id' of a message this service scored recently"
            )
        if recent is None:
            raise NotFound("the id map is off (FANZHA_FEEDBACK_CACHE_SIZE=0); send the text")
        seen = recent.by_id(body.id)
        if seen is None:
            raise NotFound(
                "no message with this id was scored by this worker in the last "
                f"{recent.ttl_s:g} s; send the message text instead"
            )
    elif recent is not None:
        seen = recent.by_text(body.text)
    text = body.text if body.text is not None else seen.text  # type: ignore[union-attr]
    return Submission(
        text=text,
        label=body.label,
        note=body.note,
        analyst=body.analyst,
        message_id=body.id,
        sender=body.sender or (seen.sender if seen else None),
        served_label=seen.label if seen else None,
        served_suggestion=seen.suggestion if seen else None,
        model_version=seen.model_version if seen else None,
        submission_id=body.submission_id,
    )


@router.post(
    "/v1/feedback",
    response_model=FeedbackResponse,
    status_code=201,
    responses=error_responses(400, 401, 404, 413, 415, 422, 503),
    summary="Correct a verdict",
    description=(
        "Stores the correct label for a message (its text, or the id it was classified with "
        "recently). The same text corrected again is merged into one row (latest label wins; "
        "`disputed` marks texts given different labels). Resending a `submission_id` changes "
        "nothing. 201 when a new text is stored, 200 when merged or a duplicate."
    ),
)
async def add_feedback(request: Request, body: FeedbackRequest) -> Response:
    analyst = get_analyst(request)
    submission = _submission(analyst, body)
    row, outcome = await asyncio.to_thread(analyst.feedback.add, submission)
    status = 201 if outcome == "created" else 200
    return JsonResponse({"outcome": outcome, "feedback": row}, status)


@router.get(
    "/v1/feedback",
    response_model=FeedbackList,
    responses=error_responses(401, 422, 503),
    summary="Recent corrections, newest first",
)
async def list_feedback(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_DB_ID)] = 0,
    label: Annotated[str | None, Query(description="only this label (slug)")] = None,
) -> Response:
    if label is not None and label not in SLUGS:
        raise Unprocessable(f"label must be one of: {', '.join(SLUGS)}")
    analyst = get_analyst(request)
    items, total = await asyncio.to_thread(analyst.feedback.recent, limit, offset, label)
    counts = await asyncio.to_thread(analyst.feedback.label_counts)
    return JsonResponse({"total": total, "items": items, "label_counts": counts})


@router.get(
    "/v1/feedback/{feedback_id}",
    response_model=FeedbackDetail,
    responses=error_responses(401, 404, 503),
    summary="One correction with its history",
)
async def get_feedback(
    request: Request, feedback_id: Annotated[int, Path(ge=1, le=MAX_DB_ID)]
) -> Response:
    row = await asyncio.to_thread(get_analyst(request).feedback.get, feedback_id)
    if row is None:
        raise NotFound(f"no feedback {feedback_id}")
    return JsonResponse(row)


@router.delete(
    "/v1/feedback/{feedback_id}",
    status_code=204,
    responses=error_responses(401, 404, 503),
    summary="Delete a correction (and its history)",
)
async def delete_feedback(
    request: Request, feedback_id: Annotated[int, Path(ge=1, le=MAX_DB_ID)]
) -> Response:
    if not await asyncio.to_thread(get_analyst(request).feedback.delete, feedback_id):
        raise NotFound(f"no feedback {feedback_id}")
    return Response(status_code=204)
