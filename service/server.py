"""Running the app under uvicorn, with one process or several.

One worker: the app is built here from the settings object and served in this process, which
owns the signals (SIGHUP reloads in place, SIGTERM drains and exits).

Several workers: uvicorn's supervisor forks `--workers` processes that each build the app from
the FANZHA_* environment (exported here), load their own model copy and split the cores:
intra-op threads default to cores // workers and spinning is off, so idle workers do not burn
the cores the busy ones need. SIGHUP to the parent makes uvicorn replace the workers one at a
time (a replacement that fails to start leaves the old worker serving); SIGTERM drains them all.
For Prometheus across workers, set PROMETHEUS_MULTIPROC_DIR to an empty directory.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import uvicorn

from service.app import create_app
from service.logs import configure_logging
from service.settings import Settings, settings_to_env

log = logging.getLogger(__name__)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,  # our JSON logging, configured per process
        "access_log": False,  # the service writes its own access log, without bodies
        "timeout_graceful_shutdown": settings.graceful_timeout_s,
        "timeout_keep_alive": settings.keep_alive_s,
        "server_header": False,
        "proxy_headers": False,
    }


def serve(settings: Settings) -> int:
    """Run until stopped; returns the process exit status."""
    configure_logging(settings.log_level)
    if settings.workers == 1:
        server = uvicorn.Server(uvicorn.Config(create_app(settings), **uvicorn_options(settings)))
        server.run()
        return 0 if server.started else 3
    os.environ.update(settings_to_env(settings))
    uvicorn.run(
        "service.app:create_app_from_env",
        factory=True,
        workers=settings.workers,
        **uvicorn_options(settings),
    )
    return 0
