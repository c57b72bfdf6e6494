"""Benchmark the HTTP service against the bare ONNX runner, side by side in one run.

Machines are noisy, so every figure comes from the same run on the same texts:

1. bare runner: `Classifier.probabilities` on pre-encoded, length-sorted batches of 64
   (in this process, before the server starts, so the two never share the cores);
2. HTTP batched: several clients each posting batches of 64 messages in a closed loop;
3. single-message latency at a fixed open-loop arrival rate (default 200 requests/s);
4. sustainable single-message rate: many concurrent clients, closed loop;
5. twice that rate, open loop: latency of the accepted requests, share refused (429/503),
   client timeouts.

The server runs in its own process (`python -m service.cli`), the load generator (aiohttp,
open loop: requests are sent on a Poisson schedule whether or not earlier ones have returned,
and latency is measured from the scheduled time) in this one, so they do not share a GIL. On a
2-core machine they do share the cores, which makes the HTTP figures conservative.

    python scripts/bench_serving.py --model models/default
    python scripts/bench_serving.py --model /tmp/bench_model --duration 10 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fanzha.classifier import Classifier  # noqa: E402
from fanzha.tokenizer import length_sorted_batches  # noqa: E402


# --- texts ---------------------------------------------------------------------------------
def load_texts(data: str | None, n: int, seed: int) -> list[str]:
    """Texts from a JSONL/CSV file (column `text`), or the built-in corpus generator."""
    if data:
        if data.endswith(".jsonl"):
            with open(data, encoding="utf-8") as fh:
                texts = [json.loads(line)["text"] for line in fh if line.strip()]
        else:
            import csv

            with open(data, encoding="utf-8", newline="") as fh:
                texts = [row["text"] for row in csv.DictReader(fh)]
    else:
        from training.corpus.generate import generate_corpus

        texts = [r["text"] for r in generate_corpus(per_label=max(1, n // 13 + 1), seed=seed)]
    random.Random(seed).shuffle(texts)
    return texts[:n]


# --- 1. bare runner ------------------------------------------------------------------------
def bare_runner(model: Path, texts: list[str], seconds: float, threads: int) -> dict[str, float]:
    """Messages/s of `Classifier.probabilities` on pre-encoded batches: 64 as the HTTP clients
    send them, 64 length-sorted, and 8 length-sorted (the best size on CPU for small models)."""
    # the runner configured as a single service worker configures it (all cores, no spinning)
    classifier = Classifier.load(model, threads=threads, allow_spinning=False)
    classifier.warmup()
    encoded = classifier.encoder.encode(texts)
    shapes = {
        "64 as sent": [encoded[i : i + 64] for i in range(0, len(encoded) - 63, 64)],
        "64 sorted": [[encoded[i] for i in idx] for idx in length_sorted_batches(encoded, 64)],
        "8 sorted": [[encoded[i] for i in idx] for idx in length_sorted_batches(encoded, 8)],
    }
    rates = {}
    for name, batches in shapes.items():
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds / len(shapes):
            for batch in batches:
                classifier.probabilities(batch)
                done += len(batch)
        rates[name] = done / (time.perf_counter() - started)
    del classifier
    return rates


# --- server --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, model: Path, workers: int, extra: list[str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FANZHA_")}
        env["PYTHONPATH"] = str(REPO)
        self.command = [
            sys.executable, "-m", "service.cli", "--model", str(model), "--port", str(self.port),
            "--workers", str(workers), *extra,
        ]  # fmt: skip
        self._log = log.open("wb")
        self.proc = subprocess.Popen(self.command, env=env, stdout=self._log, stderr=self._log)

    def wait_ready(self) -> None:
        import urllib.request

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("server not ready after 120 s")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


# --- load generation -----------------------------------------------------------------------
BUDGET: dict[str, str] = {}  # x-timeout-ms sent with single-message requests


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # accepted (200), seconds
    server_ms: list[float] = field(default_factory=list)  # x-total-time of accepted
    statuses: dict[int, int] = field(default_factory=dict)
    lags: list[float] = field(default_factory=list)  # open loop: send time - scheduled time
    timeouts: int = 0
    messages: int = 0
    elapsed: float = 0.0
    sent: int = 0

    def record(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def pct(self, q: float, values: list[float] | None = None) -> float:
        """Percentile in ms of the accepted latencies (or of `values`, already in ms)."""
        data = self.latencies if values is None else values
        return float(np.percentile(data, q)) * (1000 if values is None else 1) if data else 0.0

    def lag(self) -> float:
        return float(np.percentile(self.lags, 99)) * 1000 if self.lags else 0.0

    def refused_share(self) -> float:
        refused = self.statuses.get(429, 0) + self.statuses.get(503, 0)
        return refused / max(1, self.sent)


async def _post(session, url: str, body: bytes, out: Outcome, t0: float, n: int) -> None:
    import aiohttp

    headers = {"Content-Type": "application/json", **BUDGET}
    try:
        async with session.post(url, data=body, headers=headers) as r:
            await r.read()
            out.record(r.status)
            if r.status == 200:
                out.latencies.append(time.perf_counter() - t0)
                out.server_ms.append(float(r.headers.get("x-total-time", "nan")))
                out.messages += n
    except (TimeoutError, aiohttp.ServerTimeoutError):
        out.timeouts += 1
    except aiohttp.ClientError:
        out.record(-1)


def _body(texts: list[str]) -> bytes:
    return json.dumps({"messages": [{"text": t} for t in texts]}, ensure_ascii=False).encode()


async def closed_loop(
    url: str, bodies: list[tuple[bytes, int]], clients: int, seconds: float
) -> Outcome:
    import aiohttp

    out = Outcome()
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        stop = time.perf_counter() + seconds

        async def client(k: int) -> None:
            i = k
            while time.perf_counter() < stop:
                body, n = bodies[i % len(bodies)]
                i += clients
                out.sent += 1
                await _post(session, url, body, out, time.perf_counter(), n)

        started = time.perf_counter()
        await asyncio.gather(*(client(k) for k in range(clients)))
        out.elapsed = time.perf_counter() - started
    return out


async def open_loop(
    url: str, bodies: list[tuple[bytes, int]], rate: float, seconds: float, seed: int = 0
) -> Outcome:
    """Send `rate` requests per second on schedule, whatever happened to earlier ones; latency
    counts from the scheduled send time. Arrivals are a Poisson process (seeded), as independent
    callers make: evenly spaced sends never overlap, so they hide the queueing that the bursts
    of real traffic cause (single messages at 200/s: p99 11 ms evenly spaced, 23-37 ms Poisson,
    same server, same texts)."""
    import aiohttp

    out = Outcome()
    timeout = aiohttp.ClientTimeout(total=10)
    connector = aiohttp.TCPConnector(limit=512)
    gaps = random.Random(seed)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        total = int(rate * seconds)
        started = scheduled = time.perf_counter()
        tasks = []
        for i in range(total):
            scheduled += gaps.expovariate(rate)
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            body, n = bodies[i % len(bodies)]
            out.sent += 1
            out.lags.append(time.perf_counter() - scheduled)
            tasks.append(asyncio.create_task(_post(session, url, body, out, scheduled, n)))
        await asyncio.gather(*tasks)
        out.elapsed = time.perf_counter() - started
    return out


# --- report --------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/default", help="model directory")
    parser.add_argument("--data", help="JSONL/CSV with a text column (default: built-in corpus)")
    parser.add_argument("--texts", type=int, default=2048, help="distinct texts used")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--rate", type=float, default=200.0, help="single-message arrivals/s")
    parser.add_argument("--clients", type=int, default=4, help="clients posting batches")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument(
        "--budget-ms", type=float, default=250.0, help="x-timeout-ms of single-message requests"
    )
    parser.add_argument("--server-arg", action="append", default=[], help="extra serve flag")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = Path(args.model)
    texts = load_texts(args.data, args.texts, args.seed)
    lengths = [len(t) for t in texts]
    median, p90 = int(np.median(lengths)), int(np.percentile(lengths, 90))
    print(f"model {model}; {cores} cores; load average {os.getloadavg()[0]:.1f}")
    print(f"{len(texts)} texts (median {median} chars, p90 {p90}); {args.duration:.0f} s per phase")

    bare = bare_runner(model, texts, args.duration, cores or 1)  # one process, every core
    print("1. bare runner: " + ", ".join(f"batches of {k}: {v:.0f}" for k, v in bare.items()))
    best = max(bare.values())

    log = Path(os.environ.get("TMPDIR", "/tmp")) / "bench_serving_server.log"
    server = Server(model, args.workers, args.server_arg, log)
    try:
        server.wait_ready()
        url = server.url + "/v1/classify"
        batches = [(_body(texts[i : i + 64]), 64) for i in range(0, len(texts) - 63, 64)]
        singles = [(_body([t]), 1) for t in texts]
        asyncio.run(closed_loop(url, batches, args.clients, 2.0))  # warm-up

        http = asyncio.run(closed_loop(url, batches, args.clients, args.duration))
        rate = http.messages / http.elapsed
        print(f"2. HTTP batched, {args.clients} clients x 64 msgs: {rate:.0f} msgs/s")
        print(f"   = {rate / bare['64 as sent']:.0%} of bare with batches of 64 as sent, "
              f"{rate / best:.0%} of the best bare figure (target >= 80%); "
              f"statuses {http.statuses}")  # fmt: skip

        BUDGET["x-timeout-ms"] = str(args.budget_ms)
        one = asyncio.run(open_loop(url, singles, args.rate, args.duration))
        print(
            f"3. single messages, open loop {args.rate:.0f} req/s, budget {args.budget_ms:.0f} ms:"
        )
        print(f"   p50 {one.pct(50):.2f} ms  p95 {one.pct(95):.2f} ms  p99 {one.pct(99):.2f} ms "
              f"(target <= 25); server-side p99 {one.pct(99, one.server_ms):.2f} ms")  # fmt: skip
        print(f"   statuses {one.statuses}; client timeouts {one.timeouts}; generator lag p99 "
              f"{one.lag():.2f} ms")  # fmt: skip

        BUDGET.clear()  # capacity is measured without a tight budget
        most = asyncio.run(closed_loop(url, singles, 64, args.duration))
        BUDGET["x-timeout-ms"] = str(args.budget_ms)
        capacity = most.statuses.get(200, 0) / most.elapsed
        print(f"4. sustainable single-message rate (64 clients): {capacity:.0f} req/s "
              f"(p99 {most.pct(99):.1f} ms; statuses {most.statuses})")  # fmt: skip

        if capacity < 1:
            raise SystemExit("no single-message request succeeded: is the machine overloaded?")
        over = asyncio.run(open_loop(url, singles, 2 * capacity, args.duration))
        print(f"5. open loop at 2x = {2 * capacity:.0f} req/s "
              f"(achieved {over.sent / over.elapsed:.0f} req/s):")  # fmt: skip
        print(f"   accepted p50 {over.pct(50):.1f} ms p99 {over.pct(99):.1f} ms (server-side "
              f"p99 {over.pct(99, over.server_ms):.1f} ms); refused {over.refused_share():.0%} "
              f"(429: {over.statuses.get(429, 0)}, 503: {over.statuses.get(503, 0)})")  # fmt: skip
        print(f"   client timeouts {over.timeouts}; connection errors {over.statuses.get(-1, 0)}; "
              f"generator lag p99 {over.lag():.1f} ms")  # fmt: skip
    finally:
        server.stop()
    print(f"server: python {' '.join(server.command[1:])} (log: {log})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
