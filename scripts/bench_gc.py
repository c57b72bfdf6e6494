"""Single-message latency with and without `--gc-freeze`, side by side in one run.

A full collection of the start-up heap (about 100,000 objects) takes 50-100 ms on this machine;
every request that arrives meanwhile waits. This starts one service of each kind and sends the
same open-loop single-message load (200 requests/s by default) to both in alternating rounds.

    python scripts/bench_gc.py --model models/default --rounds 6 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_serving as bs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=Path("models/default"))
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--texts", type=int, default=2048)
    args = parser.parse_args()
    texts = bs.load_texts(None, args.texts, 0)
    bodies = [(bs._body([t]), 1) for t in texts]
    logs = Path(tempfile.mkdtemp(prefix="bench-gc-"))
    servers = {
        "gc-freeze": bs.Server(args.model, 1, ["--gc-freeze"], logs / "on.log"),
        "no-gc-freeze": bs.Server(args.model, 1, ["--no-gc-freeze"], logs / "off.log"),
    }
    latencies: dict[str, list[float]] = {name: [] for name in servers}
    try:
        for server in servers.values():
            server.wait_ready()
        for server in servers.values():  # warm-up
            asyncio.run(bs.open_loop(server.url + "/v1/classify", bodies, args.rate, 2.0))
        for k in range(args.rounds):
            order = list(servers) if k % 2 == 0 else list(reversed(servers))
            for name in order:
                url = servers[name].url + "/v1/classify"
                out = asyncio.run(bs.open_loop(url, bodies, args.rate, args.seconds))
                latencies[name] += out.latencies
                print(f"round {k + 1} {name:13s} p99 {out.pct(99):6.1f} ms", flush=True)
    finally:
        for server in servers.values():
            server.stop()
    print(f"\nopen loop {args.rate:g} req/s, {args.rounds} rounds x {args.seconds:g} s each")
    for name, values in latencies.items():
        ms = np.array(values) * 1000
        p50, p95, p99, p999 = np.percentile(ms, [50, 95, 99, 99.9])
        print(
            f"  {name:13s} n={len(ms):5d}  p50 {p50:5.1f}  p95 {p95:5.1f}  p99 {p99:5.1f}  "
            f"p99.9 {p999:6.1f}  max {ms.max():6.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
