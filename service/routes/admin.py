"""POST /admin/reload: load a new model directory without downtime (API key required)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import Response

from service.errors import Conflict, Forbidden
from service.responses import JsonResponse, error_responses, get_service
from service.schemas import ReloadRequest, ReloadResponse

router = APIRouter(tags=["admin"])


@router.post(
    "/admin/reload",
    response_model=ReloadResponse,
    responses=error_responses(401, 403, 409, 413, 415, 422),
    summary="Reload the model (the configured directory, or another one)",
    description=(
        "One worker: loads and checks the directory, then swaps it in; requests in flight "
        "finish on the old model and a rejected directory leaves the old one serving (422). "
        "Several workers: asks the parent process for a rolling restart of the workers, "
        "which re-read the configured directory (point it at a symlink to switch versions)."
    ),
)
async def reload_model(request: Request, body: ReloadRequest | None = None) -> Response:
    service = get_service(request)
    if not service.keys.enabled:
        raise Forbidden(
            "admin endpoints need API keys: set FANZHA_API_KEYS or FANZHA_API_KEYS_FILE "
            "(or send SIGHUP to the process to reload)"
        )
    path = Path(body.model_dir) if body and body.model_dir else None
    if service.settings.workers > 1:
        if path is not None and path != service.settings.model_dir:
            raise Conflict("with several workers, change the directory --model points to")
        os.kill(os.getppid(), signal.SIGHUP)
        status = {"status": "restarting_workers", "model_dir": str(service.settings.model_dir)}
        return JsonResponse(status, 202)
    previous, loaded = await service.reload(path)
    return JsonResponse(
        {
            "status": "reloaded",
            "previous_version": previous.version if previous else None,
            "version": loaded.version,
            "model_dir": str(loaded.path),
        }
    )
