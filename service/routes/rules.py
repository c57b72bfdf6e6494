"""Rules applied after the model: list, add or replace, delete, reload, export.

Every change is validated against all the other rules (file and database) before it is stored;
a change that would leave an invalid set is refused with every problem named (422), and the
rules in force stay as they were.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from service.errors import NotFound, Unprocessable
from service.responses import JsonResponse, error_responses
from service.routes.feedback import get_analyst
from service.schemas import RuleChange, RuleDefinition, RulesView

router = APIRouter(tags=["rules"])
RuleId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[\w.:-]+$")]


def _view(request: Request) -> dict[str, object]:
    rules = get_analyst(request).rules
    return {"rules": rules.current.definitions(), "status": rules.status()}


@router.get(
    "/v1/rules",
    response_model=RulesView,
    responses=error_responses(401),
    summary="The rules in force, and the state of the last reload",
)
async def list_rules(request: Request) -> Response:
    return JsonResponse(_view(request))


@router.put(
    "/v1/rules/{rule_id}",
    response_model=RuleChange,
    responses=error_responses(400, 401, 409, 413, 415, 422, 503),
    summary="Add or replace a database rule",
    description=(
        "Validated with all other rules (a bad regex, an unknown label, a sender both allowed "
        "and blocked... are refused with every problem listed); rules from the rules file "
        "cannot be changed here (409). Served at once by this worker, by the others within "
        "FANZHA_RULES_POLL_S."
    ),
)
async def put_rule(
    request: Request,
    rule_id: RuleId,
    body: RuleDefinition,
    author: Annotated[str | None, Query(max_length=64, description="who made the change")] = None,
) -> Response:
    if body.id is not None and body.id != rule_id:
        raise Unprocessable(f"the body's id {body.id!r} differs from the path's {rule_id!r}")
    definition = body.model_dump(exclude_none=True) | {"id": rule_id}
    rules = get_analyst(request).rules
    rule, created = await asyncio.to_thread(rules.put, definition, author)
    return JsonResponse(
        {
            "outcome": "created" if created else "replaced",
            "rule": rule.to_dict(),
            "status": rules.status(),
        },
        201 if created else 200,
    )


@router.delete(
    "/v1/rules/{rule_id}",
    response_model=RuleChange,
    responses=error_responses(401, 404, 409, 503),
    summary="Delete a database rule",
)
async def delete_rule(request: Request, rule_id: RuleId) -> Response:
    rules = get_analyst(request).rules
    before = {r.id: r for r in rules.current.rules}
    if not await asyncio.to_thread(rules.delete, rule_id):
        raise NotFound(f"no database rule {rule_id!r}")
    rule = before[rule_id].to_dict() if rule_id in before else {"id": rule_id}
    return JsonResponse({"outcome": "deleted", "rule": rule, "status": rules.status()})


@router.post(
    "/v1/rules/reload",
    response_model=RulesView,
    responses=error_responses(401, 422),
    summary="Re-read the rules file and the database now",
    description="All or nothing: if any rule is invalid, 422 lists the problems and the rules "
    "in force stay as they were.",
)
async def reload_rules(request: Request) -> Response:
    await asyncio.to_thread(get_analyst(request).rules.reload)
    return JsonResponse(_view(request))


@router.get(
    "/v1/rules/export",
    responses=error_responses(401),
    summary="Every rule in force as one rules document (for archive scoring)",
)
async def export_rules(request: Request) -> Response:
    return JsonResponse(get_analyst(request).rules.current.export())
