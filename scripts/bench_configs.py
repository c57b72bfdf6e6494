"""Gateway-batch throughput of several service configurations and the best bare runner, in turn.

Each configuration is a set of `fanzha serve` flags. All services start first (idle ones cost
nothing); every round then times the bare runner's best case (globally length-sorted batches of
8 on one single-threaded caller per core, as in the bench suite) and each service under the
same closed loop of batches of 64 from 8 clients. Printed per configuration: median messages/s
and its ratio to the bare figure of the same run, where the server's CPU went (the event-loop
thread against all others), and the batches it formed (from /metrics).

    python scripts/bench_configs.py --config "" --config "--fill-window-ms 50" \\
        --config "--max-batch-tokens 768"
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shlex
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
import bench_serving as bs  # noqa: E402
from bench_cases import bare_cases  # noqa: E402

from loadtest.corpus import build_pool  # noqa: E402


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds per thread of `pid` (user + system)."""
    return {t.id: t.user_time + t.system_time for t in psutil.Process(pid).threads()}


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def batch_shape(url: str) -> tuple[float, float]:
    """(messages per batch, padding share of batch tokens) since the server started."""
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    count = metric(text, "fanzha_batch_size_count")
    tokens = metric(text, "fanzha_batch_tokens_sum")
    size = metric(text, "fanzha_batch_size_sum") / count if count else 0.0
    return size, metric(text, "fanzha_padding_tokens_total") / tokens if tokens else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=REPO / "models/default")
    parser.add_argument("--config", action="append", default=[], help="serve flags")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    configs = args.config or [""]
    texts = [r["text"] for r in build_pool(2048, 0)]
    bodies = [(bs._body(texts[i : i + 64]), 64) for i in range(0, len(texts) - 63, 64)]
    bare = bare_cases(args.model, texts)[0]
    logs = Path(tempfile.mkdtemp(prefix="bench-configs-"))
    servers = [
        bs.Server(args.model, 1, shlex.split(c), logs / f"server{k}.log")
        for k, c in enumerate(configs)
    ]
    rates: list[list[float]] = [[] for _ in configs]
    loop_share: list[list[float]] = [[] for _ in configs]
    other_share: list[list[float]] = [[] for _ in configs]
    bare_rates: list[float] = []
    shapes: list[tuple[float, float]] = []
    try:
        for server in servers:
            server.wait_ready()
            asyncio.run(bs.closed_loop(server.url + "/v1/classify", bodies, args.clients, 2.0))
        for _ in range(args.rounds):
            bare_rates.append(bare.measure(args.seconds).rate)
            for k, server in enumerate(servers):
                pid = server.proc.pid
                before, started = thread_cpu(pid), time.perf_counter()
                out = asyncio.run(
                    bs.closed_loop(server.url + "/v1/classify", bodies, args.clients, args.seconds)
                )
                after, elapsed = thread_cpu(pid), time.perf_counter() - started
                used = {t: v - before.get(t, 0.0) for t, v in after.items()}
                main_thread = used.pop(pid, 0.0)
                rates[k].append(out.messages / out.elapsed)
                loop_share[k].append(main_thread / elapsed)
                other_share[k].append(sum(used.values()) / elapsed)
        shapes = [batch_shape(server.url) for server in servers]
    finally:
        for server in servers:
            server.stop()
    best_bare = statistics.median(bare_rates)
    rounds = ", ".join(f"{r:.0f}" for r in bare_rates)
    print(f"bare runner, sorted batches of 8, one single-threaded caller per core: "
          f"{best_bare:.0f} msgs/s (rounds: {rounds})")  # fmt: skip
    for k, config in enumerate(configs):
        rate = statistics.median(rates[k])
        size, padding = shapes[k]
        rounds = ", ".join(f"{r:.0f}" for r in rates[k])
        print(
            f"[{config or 'defaults'}] {rate:.0f} msgs/s ({rounds}), "
            f"{rate / best_bare:.2f} of bare; cores: event loop "
            f"{statistics.median(loop_share[k]):.2f}, other threads "
            f"{statistics.median(other_share[k]):.2f}; batches of {size:.1f} messages, "
            f"{padding:.1%} padding"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
