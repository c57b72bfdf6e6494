"""The app factory. `create_app(settings)` builds everything but loads nothing; the lifespan
loads and warms the model and starts the batcher before the server accepts traffic, and on
shutdown drains the queue.

Layers, outermost first: request context (id, timing, metrics, access log) -> CORS (only if
configured) -> API keys -> body guard (size, media type, UTF-8) -> routes.

The analysts' side (feedback database, rules, console) starts before the model and stops after
it; the scorer applies its rules to every result.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from fanzha import __version__
from service.auth import ApiKeyMiddleware
from service.errors import install_error_handlers
from service.feedback.wiring import Analyst
from service.logs import configure_logging
from service.middleware import BodyGuard, RequestContext
from service.routes import admin, classify, console, feedback, health, model, rules
from service.schemas import request_model
from service.settings import Settings, load_settings
from service.state import ServiceState

SECURED_TAGS = ("classify", "model", "admin", "feedback", "rules")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    service: ServiceState = app.state.service
    analyst: Analyst = app.state.analyst
    await analyst.start()
    try:
        await service.start()
        try:
            yield
        finally:
            await service.stop()
    finally:
        await analyst.stop()


def create_app(settings: Settings) -> FastAPI:
    service = ServiceState(settings)
    app = FastAPI(
        title="fanzha 反诈",
        version=__version__,
        summary="Chinese scam-SMS classification",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.metrics = service.metrics
    app.state.retry_after = service.retry_after
    analyst = Analyst(settings, service.metrics.registry)
    app.state.analyst = analyst
    service.scorer.rules = analyst.rules
    service.scorer.recent = analyst.recent
    body = request_model(settings.max_messages, settings.max_chars)
    app.include_router(classify.build_router(body, settings.max_body_bytes))
    app.include_router(model.router)
    app.include_router(admin.router)
    app.include_router(health.router)
    app.include_router(feedback.router)
    app.include_router(rules.router)
    app.include_router(console.views)
    if settings.console:
        console.install_page(app)
    install_error_handlers(app)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes)
    app.add_middleware(ApiKeyMiddleware, keys=service.keys)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-Id"],
            expose_headers=["X-Request-Id", "X-Queue-Time", "X-Inference-Time"],
        )
    known_paths = frozenset(getattr(route, "path", "") for route in app.routes)
    app.add_middleware(RequestContext, metrics=service.metrics, known_paths=known_paths)
    if service.keys.enabled:
        app.openapi = lambda: _openapi_with_security(app)  # type: ignore[method-assign]
    return app


def _openapi_with_security(app: FastAPI) -> dict[str, Any]:
    """Document the API keys: both schemes on every operation of the secured tags."""
    if app.openapi_schema is None:
        schema = FastAPI.openapi(app)
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        }
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                if set(operation.get("tags", ())) & set(SECURED_TAGS):
                    operation["security"] = [{"bearer": []}, {"apiKey": []}]
        app.openapi_schema = schema
    return app.openapi_schema


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn workers (`--factory service.app:create_app_from_env`): settings come
    from FANZHA_* variables, which `fanzha serve` exports before starting the workers."""
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
