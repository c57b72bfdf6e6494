"""The service under test: started as `fanzha serve` in its own process (or an existing URL),
waited for until ready, asked for its model and limits, warmed up, and stopped."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from loadtest.config import ENV_VAR

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http(url: str, body: bytes | None = None, timeout: float = 10.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


class ServiceProcess:
    """`python -m service.cli --model DIR --workers N ...` on a free port, logs to a file."""

    def __init__(self, model: Path, workers: int, extra: list[str], log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [
            sys.executable, "-m", "service.cli", "--model", str(model), "--workers", str(workers),
            "--port", str(self.port), "--host", "127.0.0.1", *extra,
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        self.settings_env = {k: v for k, v in env.items() if k.startswith("FANZHA_")}
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            self.command, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the service exited with status {self.proc.returncode}; see {self._log.name}"
                )
            try:
                if http(self.url + "/readyz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the service was not ready after {timeout:.0f} s; see {self._log.name}")

    def stop(self, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._log.close()
        return code


def wait_ready(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if http(url + "/readyz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url}/readyz did not answer 200 within {timeout:.0f} s")


def describe(url: str) -> dict[str, Any]:
    """The served model (version, labels) and the request limits from the OpenAPI schema."""
    status, body = http(url + "/v1/model")
    if status != 200:
        raise RuntimeError(f"GET {url}/v1/model answered {status}: is an API key needed?")
    model = json.loads(body)
    limits = {"max_messages": 256, "max_chars": 2000}
    try:
        status, body = http(url + "/openapi.json")
        schemas = json.loads(body).get("components", {}).get("schemas", {})
        messages = schemas.get("ClassifyRequest", {}).get("properties", {}).get("messages", {})
        text = schemas.get("Message", {}).get("properties", {}).get("text", {})
        limits["max_messages"] = int(messages.get("maxItems", limits["max_messages"]))
        limits["max_chars"] = int(text.get("maxLength", limits["max_chars"]))
    except (OSError, ValueError, KeyError):
        pass
    return {"model": model, "limits": limits}


def warm_up(url: str, texts: list[str], requests: int = 30) -> None:
    """A few requests of each kind, so the first measured ones do not pay for warm-up."""
    for i in range(requests):
        n = 1 if i % 3 else 32
        chunk = [texts[(i * 7 + k) % len(texts)] for k in range(n)]
        body = json.dumps({"messages": [{"text": t} for t in chunk]}, ensure_ascii=False)
        http(url + "/v1/classify", body.encode())
