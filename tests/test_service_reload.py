"""Model upgrade without downtime through the admin endpoint: a good directory is swapped in
while requests in flight finish on the old model; a broken one is rejected and the old model
keeps serving."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.service_helpers import ThreadServer, classify_body, copy_model, thread_server, wait_until

KEY = {"Authorization": "Bearer admin-key"}


@pytest.fixture(scope="module")
def models(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reload")
    v1 = copy_model(tiny_model_dir, root / "v1", version="tiny-v1")
    v2 = copy_model(tiny_model_dir, root / "v2", version="tiny-v2")
    tampered = copy_model(tiny_model_dir, root / "tampered")
    (tampered / "labels.json").write_text('["normal", "marketing"]', encoding="utf-8")
    garbage = copy_model(tiny_model_dir, root / "garbage", version="tiny-garbage")
    (garbage / "model.onnx").write_bytes(b"this is not an onnx graph")
    copy_model(garbage, root / "garbage-signed", version="tiny-garbage")  # checksums re-signed
    return {
        "v1": v1,
        "v2": v2,
        "tampered": tampered,
        "garbage": root / "garbage-signed",
        "missing": root / "does-not-exist",
    }


@pytest.fixture()
def server(models: dict[str, Path]) -> Iterator[ThreadServer]:
    with thread_server(
        models["v1"], api_keys="admin-key", max_wait_ms=300, timeout_ms=30_000
    ) as srv:
        yield srv


def version(server: ThreadServer) -> str:
    response = httpx.get(server.url + "/v1/model", headers=KEY)
    return str(response.json()["version"])


def reload(server: ThreadServer, path: Path | None) -> httpx.Response:
    body = {"model_dir": str(path)} if path is not None else {}
    return httpx.post(server.url + "/admin/reload", json=body, headers=KEY, timeout=60)


def test_good_model_is_swapped_in_and_in_flight_requests_finish_on_the_old(
    server: ThreadServer, models: dict[str, Path]
) -> None:
    done: dict[str, httpx.Response] = {}
    body = classify_body(["兼职刷单日结，加微信领任务"])

    def in_flight() -> None:
        done["old"] = httpx.post(server.url + "/v1/classify", json=body, headers=KEY, timeout=30)

    worker = threading.Thread(target=in_flight)
    worker.start()
    wait_until(lambda: server.service.batcher.stats().queued == 1 or "old" in done)
    response = reload(server, models["v2"])
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "reloaded",
        "previous_version": "tiny-v1",
        "version": "tiny-v2",
        "model_dir": str(models["v2"]),
    }
    worker.join()
    assert done["old"].status_code == 200
    assert done["old"].json()["model_version"] == "tiny-v1"
    after = httpx.post(server.url + "/v1/classify", json=body, headers=KEY)
    assert after.json()["model_version"] == "tiny-v2"
    assert after.headers["x-model-version"] == "tiny-v2"
    assert version(server) == "tiny-v2"
    metrics = httpx.get(server.url + "/metrics").text
    assert 'fanzha_model_info{version="tiny-v2"} 1.0' in metrics
    assert 'fanzha_model_info{version="tiny-v1"}' not in metrics


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("tampered", "checksum"),
        ("garbage", "could not be loaded"),
        ("missing", "does not exist"),
    ],
)
def test_broken_model_is_rejected_and_the_old_keeps_serving(
    server: ThreadServer, models: dict[str, Path], name: str, reason: str
) -> None:
    response = reload(server, models[name])
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "model_rejected"
    assert reason in response.json()["error"]["message"]
    assert version(server) == "tiny-v1"
    ok = httpx.post(server.url + "/v1/classify", json=classify_body(["回T退订"]), headers=KEY)
    assert ok.status_code == 200 and ok.json()["model_version"] == "tiny-v1"
    assert httpx.get(server.url + "/readyz").status_code == 200


def test_reload_without_a_path_rereads_the_configured_directory(server: ThreadServer) -> None:
    response = reload(server, None)
    assert response.status_code == 200
    assert response.json()["version"] == "tiny-v1"
