"""The analysts' web console: a static page at `/` (files in service/console/, no CDN, works
offline) that talks to the JSON API, plus the read-only views it needs: status, model card and
the model's evaluation report.

The page and its files hold no data, so they are open even with API keys; every call the page
makes sends the key the analyst typed in. The page's Content-Security-Policy allows nothing but
this origin (and data: images inside the report), so it also proves the console needs nothing
from outside.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles

from fanzha.modeldir import CARD_FILE, REPORT_FILE
from fanzha.taxonomy import LABELS
from service.errors import NotFound
from service.responses import JsonResponse, error_responses, get_service
from service.routes.feedback import get_analyst

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent.parent / "console"
CSP = (
    "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; frame-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self'"
)

page = APIRouter(include_in_schema=False)
views = APIRouter(tags=["model"])


@page.get("/")
async def index() -> Response:
    return FileResponse(
        STATIC / "index.html",
        headers={
            "Content-Security-Policy": CSP,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )


@views.get(
    "/v1/console/status",
    responses=error_responses(401),
    summary="What the console shows in its header: model, database, rules, taxonomy",
)
async def status(request: Request) -> Response:
    service = get_service(request)
    model = service.holder.current if service.holder.loaded else None
    return JsonResponse(
        {
            "model_version": model.version if model else None,
            "model_labels": list(model.classifier.labels) if model else [],
            "phase": service.phase,
            "taxonomy": [{"slug": x.slug, "zh": x.zh, "is_scam": x.is_scam} for x in LABELS],
            **get_analyst(request).status(),
        }
    )


@views.get(
    "/v1/model/card",
    responses=error_responses(401, 503),
    summary="The model card of the model being served (card.json)",
)
async def model_card(request: Request) -> Response:
    model_dir = get_service(request).holder.current.classifier.model_dir
    return FileResponse(model_dir.path / CARD_FILE, media_type="application/json")


@views.get(
    "/v1/model/report",
    responses=error_responses(401, 404, 503),
    summary="The evaluation report of the model being served (report.html)",
)
async def model_report(request: Request) -> Response:
    model_dir = get_service(request).holder.current.classifier.model_dir
    path = model_dir.path / REPORT_FILE
    if not path.is_file():
        raise NotFound(f"the model {model_dir.version} has no {REPORT_FILE}")
    return FileResponse(path, media_type="text/html; charset=utf-8")


def install_page(app: FastAPI) -> None:
    """The page at `/` and its files under /console/ (the views are API routes, always on).
    Without its files (a package built without them) the service still classifies."""
    if not (STATIC / "index.html").is_file():
        log.warning(
            "console files missing: build the package with service/console/* as package data",
            extra={"event": "console_missing", "path": str(STATIC)},
        )
        return
    app.include_router(page)
    app.mount("/console", StaticFiles(directory=STATIC), name="console")
