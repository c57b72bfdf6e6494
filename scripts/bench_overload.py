"""Overload behaviour of several service configurations, side by side in one run.

Each configuration is a set of `fanzha serve` flags. All services start first (idle ones cost
nothing), then every round sends each of them the same open-loop load of gateway batches (1 to 64
messages, 1 s budget) at a rate above what one machine serves, in turn. Printed per round:
messages/s served (goodput), p99 of the accepted requests, the share refused, and how many
refusals came late (503 at the deadline, after the model was used) rather than at once (429).

    python scripts/bench_overload.py --rate 90 --rounds 2 \\
        --config "--fill-window-ms 60000 --queue-share 1" --config "--queue-share 1" --config ""
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shlex
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_serving as bs

BATCH_SIZES = (1, 2, 8, 16, 32, 32, 64, 64)  # a gateway's mix, about 27 messages on average


def bodies(texts: list[str], count: int, seed: int) -> list[tuple[bytes, int]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        n = rng.choice(BATCH_SIZES)
        start = rng.randrange(len(texts) - n)
        out.append((bs._body(texts[start : start + n]), n))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=Path("models/default"))
    parser.add_argument(
        "--config", action="append", default=[], help="serve flags of one configuration"
    )
    parser.add_argument("--rate", type=float, default=90.0, help="gateway requests/s")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--budget-ms", type=float, default=1000.0)
    args = parser.parse_args()
    configs = args.config or [""]
    load = bodies(bs.load_texts(None, 2048, 0), 200, 0)
    mean = sum(n for _, n in load) / len(load)
    print(f"{args.rate:g} requests/s of {mean:.1f} messages on average, budget "
          f"{args.budget_ms:g} ms, {args.rounds} rounds of {args.seconds:g} s")  # fmt: skip
    logs = Path(tempfile.mkdtemp(prefix="bench-overload-"))
    servers = [
        bs.Server(args.model, 1, shlex.split(c), logs / f"server{k}.log")
        for k, c in enumerate(configs)
    ]
    bs.BUDGET["x-timeout-ms"] = f"{args.budget_ms:g}"
    rows: list[list[str]] = [[] for _ in configs]
    try:
        for server in servers:
            server.wait_ready()
            asyncio.run(bs.open_loop(server.url + "/v1/classify", load, 5, 2.0))  # warm-up
        for _ in range(args.rounds):
            for k, server in enumerate(servers):
                out = asyncio.run(
                    bs.open_loop(server.url + "/v1/classify", load, args.rate, args.seconds)
                )
                rows[k].append(
                    f"{out.messages / out.elapsed:6.0f} msgs/s served, accepted p99 "
                    f"{out.pct(99):5.0f} ms, refused {out.refused_share():4.0%} "
                    f"(late 503: {out.statuses.get(503, 0)}), client timeouts {out.timeouts}"
                )
    finally:
        for server in servers:
            server.stop()
    for config, lines in zip(configs, rows, strict=True):
        print(f"\n[{config or 'defaults'}]")
        for line in lines:
            print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
