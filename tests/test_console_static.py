"""The console without a browser: served at `/` with a strict Content-Security-Policy, every
file it references exists and is served, nothing comes from outside (works offline), Chinese
UI, message text only ever inserted as text, and the files are packaged."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.routes.console import STATIC
from tests.service_helpers import ThreadServer, thread_server

REPO = Path(__file__).resolve().parents[1]
FILES = sorted(p for p in STATIC.iterdir() if p.is_file())


@pytest.fixture(scope="module")
def server(tiny_model_dir: Path) -> Iterator[ThreadServer]:
    with thread_server(tiny_model_dir) as srv:
        yield srv


def test_the_page_is_served_at_the_root_with_a_strict_policy(server: ThreadServer) -> None:
    response = httpx.get(server.url + "/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert '<html lang="zh-CN">' in response.text and "短信研判台" in response.text


def test_every_referenced_file_is_served(server: ThreadServer) -> None:
    page = httpx.get(server.url + "/").text
    assets = re.findall(r'(?:href|src)="(/console/[^"]+)"', page)
    assert {"/console/app.js", "/console/style.css"} <= set(assets)
    for asset in assets:
        response = httpx.get(server.url + asset)
        assert response.status_code == 200, asset
        assert response.content == (STATIC / asset.removeprefix("/console/")).read_bytes()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_nothing_is_loaded_from_outside(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE)
    assert "@import" not in text and "cdn" not in text.lower()


def test_message_text_is_never_parsed_as_html() -> None:
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink


def test_the_views_the_console_reads(server: ThreadServer) -> None:
    status = httpx.get(server.url + "/v1/console/status").json()
    assert status["model_version"] and status["database"]["available"] is True
    assert len(status["taxonomy"]) == 13 and status["taxonomy"][0]["zh"] == "正常"
    card = httpx.get(server.url + "/v1/model/card")
    assert card.status_code == 200 and card.json()["model_version"] == status["model_version"]
    report = httpx.get(server.url + "/v1/model/report")
    assert report.status_code == 200 and report.text.startswith("<!doctype html>")


def test_the_console_can_be_turned_off(tiny_model_dir: Path) -> None:
    with thread_server(tiny_model_dir, console=False) as srv:
        assert httpx.get(srv.url + "/").status_code == 404
        assert httpx.get(srv.url + "/console/app.js").status_code == 404
        assert httpx.get(srv.url + "/v1/console/status").status_code == 200


def test_the_console_files_are_package_data() -> None:
    """A wheel without them serves no console (the service warns and still classifies)."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    data = config.get("tool", {}).get("setuptools", {}).get("package-data", {})
    patterns = data.get("service", [])
    for path in FILES:
        name = str(path.relative_to(REPO / "service"))
        assert any(Path(name).match(p) for p in patterns), (
            f"add service/{name} to [tool.setuptools.package-data] in pyproject.toml, e.g. "
            'service = ["console/*"]'
        )
