"""The benchmark suite: every way of classifying the same texts, on the same machine, in one run.

Rows (messages/s, and p50/p95/p99 per call):
  bare ONNX runner    `Classifier` in this process: pre-encoded batches of 64 as a client sends
                      them and of 8 sorted by length (the service's regime), each from one
                      caller with a thread per core and from one single-threaded caller per
                      core; 1 per call; end to end (normalise + tokenise + infer + verdicts),
                      batches of 64, and batches of 8 sorted by length from a single-threaded
                      caller per core: the ideal the service's batch endpoint is held to
  service             `fanzha serve` over HTTP: batches of 64, single messages (closed loop,
                      and open loop: Poisson arrivals at --rate/s), with 1 worker and with
                      --workers-max
  naive baseline      FastAPI + PyTorch, one message per call, same weights (naive_torch_app.py)
  PyTorch             the same network in this process, one message per call, no server
  TF-IDF baseline     character n-gram TF-IDF + logistic regression, in this process

Shared machines are noisy and their load drifts within minutes, so the rows are not measured one
after the other: every server is started first, then the suite runs --rounds rounds, each
measuring every row for duration/rounds seconds in a rotated order. A row's messages/s is the
median of its rounds (the range is printed too: a wide range means a noisy machine); latency
percentiles pool its rounds. Ratios divide medians taken in the same rounds.

The load generator (aiohttp, from bench_serving.py) runs in this process and shares the cores
with the server measured, so every HTTP figure is conservative.

    python scripts/bench_suite.py --model models/default                 # about 4 minutes
    python scripts/bench_suite.py --model models/default --quick         # smoke run
    python scripts/bench_suite.py --model models/default --duration 30 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import bench_serving as bs  # noqa: E402
from bench_cases import (  # noqa: E402
    E2E_SORTED,
    Case,
    NaiveServer,
    bare_cases,
    naive_case,
    run_round,
    service_cases,
    tfidf_cases,
    torch_case,
)

from fanzha.classifier import Classifier  # noqa: E402
from loadtest.capacity import statement  # noqa: E402
from loadtest.corpus import build_pool  # noqa: E402
from loadtest.machine import describe_machine, load1  # noqa: E402

Row = dict[str, Any]


def to_row(case: Case) -> Row:
    rates = [s.rate for s in case.samples]
    latencies = [x for s in case.samples for x in s.latencies]
    pct = np.percentile(np.asarray(latencies) * 1000, [50, 95, 99]) if latencies else [None] * 3
    statuses: dict[str, int] = {}
    for sample in case.samples:
        for status, n in sample.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    return {
        "system": case.system,
        "how": case.how,
        "kind": case.kind,
        "workers": case.workers,
        "msgs_per_s": round(statistics.median(rates), 1),
        "range": [round(min(rates), 1), round(max(rates), 1)],
        **{k: (round(float(v), 2) if v is not None else None)
           for k, v in zip(("p50", "p95", "p99"), pct, strict=True)},
        "load_avg": round(statistics.mean(s.load for s in case.samples), 2),
        "statuses": statuses,
    }  # fmt: skip


def ratios(rows: list[Row]) -> dict[str, float | None]:
    def best(keep: Callable[[Row], bool]) -> float | None:
        values = [float(r["msgs_per_s"]) for r in rows if keep(r)]
        return max(values) if values else None

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 2) if a and b else None

    bare = best(lambda r: r["how"].startswith("pre-encoded") and "1 message" not in r["how"])
    ideal = best(lambda r: r["how"].startswith(E2E_SORTED))
    as_sent = best(lambda r: r["kind"] == "bare" and "pre-encoded, batches of 64" in r["how"])
    batch1 = best(lambda r: r["kind"] == "batch" and r["workers"] == 1)
    batchn = best(lambda r: r["kind"] == "batch" and r["workers"] > 1)
    single1 = best(lambda r: r["kind"] == "single" and r["workers"] == 1)
    singlen = best(lambda r: r["kind"] == "single" and r["workers"] > 1)
    naive = best(lambda r: r["kind"] == "naive")
    tfidf = best(lambda r: r["kind"] == "tfidf" and "64" in r["how"])
    batch = max(filter(None, (batch1, batchn)), default=None)
    single = max(filter(None, (single1, singlen)), default=None)
    return {
        "service batch (best) / ideal bare runner, texts to verdicts [target >= 0.8]": ratio(
            batch, ideal
        ),
        "service batch (best) / best bare runner, pre-encoded (no tokenising)": ratio(batch, bare),
        "service batch (best) / bare runner on the batches of 64 as sent": ratio(batch, as_sent),
        "service batch (best) / naive PyTorch [target >= 10]": ratio(batch, naive),
        "service single (best) / naive PyTorch": ratio(single, naive),
        "service batch: N workers / 1 worker": ratio(batchn, batch1),
        "service single: N workers / 1 worker": ratio(singlen, single1),
        "TF-IDF batch / service batch (best)": ratio(tfidf, batch),
    }


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"Measured {result['when']} on {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, "
        f"{m['os']}, Python {m['python']}, onnxruntime {m['versions']['onnxruntime']}, torch "
        f"{m['versions']['torch']}; model `{result['model_version']}`; {result['texts']} texts "
        f"(median {result['text_chars']['p50']} chars, p90 {result['text_chars']['p90']}); "
        f"{result['rounds']} interleaved rounds of {result['round_seconds']:g} s per row.",
        "",
        "| system | how | messages/s (median) | range | p50 ms | p95 ms | p99 ms | load avg |",
        "|---|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['system']} | {r['how']} | {r['msgs_per_s']:,.0f} | {r['range'][0]:,.0f}–"
            f"{r['range'][1]:,.0f} | {r['p50']} | {r['p95']} | {r['p99']} | {r['load_avg']} |"
        )
    lines += ["", "| ratio | value |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in result["ratios"].items()]
    lines += ["", *[f"- {s}" for s in result["capacity"]]]
    return "\n".join(lines) + "\n"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=Path("models/default"))
    parser.add_argument("--out", type=Path, default=Path("results/bench"))
    parser.add_argument("--texts", type=int, default=2048, help="distinct texts (same for all)")
    parser.add_argument("--duration", type=float, default=12.0, help="seconds per row in total")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument(
        "--clients", type=int, default=8,
        help="clients posting batches: enough that the queue never runs dry while a client waits "
        "for its answer, so the service is measured saturated like the bare runner",
    )  # fmt: skip
    parser.add_argument("--single-clients", type=int, default=32, help="single-message clients")
    parser.add_argument("--rate", type=float, default=200.0, help="open-loop single req/s")
    parser.add_argument("--workers-max", type=int, default=2, help="also serve with N workers")
    parser.add_argument("--server-arg", action="append", default=[], help="extra serve flag")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=("bare", "tfidf", "torch", "naive", "scaling"),
    )
    parser.add_argument("--quick", action="store_true", help="2 rounds of 1 s, 512 texts")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        args.duration, args.rounds, args.texts = 2.0, 2, 512
    if not (args.model / "model.onnx").is_file():
        parser.error(f"{args.model} is not a model directory (no model.onnx)")
    return args


def main() -> int:
    args = parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    texts = [r["text"] for r in build_pool(args.texts, args.seed)]
    lengths = sorted(len(t) for t in texts)
    machine = describe_machine()
    round_seconds = args.duration / args.rounds
    print(f"model {args.model}; {machine['cores']} cores ({machine['cpu']}); load average "
          f"{machine['load1']}; {len(texts)} texts, median {lengths[len(lengths) // 2]} chars; "
          f"{args.rounds} rounds x {round_seconds:g} s per row", flush=True)  # fmt: skip
    has_torch = (args.model / "pytorch").is_dir()
    servers: list[Any] = []
    cases: list[Case] = []
    try:
        print("starting servers and warming up ...", flush=True)
        worker_counts = [1] + ([args.workers_max] if "scaling" not in args.skip else [])
        for workers in worker_counts:
            log = args.out / f"service-w{workers}.log"
            server = bs.Server(args.model, workers, args.server_arg, log)
            servers.append(server)
            server.wait_ready()
            cases += service_cases(server.url, texts, workers, args)
        if "naive" not in args.skip and has_torch:
            naive = NaiveServer(args.model, args.out / "naive.log")
            servers.append(naive)
            naive.wait_ready()
            cases.append(naive_case(naive.url, texts, args.single_clients))
        if "bare" not in args.skip:
            cases += bare_cases(args.model, texts)
        if "torch" not in args.skip and has_torch:
            cases.append(torch_case(args.model, texts))
        if "tfidf" not in args.skip:
            cases += tfidf_cases(texts, args.seed)
        for k in range(args.rounds):
            print(f"  round {k + 1}/{args.rounds}", flush=True)
            run_round(cases, round_seconds, offset=k * max(1, len(cases) // args.rounds))
    finally:
        for server in servers:
            server.stop()
    rows = [to_row(case) for case in cases]
    best_batch = max((r["msgs_per_s"] for r in rows if r["kind"] == "batch"), default=0.0)
    best_single = max((r["msgs_per_s"] for r in rows if r["kind"] == "single"), default=0.0)
    result = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine,
        "model": str(args.model),
        "model_version": Classifier.load(args.model, threads=1).version,
        "texts": len(texts),
        "text_chars": {"p50": lengths[len(lengths) // 2], "p90": lengths[int(0.9 * len(lengths))]},
        "rounds": args.rounds,
        "round_seconds": round_seconds,
        "rows": rows,
        "ratios": ratios(rows),
        "capacity": [
            statement(best_batch, "one machine, gateway batches of 64 (best worker count)"),
            statement(best_single, "one machine, single messages (best worker count)"),
        ],
        "load_end": load1(),
    }
    text = markdown(result)
    print("\n" + text)
    (args.out / "bench_suite.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    (args.out / "bench_suite.md").write_text(text, encoding="utf-8")
    print(f"written: {args.out / 'bench_suite.md'} and bench_suite.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
