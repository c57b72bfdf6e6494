"""Liveness, readiness and metrics: always open, never authenticated."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from service.responses import JsonResponse, get_service
from service.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is alive")
async def healthz() -> Response:
    return JsonResponse({"status": "ok"})


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "loading or draining"}},
    summary="The service takes traffic (503 while loading or draining)",
)
async def readyz(request: Request) -> Response:
    service = get_service(request)
    version = service.holder.current.version if service.holder.loaded else None
    if service.phase != "ready":
        headers = {"Retry-After": str(service.settings.retry_after_s)}
        return JsonResponse({"status": service.phase, "model_version": version}, 503, headers)
    return JsonResponse({"status": "ready", "model_version": version})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    service = get_service(request)
    service.metrics.queue_depth.set(service.batcher.stats().queued)
    return Response(service.metrics.render(), media_type=service.metrics.content_type)
