"""Helpers for the service tests: real servers on free ports, in a thread or a subprocess, and
model-directory variants (a "new version", a broken one) made from the tiny model."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from fanzha.modeldir import CARD_FILE, CONFIG_FILE, checksums, write_json
from service.app import create_app
from service.server import uvicorn_options
from service.settings import Settings
from service.state import ServiceState

REPO = Path(__file__).resolve().parents[1]

# Distinctive texts: if any of them shows up in a log or an error body, the test says so.
SECRET_TEXTS = [
    "我是杭州公安局民警王警官，你的账户涉嫌洗钱，请把钱转入安全账户绝密标记甲",
    "兼职刷单日结，点赞关注一单返佣30元，加微信qwe12345领任务绝密标记乙",
    "【优品】会员日全场5折起，回T退订绝密标记丙",
]


BLOCKER = """
import sys

class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('torch', 'transformers'):
            raise ImportError('the serving process must not import ' + name)

sys.meta_path.insert(0, _Block())
"""


def no_torch_env(tmp_path: Path) -> dict[str, str]:
    """PYTHONPATH with a sitecustomize that makes torch and transformers unimportable."""
    blocker = tmp_path / "blocker"
    blocker.mkdir(exist_ok=True)
    (blocker / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    return {"PYTHONPATH": f"{blocker}{os.pathsep}{REPO}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_for(model_dir: Path, **overrides: Any) -> Settings:
    """Settings for tests: explicit values only, whatever FANZHA_* the environment holds."""
    values: dict[str, Any] = {"model_dir": model_dir, "port": free_port(), "log_level": "warning"}
    # a fresh feedback/rules database per server: never the default file in the working tree
    db_dir = tempfile.mkdtemp(prefix="fanzha-db-")
    atexit.register(shutil.rmtree, db_dir, True)
    values["database_url"] = f"sqlite:///{db_dir}/fanzha.sqlite3"
    values.update(overrides)
    return Settings.model_validate(values)


class ThreadServer:
    """The real app under uvicorn in a background thread of this process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        config = uvicorn.Config(self.app, **{**uvicorn_options(settings), "host": "127.0.0.1"})
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{settings.port}"

    @property
    def service(self) -> ServiceState:
        service: ServiceState = self.app.state.service
        return service

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@contextlib.contextmanager
def thread_server(model_dir: Path, **overrides: Any) -> Iterator[ThreadServer]:
    with ThreadServer(settings_for(model_dir, **overrides)) as server:
        yield server


def wait_until(predicate: Any, timeout: float = 30.0, interval: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(interval)


class ProcessServer:
    """`python -m service.cli ...` in a subprocess; stderr (the JSON logs) goes to a file."""

    def __init__(self, args: list[str], log_path: Path, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("FANZHA_")}
        full_env["PYTHONPATH"] = str(REPO)
        full_env["FANZHA_DATABASE_URL"] = f"sqlite:///{log_path.parent}/fanzha-{self.port}.sqlite3"
        full_env.update(env or {})
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", *args, "--port", str(self.port)],
            cwd=REPO,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                return httpx.get(self.url + "/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, timeout, 0.05)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._log.close()
        return code

    def logs(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def copy_model(src: Path, dst: Path, version: str | None = None) -> Path:
    """A copy of a model directory; with `version`, re-stamped as a new model version (the
    config and its checksum in the card are rewritten, as an export would)."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("pytorch", "report.html"))
    if version is not None:
        import json

        config = json.loads((dst / CONFIG_FILE).read_text(encoding="utf-8"))
        config["model_version"] = version
        write_json(dst / CONFIG_FILE, config)
        card = json.loads((dst / CARD_FILE).read_text(encoding="utf-8"))
        card["checksums"] = checksums(dst)
        write_json(dst / CARD_FILE, card)
    return dst


def classify_body(texts: list[str], ids: list[str] | None = None) -> dict[str, Any]:
    ids = ids or [f"m{i}" for i in range(len(texts))]
    return {"messages": [{"id": i, "text": t} for i, t in zip(ids, texts, strict=True)]}
