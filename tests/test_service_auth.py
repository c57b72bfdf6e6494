"""Optional API keys: Bearer or X-API-Key, from the environment or a file; health stays open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.service_helpers import ThreadServer, classify_body, thread_server

BODY = classify_body(["您的验证码是1234"])


@pytest.fixture(scope="module")
def keys_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "keys.txt"
    path.write_text("# gateway keys\nfile-key-1\n\n  file-key-2  \n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(tiny_model_dir: Path, keys_file: Path) -> Iterator[ThreadServer]:
    with thread_server(tiny_model_dir, api_keys="env-key", api_keys_file=keys_file) as srv:
        yield srv


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"X-API-Key": "env-key-but-longer"},
        {"Authorization": "Basic env-key"},
        {"Authorization": "Bearer"},
    ],
)
def test_missing_or_wrong_key_gets_401(server: ThreadServer, headers: dict[str, str]) -> None:
    for method, path in (("POST", "/v1/classify"), ("GET", "/v1/model"), ("POST", "/admin/reload")):
        response = httpx.request(method, server.url + path, json=BODY, headers=headers)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "API key" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer env-key"},
        {"authorization": "bearer file-key-1"},
        {"X-API-Key": "file-key-2"},
    ],
)
def test_valid_keys_from_env_and_file(server: ThreadServer, headers: dict[str, str]) -> None:
    response = httpx.post(server.url + "/v1/classify", json=BODY, headers=headers)
    assert response.status_code == 200
    assert httpx.get(server.url + "/v1/model", headers=headers).status_code == 200


def test_unauthenticated_request_is_refused_before_its_body_is_read(server: ThreadServer) -> None:
    response = httpx.post(
        server.url + "/v1/classify", content=b"not json", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 401


def test_health_metrics_and_docs_stay_open(server: ThreadServer) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"):
        assert httpx.get(server.url + path).status_code == 200, path


def test_openapi_documents_the_keys(server: ThreadServer) -> None:
    schema = httpx.get(server.url + "/openapi.json").json()
    assert set(schema["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    assert schema["paths"]["/v1/classify"]["post"]["security"]
    assert "security" not in schema["paths"]["/healthz"]["get"]


def test_admin_is_off_without_keys(tiny_model_dir: Path) -> None:
    with thread_server(tiny_model_dir) as srv:
        response = httpx.post(srv.url + "/admin/reload", json={})
        assert response.status_code == 403
        assert "FANZHA_API_KEYS" in response.json()["error"]["message"]
        assert httpx.post(srv.url + "/v1/classify", json=BODY).status_code == 200
