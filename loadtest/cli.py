"""`fanzha loadtest`: run a named load shape against the service and write a results folder.

    fanzha loadtest --shape city-day --model models/default --workers 1 --out results/city-day
    fanzha loadtest --shape province-peak --model models/default --workers 2
    fanzha loadtest --shape constant --rate 200 --url http://10.0.0.5:8000   # a running service
    fanzha loadtest --shape soak --duration 3600 --model models/default
    fanzha loadtest report --out results/city-day --slo my-slo.yaml     # re-check a finished run
    fanzha loadtest --list-shapes

Exit status: 0 the SLO holds, 1 it was missed, 2 the run could not be made.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from loadtest.shapes import DEFAULTS, SHAPES, spec_for


def _run_parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Load-test the fanzha service with Locust (headless) and write CSV, Locust's "
        "HTML report, summary.json, plots and an SLO verdict into one folder.",
        epilog="Shape defaults: fanzha loadtest --list-shapes. Re-check a finished run: "
        f"{prog} report --out DIR [--slo FILE].",
    )
    p.add_argument("--shape", choices=SHAPES, default="city-day", help="load shape")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--model", type=Path, help="model directory: start the service on it")
    target.add_argument("--url", help="test an already running service instead")
    p.add_argument("--workers", type=int, default=1, help="service worker processes")
    p.add_argument(
        "--server-arg",
        action="append",
        default=[],
        metavar="FLAG",
        help="extra `fanzha serve` flag, e.g. --server-arg=--max-batch-tokens=2048",
    )
    p.add_argument("--out", type=Path, help="results folder (default results/loadtest/SHAPE)")
    p.add_argument("--slo", type=Path, help="SLO YAML (default loadtest/slo/SHAPE.yaml)")
    p.add_argument(
        "--processes",
        type=int,
        default=2,
        help="Locust worker processes (0: one process, no master)",
    )
    shape = p.add_argument_group("shape parameters (default: the shape's own)")
    shape.add_argument("--duration", type=float, help="seconds the whole shape takes")
    shape.add_argument("--rate", type=float, help="requests/s: constant, base or first step")
    shape.add_argument("--peak-rate", type=float, help="province-peak: requests/s of the last step")
    shape.add_argument("--steps", type=int, help="province-peak: number of steps")
    shape.add_argument("--alerts", type=float, help="day shapes: requests in the whole day")
    shape.add_argument("--spike-factor", type=float, help="spike: burst rate / base rate")
    shape.add_argument(
        "--caller",
        choices=("analyst", "gateway", "mixed"),
        help="analyst: 1 message per request; gateway: batches; mixed: both",
    )
    shape.add_argument(
        "--loop",
        choices=("closed", "open"),
        help="closed: users wait for answers; open: constant arrivals",
    )
    shape.add_argument(
        "--budget-ms", type=float, help="x-timeout-ms callers send (0: none, the server's deadline)"
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=0,
        help="fixed gateway batch size (default: drawn from a realistic mix)",
    )
    p.add_argument(
        "--gateway-share",
        type=float,
        default=0.2,
        help="mixed caller: share of requests that are gateway batches",
    )
    p.add_argument("--corpus", type=Path, help="JSONL/CSV with a text column to send instead")
    p.add_argument("--pool-size", type=int, default=2000, help="distinct messages to send")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"a short smoke run ({int(spec_for('constant', quick=True).duration)} s)",
    )
    p.add_argument("--list-shapes", action="store_true", help="print the shapes and exit")
    return p


def _report_parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=f"{prog} report",
        description="Rebuild the summary, plots "
        "and SLO verdict of a finished run from its results folder.",
    )
    p.add_argument("--out", type=Path, required=True, help="results folder of the run")
    p.add_argument("--slo", type=Path, help="SLO YAML (default: the one the run used)")
    return p


def list_shapes() -> str:
    lines = []
    for name, spec in DEFAULTS.items():
        params = {k: v for k, v in spec.to_dict().items() if v and k not in ("name", "extra")}
        lines.append(f"{name:<14} " + ", ".join(f"{k}={v}" for k, v in params.items()))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, prog: str = "fanzha loadtest") -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from loadtest.slo import SloError

    if argv and argv[0] == "report":
        args = _report_parser(prog).parse_args(argv[1:])
        from loadtest.report import build_report

        try:
            return build_report(args.out, args.slo)
        except (SloError, OSError, RuntimeError) as exc:
            print(f"{prog} report: {exc}", file=sys.stderr)
            return 2
    parser = _run_parser(prog)
    args = parser.parse_args(argv)
    if args.list_shapes:
        print(list_shapes())
        return 0
    if not args.model and not args.url:
        default = Path("models/default")
        if not default.is_dir():
            parser.error("give --model DIR or --url URL (models/default does not exist)")
        args.model = default
    from loadtest.runner import RunOptions, run
    from loadtest.slo import load_slo

    try:
        spec = spec_for(
            args.shape,
            quick=args.quick,
            duration=args.duration,
            rate=args.rate,
            peak_rate=args.peak_rate,
            steps=args.steps,
            alerts=args.alerts,
            spike_factor=args.spike_factor,
            caller=args.caller,
            loop=args.loop,
            budget_ms=args.budget_ms,
        )
        if args.slo:
            load_slo(args.slo)  # a bad SLO file fails now, not after the run
        options = RunOptions(
            spec=spec,
            out=args.out or Path("results/loadtest") / args.shape,
            model=args.model,
            url=args.url,
            workers=args.workers,
            processes=args.processes,
            slo=args.slo,
            batch_size=args.batch_size,
            gateway_share=args.gateway_share,
            corpus=args.corpus,
            pool_size=args.pool_size,
            seed=args.seed,
            server_args=args.server_arg,
            stop_timeout=5.0 if args.quick else 15.0,
        )
        return run(options)
    except (SloError, ValueError, RuntimeError, OSError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
