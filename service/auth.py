"""Optional API keys.

When keys are configured (FANZHA_API_KEYS and/or FANZHA_API_KEYS_FILE), every endpoint except
health, metrics and the docs needs `Authorization: Bearer <key>` or `X-API-Key: <key>`. The check
is an ASGI middleware, so an unauthenticated request is refused before its body is read.
Keys are kept as SHA-256 digests and compared with `hmac.compare_digest` against every key, so
the time taken says nothing about how much of a key matched or which key it was.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

from service.errors import error_response

log = logging.getLogger(__name__)

OPEN_PATHS = frozenset(
    {"/healthz", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
    | {"/"}  # the console's page: static, no data; its API calls send the key
)
OPEN_PREFIXES = ("/console/",)  # the console's static files


def read_keys_file(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


class KeyStore:
    """The accepted keys, as digests. `reload()` re-reads the keys file (done on SIGHUP)."""

    def __init__(self, keys: Iterable[str], keys_file: Path | None = None) -> None:
        self._static = [k for k in keys if k]
        self._file = keys_file
        self._digests: list[bytes] = []
        self.reload()

    @property
    def enabled(self) -> bool:
        return bool(self._static) or self._file is not None

    def reload(self) -> None:
        keys = list(self._static)
        if self._file is not None:
            keys += read_keys_file(self._file)
        self._digests = [hashlib.sha256(k.encode()).digest() for k in keys]
        if self.enabled and not self._digests:
            log.warning("API keys are enabled but the key file is empty: every call gets 401")

    def accepts(self, presented: str | None) -> bool:
        if not presented:
            return False
        digest = hashlib.sha256(presented.encode("utf-8", "replace")).digest()
        ok = False
        for known in self._digests:
            ok |= hmac.compare_digest(digest, known)
        return ok


def presented_key(headers: dict[bytes, bytes]) -> str | None:
    auth = headers.get(b"authorization")
    if auth is not None:
        scheme, _, value = auth.decode("latin-1").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    key = headers.get(b"x-api-key")
    return key.decode("latin-1").strip() if key is not None else None


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, keys: KeyStore) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not self.keys.enabled
            or scope["path"] in OPEN_PATHS
            or scope["path"].startswith(OPEN_PREFIXES)
            or scope["method"] == "OPTIONS"
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if self.keys.accepts(presented_key(headers)):
            await self.app(scope, receive, send)
            return
        response = error_response(
            401,
            "unauthorized",
            "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            request_id=scope.get("state", {}).get("request_id"),
            headers={"WWW-Authenticate": 'Bearer realm="fanzha"'},
        )
        await response(scope, receive, send)
