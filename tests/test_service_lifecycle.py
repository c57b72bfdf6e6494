"""The service as a process (`python -m service.cli`): SIGHUP reload, logs without message
text, graceful shutdown that drains the queue, and never a torch import."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

import httpx
import pytest

from tests.service_helpers import (
    SECRET_TEXTS,
    ProcessServer,
    classify_body,
    copy_model,
    no_torch_env,
    thread_server,
    wait_until,
)


def point(link: Path, target: Path) -> None:
    """Atomically repoint a symlink, the way an operator switches model versions."""
    tmp = link.with_name(link.name + ".new")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target)
    os.replace(tmp, link)


def model_version(server: ProcessServer) -> str:
    return str(httpx.get(server.url + "/v1/model").json()["version"])


def test_sighup_reload_and_logs_without_message_text(tiny_model_dir: Path, tmp_path: Path) -> None:
    v1 = copy_model(tiny_model_dir, tmp_path / "v1", version="life-v1")
    v2 = copy_model(tiny_model_dir, tmp_path / "v2", version="life-v2")
    broken = copy_model(tiny_model_dir, tmp_path / "broken")
    (broken / "model.onnx").write_bytes(b"corrupt")
    current = tmp_path / "current"
    current.symlink_to(v1)
    server = ProcessServer(
        ["--model", str(current), "--log-level", "info", "--log-hash-key", "test-secret"],
        tmp_path / "server.log",
        env=no_torch_env(tmp_path),
    )
    try:
        server.wait_ready()
        ok = httpx.post(server.url + "/v1/classify", json=classify_body(SECRET_TEXTS))
        assert ok.status_code == 200
        bad = {"messages": [{"text": SECRET_TEXTS[0], "unknown": SECRET_TEXTS[1]}]}
        assert httpx.post(server.url + "/v1/classify", json=bad).status_code == 422
        assert model_version(server) == "life-v1"

        point(current, v2)
        server.signal(signal.SIGHUP)
        wait_until(lambda: model_version(server) == "life-v2", interval=0.05)

        point(current, broken)
        server.signal(signal.SIGHUP)
        wait_until(lambda: "model rejected" in server.logs(), interval=0.05)
        assert model_version(server) == "life-v2"
        again = httpx.post(server.url + "/v1/classify", json=classify_body(SECRET_TEXTS[:1]))
        assert again.status_code == 200 and again.json()["model_version"] == "life-v2"
    finally:
        server.stop()

    lines = [json.loads(line) for line in server.logs().splitlines() if line.strip()]
    assert "绝密标记" not in server.logs()
    for text in SECRET_TEXTS:
        assert text[:8] not in server.logs()
    access = [r for r in lines if r.get("route") == "/v1/classify" and r.get("status") == 200]
    logged = access[0]["messages"]
    assert [m["len"] for m in logged] == [len(t) for t in SECRET_TEXTS]
    assert all(len(m["h"]) == 16 and m["label"] for m in logged)
    assert access[0]["model_version"] == "life-v1" and access[0]["latency_ms"] >= 0
    rejected = [r for r in lines if r.get("event") == "model_rejected"]
    assert rejected and "checksum" in rejected[0]["reason"]


def test_graceful_shutdown_takes_readiness_down_and_drains(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    # Batches wait up to 4 s to fill, so the requests below are still queued when the listener
    # closes; they must be answered, not dropped.
    server = ProcessServer(
        ["--model", str(tiny_model_dir), "--max-wait-ms", "4000", "--timeout-ms", "60000",
         "--shutdown-delay-s", "1.5", "--log-level", "info"],
        tmp_path / "server.log",
        env=no_torch_env(tmp_path),
    )  # fmt: skip
    server.wait_ready()
    server.signal(signal.SIGTERM)
    wait_until(lambda: httpx.get(server.url + "/readyz").status_code == 503, interval=0.02)
    results: list[int] = []

    def call(text: str) -> None:
        response = httpx.post(server.url + "/v1/classify", json=classify_body([text]), timeout=60)
        results.append(response.status_code)

    threads = [threading.Thread(target=call, args=(t,)) for t in SECRET_TEXTS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    code = server.stop()
    assert results == [200] * len(SECRET_TEXTS)
    assert code in (0, -signal.SIGTERM)
    events = [json.loads(line).get("event") for line in server.logs().splitlines() if line.strip()]
    assert events.index("draining") < events.index("stopped")


@pytest.mark.parametrize("flag", ["--port=-1", "--max-queue=1", "--model=/nonexistent/model"])
def test_bad_settings_say_how_to_fix_them(flag: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "service.cli", flag],
        capture_output=True,
        text=True,
        env={**os.environ, **no_torch_env(tmp_path)},
        check=False,
    )
    assert result.returncode == 2
    name = flag.split("=")[0]
    assert name in result.stderr or "--model-dir" in result.stderr
    assert "FANZHA_" in result.stderr


def test_several_workers_restart_one_by_one_and_keep_serving(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    v1 = copy_model(tiny_model_dir, tmp_path / "v1", version="mw-v1")
    v2 = copy_model(tiny_model_dir, tmp_path / "v2", version="mw-v2")
    broken = copy_model(tiny_model_dir, tmp_path / "broken")
    (broken / "labels.json").write_text("[]", encoding="utf-8")
    current = tmp_path / "current"
    current.symlink_to(v1)
    server = ProcessServer(
        ["--model", str(current), "--workers", "2", "--api-keys", "k"],
        tmp_path / "server.log",
        env=no_torch_env(tmp_path),
    )
    auth = {"Authorization": "Bearer k"}

    def version() -> str:
        body = classify_body(["回T退订"])
        try:
            response = httpx.post(server.url + "/v1/classify", json=body, headers=auth)
        except httpx.TransportError:  # a connection cut by a worker being replaced
            return "retry"
        assert response.status_code == 200
        return str(response.json()["model_version"])

    try:
        server.wait_ready()
        assert {version() for _ in range(6)} == {"mw-v1"}
        ready = [json.loads(x) for x in server.logs().splitlines() if '"event": "ready"' in x]
        assert all(r["spinning"] is False and r["workers"] == 2 for r in ready)

        point(current, v2)
        reply = httpx.post(server.url + "/admin/reload", json={}, headers=auth)
        assert reply.status_code == 202 and reply.json()["status"] == "restarting_workers"
        # both workers replaced (requests alone may all land on the first new one)
        wait_until(lambda: server.logs().count('"model_version": "mw-v2", "workers"') == 2,
                   timeout=60, interval=0.1)  # fmt: skip
        wait_until(lambda: {version() for _ in range(6)} == {"mw-v2"}, timeout=60, interval=0.1)

        point(current, broken)
        server.signal(signal.SIGHUP)  # to the parent: uvicorn replaces the workers one by one
        wait_until(lambda: "aborting the restart" in server.logs(), timeout=60, interval=0.1)
        assert {version() for _ in range(6)} == {"mw-v2"}
    finally:
        assert server.stop() in (0, -signal.SIGTERM)


@pytest.mark.parametrize("freeze", [True, False])
def test_the_startup_heap_is_kept_out_of_the_garbage_collector(
    tiny_model_dir: Path, freeze: bool
) -> None:
    """A full collection of the start-up heap stalls every request for 50-100 ms; frozen, it
    is never scanned. Stopping hands the collector back to the host process."""
    import gc

    gc.unfreeze()
    with thread_server(tiny_model_dir, gc_freeze=freeze) as server:
        assert server.service.phase == "ready"
        assert (gc.get_freeze_count() > 10_000) is freeze
        with httpx.Client(base_url=server.url) as client:
            assert client.post("/v1/classify", json=classify_body(["你好"])).status_code == 200
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize(
    ("cores", "flags", "plan"),
    [
        # (concurrent batches, intra-op threads per batch, spinning, batches a queue spreads over)
        (2, {}, (3, 1, False, 2)),  # one worker: a batch per core plus one, single-threaded
        (2, {"workers": 2}, (2, 1, False, 1)),
        (8, {"workers": 2}, (5, 1, False, 4)),
        (8, {"batch_concurrency": 2}, (2, 4, False, 2)),  # 2 x 4 threads fill the 8 cores
        (8, {"batch_concurrency": 1, "threads": 4}, (1, 4, True, 1)),  # threads leave cores free
        (2, {"batch_concurrency": 1, "threads": 2, "spinning": "off"}, (1, 2, False, 1)),
        (2, {"spread_batches": 1}, (3, 1, False, 1)),  # spreading off
    ],
)
def test_threads_and_concurrent_batches_follow_the_cores(
    cores: int,
    flags: dict[str, object],
    plan: tuple[int, int, bool, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from service import settings as settings_module

    monkeypatch.setattr(settings_module, "_cores", lambda: cores)
    s = settings_module.load_settings(**flags)
    assert (
        s.concurrent_batches(), s.intra_op_threads(), s.allow_spinning(), s.parallel_batches()
    ) == plan  # fmt: skip


@pytest.mark.parametrize("keep_alive_s", [0.2, None])
def test_idle_connections_stay_open_for_the_keep_alive_time(
    tiny_model_dir: Path, keep_alive_s: float | None
) -> None:
    """A client reusing a connection after 0.6 s idle: closed under a 0.2 s keep-alive, still
    open under the default (75 s, beyond client pools' and load balancers' idle timeouts)."""
    import http.client

    overrides = {} if keep_alive_s is None else {"keep_alive_s": keep_alive_s}
    with thread_server(tiny_model_dir, **overrides) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.settings.port, timeout=5)
        connection.request("GET", "/healthz")
        assert connection.getresponse().read()
        threading.Event().wait(0.6)
        try:
            connection.request("GET", "/healthz")
            reused = connection.getresponse().status == 200
        except (http.client.RemoteDisconnected, ConnectionError):
            reused = False
        connection.close()
    assert reused is (keep_alive_s is None)


def test_the_gil_switch_interval_is_set_while_serving_and_restored_after(
    tiny_model_dir: Path,
) -> None:
    import sys

    before = sys.getswitchinterval()
    with thread_server(tiny_model_dir, switch_interval_ms=2.0):
        assert sys.getswitchinterval() == pytest.approx(0.002)
    assert sys.getswitchinterval() == pytest.approx(before)
