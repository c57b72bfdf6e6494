"""Every load shape, one after the other, and one table: what `make loadtest-all` would run.

Each shape runs as its own `fanzha loadtest` process (its own service, its own Locust), so one
run cannot warm or slow the next. province-peak is repeated for each --scale-workers count:
that is the measured scaling with worker processes on one machine. The table carries the load
average of every run; compare runs only when those are alike.

    python scripts/loadtest_suite.py --model models/default                  # about 20 minutes
    python scripts/loadtest_suite.py --model models/default --quick          # about 2 minutes
    python scripts/loadtest_suite.py --model models/default --shapes city-day constant
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from loadtest.capacity import statement  # noqa: E402
from loadtest.shapes import SHAPES  # noqa: E402


def run_shape(args: argparse.Namespace, shape: str, workers: int) -> dict[str, Any]:
    out = args.out / f"{shape}-w{workers}"
    command = [
        sys.executable, "-m", "fanzha.cli", "loadtest", "--shape", shape, "--model",
        str(args.model), "--workers", str(workers), "--out", str(out),
        "--processes", str(args.processes),
    ]  # fmt: skip
    if args.quick:
        command.append("--quick")
    if shape == "soak" and args.soak_duration and not args.quick:
        command += ["--duration", str(args.soak_duration)]
    print(f"\n=== {shape}, {workers} worker(s): {' '.join(command[2:])}", flush=True)
    code = subprocess.call(command, cwd=REPO)
    summary_path = out / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else None
    return {"shape": shape, "workers": workers, "exit": code, "out": str(out), "summary": summary}


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| shape | workers | loop | caller | requests | msgs/s | p50 | p95 | p99 | refused | "
        "failed | SLO | generator | load avg |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for r in results:
        s = r["summary"]
        if s is None:
            lines.append(f"| {r['shape']} | {r['workers']} | run failed (exit {r['exit']}) |")
            continue
        t, lat = s["total"], s["total"]["latency_ms"]
        slo = "—" if not s.get("slo") else ("pass" if s["slo"]["passed"] else "MISS")
        lines.append(
            f"| {r['shape']} | {r['workers']} | {s['run']['loop']} | {s['run']['caller']} | "
            f"{t['requests']} | {t['ok_msgs_per_s']:.0f} | {lat['p50']} | {lat['p95']} | "
            f"{lat['p99']} | {t['refused_ratio']:.1%} | {t['error_ratio']:.2%} | {slo} | "
            f"{'ok' if s['generator']['ok'] else 'LIMITED'} | {s['system']['load1_mean']} |"
        )
    lines.append("")
    for r in results:
        sat = r["summary"] and r["summary"].get("saturation")
        if sat and not sat["clean_msgs_per_s"]:
            lines.append(f"- {r['shape']}, {r['workers']} worker(s): no stage served cleanly")
        elif sat:
            how = f"{r['shape']}, {r['workers']} worker(s), last clean stage"
            peak = sat["peak_goodput_msgs_per_s"]
            lines.append(f"- {statement(sat['clean_msgs_per_s'], how)}; peak goodput {peak:.0f}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=Path("models/default"))
    parser.add_argument("--out", type=Path, default=Path("results/loadtest"))
    parser.add_argument("--shapes", nargs="+", choices=SHAPES, default=list(SHAPES))
    parser.add_argument("--workers", type=int, default=1, help="service workers for every shape")
    parser.add_argument(
        "--scale-workers", type=int, nargs="*", default=[2], help="province-peak again with these"
    )
    parser.add_argument("--processes", type=int, default=2, help="Locust worker processes")
    parser.add_argument("--soak-duration", type=float, default=0, help="seconds (0: default)")
    parser.add_argument("--quick", action="store_true", help="every shape as a short smoke run")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = [run_shape(args, shape, args.workers) for shape in args.shapes]
    if "province-peak" in args.shapes:
        extra = [w for w in args.scale_workers if w != args.workers]
        results += [run_shape(args, "province-peak", w) for w in extra]
    text = table(results)
    (args.out / "index.md").write_text(text, encoding="utf-8")
    index = [{k: v for k, v in r.items() if k != "summary"} for r in results]
    (args.out / "index.json").write_text(json.dumps(index, indent=2), encoding="utf-8")
    print("\n" + text + f"written: {args.out / 'index.md'}")
    return max((r["exit"] for r in results), default=0)


if __name__ == "__main__":
    raise SystemExit(main())
