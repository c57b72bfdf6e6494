"""What can be tested of the Dockerfile without a container engine: the paths it copies exist
and are not ignored, and its CMD starts the service from a plain (non-editable) install of just
the copied sources, without torch, answering its HEALTHCHECK."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.service_helpers import BLOCKER, REPO, free_port, wait_until

DOCKERFILE = REPO / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    logical, current = [], ""
    for line in text.splitlines():
        if line.strip().startswith("#") and not current:
            continue
        current += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            if current.strip():
                logical.append(current.strip())
            current = ""
    return [(ins.split(None, 1)[0].upper(), ins.split(None, 1)[1]) for ins in logical]


def copied_sources() -> list[str]:
    sources = []
    for name, args in instructions():
        if name == "COPY" and "--from=" not in args:
            parts = [p for p in shlex.split(args) if not p.startswith("--")]
            sources.extend(parts[:-1])
    return sources


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for name, args in instructions():
        if name == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def exec_form(instruction: str) -> list[str]:
    for name, args in instructions():
        if name == instruction:
            if name == "HEALTHCHECK":
                args = args.split("CMD", 1)[1]
            return list(json.loads(args))
    raise AssertionError(f"no {instruction} in the Dockerfile")


def test_copied_code_paths_exist_and_are_not_ignored() -> None:
    ignore = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    code = [s for s in copied_sources() if not s.startswith("models/")]
    assert {"pyproject.toml", "fanzha", "service"} <= set(code)
    for source in copied_sources():
        assert f"!{source.rstrip('/')}" in ignore, source
    for source in code:
        assert (REPO / source).exists(), source


def test_default_model_for_the_image_exists() -> None:
    models = [s for s in copied_sources() if s.startswith("models/")]
    assert models == ["models/default"]
    if not (REPO / "models/default").is_dir():
        pytest.skip("models/default has not been trained yet (make train)")
    from fanzha.modeldir import load_model_dir

    load_model_dir(REPO / "models/default")


def test_image_command_serves_from_a_plain_install(tiny_model_dir: Path, tmp_path: Path) -> None:
    context = tmp_path / "context"
    context.mkdir()
    for source in copied_sources():
        if source.startswith("models/"):
            continue
        src = REPO / source
        if src.is_dir():
            shutil.copytree(src, context / source, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, context / source)
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(site), str(context)],
        check=True,
        cwd=tmp_path,
    )  # fmt: skip
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANZHA_")}
    env.update(image_env())
    env.update(
        FANZHA_MODEL_DIR=str(tiny_model_dir),
        FANZHA_PORT=str(port),
        FANZHA_HOST="127.0.0.1",
        PYTHONPATH=f"{blocker}{os.pathsep}{site}",
        PATH=f"{site / 'bin'}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env['PATH']}",
    )
    command = exec_form("CMD")
    assert command[0] == "fanzha"
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            try:
                return httpx.get(url + "/readyz").status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, timeout=60, interval=0.05)
        health = subprocess.run(exec_form("HEALTHCHECK"), env=env, cwd=tmp_path, check=False)
        assert health.returncode == 0
        response = httpx.post(url + "/v1/classify", json={"messages": [{"text": "回T退订"}]})
        assert response.status_code == 200
        served_from = subprocess.run(
            [sys.executable, "-c", "import service; print(service.__file__)"],
            env=env, cwd=tmp_path, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert served_from.startswith(str(site))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        log.close()
