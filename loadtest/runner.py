"""One load-test run, start to verdict: start the service (or use a URL), plan the run, drive
Locust headless, then write the report and check the SLO.

The results folder holds everything: run.json (the plan), corpus.jsonl (what was sent),
locust_*.csv and locust_report.html (Locust's own view), raw/ (one line per request),
system.csv (load average, service and generator CPU), service.log, service_metrics.txt,
summary.json, timeline.png, latency_vs_load.png and slo.json.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from loadtest import corpus, service
from loadtest.config import ENV_VAR, RunConfig
from loadtest.machine import describe_machine, load1
from loadtest.monitor import Monitor
from loadtest.report import build_report
from loadtest.shapes import ShapeSpec, build_schedule, users_needed
from loadtest.validate import LabelSet

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
REPO = Path(__file__).resolve().parents[1]
# Requests per second one Locust user may be asked for. Closed loop: 5/s leaves each user
# 200 ms per request before it falls behind the schedule. Open loop: a user is only an
# arrival clock, so few users carry a high rate.
PER_USER_RATE = {"closed": 5.0, "open": 25.0}


@dataclass
class RunOptions:
    spec: ShapeSpec
    out: Path
    model: Path | None = None
    url: str | None = None
    workers: int = 1
    processes: int = 2
    slo: Path | None = None
    batch_size: int = 0
    gateway_share: float = 0.2
    corpus: Path | None = None
    pool_size: int = 2000
    seed: int = 0
    server_args: list[str] = field(default_factory=list)
    stop_timeout: float = 15.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def locust_command(url: str, out: Path, processes: int, stop_timeout: float) -> list[str]:
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url,
        "--csv", str(out / "locust"), "--csv-full-history",
        "--html", str(out / "locust_report.html"),
        "--stop-timeout", f"{stop_timeout:g}", "--exit-code-on-error", "0",
        "--loglevel", "WARNING", "--logfile", str(out / "locust.log"), "--only-summary",
    ]  # fmt: skip
    if processes > 0:
        port = str(_free_port())  # never Locust's fixed default: runs may overlap on a host
        command += [
            "--processes", str(processes), "--master-bind-host", "127.0.0.1",
            "--master-bind-port", port, "--master-host", "127.0.0.1", "--master-port", port,
        ]  # fmt: skip
    return command


def _prepare_out(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("raw",):
        shutil.rmtree(out / stale, ignore_errors=True)
    for name in ("summary.json", "slo.json", "locust_report.html"):
        (out / name).unlink(missing_ok=True)


def _texts(options: RunOptions, max_chars: int) -> list[dict[str, str]]:
    if options.corpus:
        texts = corpus.read_texts(options.corpus)
        return [{"text": t[:max_chars], "label": "", "source": str(options.corpus)} for t in texts]
    return corpus.build_pool(options.pool_size, options.seed, max_chars=max_chars)


def run(options: RunOptions) -> int:
    """Returns the exit status: 0 SLO met, 1 SLO missed, 2 the run itself failed."""
    out = options.out
    _prepare_out(out)
    spec = options.spec
    schedule = build_schedule(spec)
    proc = None
    if options.url:
        url = options.url.rstrip("/")
        service.wait_ready(url)
    else:
        if options.model is None:
            raise ValueError("give --model DIR (a service is started) or --url URL")
        proc = service.ServiceProcess(
            options.model, options.workers, options.server_args, out / "service.log"
        )
        url = proc.url
    try:
        if proc:
            print(f"starting the service: {' '.join(proc.command[1:])}", flush=True)
            proc.wait_ready()
        info = service.describe(url)
        pool = _texts(options, info["limits"]["max_chars"])
        corpus.write_pool(out / "corpus.jsonl", pool)
        service.warm_up(url, [p["text"] for p in pool])
        per_user = PER_USER_RATE[spec.loop]
        users = users_needed(schedule.peak_rate, per_user, minimum=max(1, options.processes))
        config = RunConfig(
            spec=spec,
            corpus=str(out / "corpus.jsonl"),
            raw_dir=str(out / "raw"),
            labels=LabelSet.from_model_info(info["model"]).to_dict(),
            users=users,
            max_messages=info["limits"]["max_messages"],
            batch_size=options.batch_size,
            gateway_share=options.gateway_share,
            seed=options.seed,
            extra={
                "url": url,
                "model_version": info["model"]["version"],
                "model_dir": str(options.model) if options.model else None,
                "service_command": proc.command[1:] if proc else None,
                "service_settings_env": proc.settings_env if proc else None,
                "service_workers": options.workers if proc else None,
                "processes": options.processes,
                "slo": str(options.slo) if options.slo else None,
                "corpus_profile": corpus.length_profile([p["text"] for p in pool]),
                "machine": describe_machine(),
            },
        )
        config.write(out / "run.json")
        print(
            f"{spec.name}: {spec.caller} callers, {spec.loop} loop, {schedule.duration:.0f} s, "
            f"peak {schedule.peak_rate:.1f} requests/s, {users} Locust users on "
            f"{options.processes or 1} process(es); load average {load1():.2f}",
            flush=True,
        )
        status = _drive_locust(url, config, options, proc.pid if proc else None)
        if status != 0:
            print(f"locust exited with status {status}; see {out / 'locust.log'}", file=sys.stderr)
        _save_metrics(url, out / "service_metrics.txt")
    finally:
        if proc:
            proc.stop()
    if status != 0 and not any((out / "raw").glob("requests-*.csv")):
        return 2
    return build_report(out, options.slo)


def _drive_locust(url: str, config: RunConfig, options: RunOptions, service_pid: int | None) -> int:
    out = options.out
    env = dict(os.environ)
    env[ENV_VAR] = str(out / "run.json")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    command = locust_command(url, out, options.processes, options.stop_timeout)
    (out / "locust_command.txt").write_text(" ".join(command[1:]) + "\n", encoding="utf-8")
    monitor = Monitor(out / "system.csv", service_pid).start()
    deadline = build_schedule(config.spec).duration + options.stop_timeout + 90
    with (out / "locust.stdout").open("wb") as log:
        locust = subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=log)
        monitor.generator_pid = locust.pid
        try:
            status = locust.wait(deadline)
        except subprocess.TimeoutExpired:
            _kill_tree(locust.pid)
            status = locust.wait()
            print(f"locust did not finish within {deadline:.0f} s and was stopped", file=sys.stderr)
        finally:
            monitor.stop()
    return status


def _kill_tree(pid: int) -> None:
    """Stop the Locust process this run started, and the worker processes it forked."""
    import psutil

    try:
        root = psutil.Process(pid)
        for proc in [*root.children(recursive=True), root]:
            proc.kill()
    except psutil.NoSuchProcess:
        pass


def _save_metrics(url: str, path: Path) -> None:
    try:
        status, body = service.http(url + "/metrics", timeout=10)
    except OSError:
        return
    if status == 200:
        path.write_bytes(body)
