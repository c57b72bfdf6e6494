"""The cases of the benchmark suite (bench_suite.py): each one classifies the same texts its own
way and reports, per measurement round, messages done, time taken and per-call latencies.

In-process cases time direct calls; HTTP cases use the load generator of bench_serving.py
(aiohttp, closed or open loop) against servers that stay up for the whole suite, so rounds of
every case can be interleaved.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bench_serving as bs
import numpy as np

from fanzha.classifier import Classifier
from fanzha.tokenizer import length_sorted_batches
from loadtest.machine import load1
from loadtest.service import wait_ready

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Sample:
    messages: int
    elapsed: float
    latencies: list[float]  # seconds, accepted calls only
    statuses: dict[str, int] = field(default_factory=dict)
    load: float = 0.0

    @property
    def rate(self) -> float:
        return self.messages / self.elapsed if self.elapsed else 0.0


@dataclass
class Case:
    system: str
    how: str
    measure: Callable[[float], Sample]
    kind: str = ""  # batch | single | open | naive | bare | tfidf | torch
    workers: int = 0
    samples: list[Sample] = field(default_factory=list)


def time_calls(
    fn: Callable[[Any], object], batches: Sequence[Any], sizes: Sequence[int], seconds: float
) -> Sample:
    """Call `fn` on `batches` in turn for `seconds`; a random start, so rounds differ."""
    done, latencies = 0, []
    k = int(np.random.default_rng().integers(len(batches)))
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        t = time.perf_counter()
        fn(batches[k])
        latencies.append(time.perf_counter() - t)
        done += sizes[k]
        k = (k + 1) % len(batches)
    return Sample(done, time.perf_counter() - started, latencies)


def time_concurrent_calls(
    fn: Callable[[Any], object],
    batches: Sequence[Any],
    sizes: Sequence[int],
    seconds: float,
    callers: int,
) -> Sample:
    """`time_calls` from `callers` threads at once (ONNX Runtime releases the GIL)."""
    with ThreadPoolExecutor(callers) as pool:
        parts = list(pool.map(lambda _: time_calls(fn, batches, sizes, seconds), range(callers)))
    return Sample(
        sum(p.messages for p in parts),
        max(p.elapsed for p in parts),
        [latency for p in parts for latency in p.latencies],
    )


def from_outcome(out: bs.Outcome) -> Sample:
    statuses = {str(k): v for k, v in out.statuses.items()}
    if out.timeouts:
        statuses["timeout"] = out.timeouts
    return Sample(out.messages, out.elapsed, out.latencies, statuses)


# --- in process --------------------------------------------------------------------------
# the ideal the service is held to: texts in, verdicts out, in batches no server can form
# (the whole set sorted by length), from one single-threaded caller per core
E2E_SORTED = "end to end (normalise+tokenise), batches of 8 length-sorted"


def bare_cases(model: Path, texts: list[str]) -> list[Case]:
    """The ONNX runner on pre-encoded batches and end to end: one caller with an intra-op
    thread per core, and one single-threaded caller per core (the faster for small batches,
    and how a one-worker service runs it by default)."""
    cores = len(os.sched_getaffinity(0))
    classifier = Classifier.load(model, threads=cores, allow_spinning=False)
    classifier.warmup()
    single_threaded = Classifier.load(model, threads=1, allow_spinning=False)
    single_threaded.warmup()
    encoded = classifier.encoder.encode(texts)
    as_sent = [encoded[i : i + 64] for i in range(0, len(encoded) - 63, 64)]
    order8 = list(length_sorted_batches(encoded, 8))
    sorted8 = [[encoded[i] for i in idx] for idx in order8]
    sorted8_texts = [[texts[i] for i in idx] for idx in order8]
    singles = [[e] for e in encoded]
    raw64 = [texts[i : i + 64] for i in range(0, len(texts) - 63, 64)]

    def case(how: str, fn: Callable[[Any], object], batches: list[Any]) -> Case:
        sizes = [len(b) for b in batches]
        return Case("bare ONNX runner", how, lambda s: time_calls(fn, batches, sizes, s), "bare")

    def concurrent(how: str, batches: list[Any], fn: Callable[[Any], object]) -> Case:
        sizes = [len(b) for b in batches]
        measure = lambda s: time_concurrent_calls(fn, batches, sizes, s, cores)  # noqa: E731
        return Case("bare ONNX runner", f"{how}, {cores} callers x 1 thread", measure, "bare")

    infer = single_threaded.probabilities
    return [
        concurrent("pre-encoded, batches of 8 length-sorted", sorted8, infer),
        concurrent(E2E_SORTED, sorted8_texts, single_threaded.classify),
        concurrent("pre-encoded, batches of 64 as sent", as_sent, infer),
        case("pre-encoded, batches of 64 as sent", classifier.probabilities, as_sent),
        case("pre-encoded, batches of 8 length-sorted", classifier.probabilities, sorted8),
        case("pre-encoded, 1 message per call", classifier.probabilities, singles),
        case("end to end (normalise+tokenise), batches of 64", classifier.classify, raw64),
    ]


def tfidf_cases(texts: list[str], seed: int) -> list[Case]:
    from fanzha.taxonomy import SLUGS
    from training.baseline import fit_baseline
    from training.corpus.generate import generate_corpus

    train = generate_corpus(per_label=150, seed=seed + 7)
    y = np.array([SLUGS.index(r["label"]) for r in train])
    baseline = fit_baseline([r["text"] for r in train], y, len(SLUGS))
    batches = [texts[i : i + 64] for i in range(0, len(texts) - 63, 64)]
    singles = [[t] for t in texts]
    fn = baseline.predict_proba
    return [
        Case("TF-IDF baseline", "in process, batches of 64",
             lambda s: time_calls(fn, batches, [64] * len(batches), s), "tfidf"),
        Case("TF-IDF baseline", "in process, 1 message per call",
             lambda s: time_calls(fn, singles, [1] * len(singles), s), "tfidf"),
    ]  # fmt: skip


def torch_case(model: Path, texts: list[str]) -> Case:
    """PyTorch on one message per call without HTTP: separates the model's cost from the
    naive server's. One intra-op thread, the naive baseline's best setting."""
    import torch

    from fanzha.tokenizer import pad_batch
    from training.model import load_trained

    torch.set_num_threads(1)
    encoder = Classifier.load(model, threads=1).encoder
    network = load_trained(model / "pytorch")

    def one(text: str) -> None:
        ids, mask = pad_batch(encoder.encode([text]))
        with torch.inference_mode():
            network(torch.from_numpy(ids), torch.from_numpy(mask))

    measure = lambda s: time_calls(one, texts, [1] * len(texts), s)  # noqa: E731
    return Case("PyTorch (no server)", "in process, 1 message per call", measure, "torch")


# --- over HTTP -----------------------------------------------------------------------------
class NaiveServer:
    """scripts/naive_torch_app.py in its own process."""

    def __init__(self, model: Path, log: Path) -> None:
        self.port = bs.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, str(REPO / "scripts" / "naive_torch_app.py"),
                   "--model", str(model), "--port", str(self.port)]  # fmt: skip
        self._log = log.open("wb")
        self.proc = subprocess.Popen(command, cwd=REPO, stdout=self._log, stderr=self._log)
        self.command = command

    def wait_ready(self) -> None:
        if self.proc.poll() is not None:
            raise SystemExit(f"the naive server exited with {self.proc.returncode}")
        wait_ready(self.url, timeout=180)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


def service_cases(url: str, texts: list[str], workers: int, args: Any) -> list[Case]:
    url += "/v1/classify"
    batches = [(bs._body(texts[i : i + 64]), 64) for i in range(0, len(texts) - 63, 64)]
    singles = [(bs._body([t]), 1) for t in texts]
    asyncio.run(bs.closed_loop(url, batches, args.clients, 2.0))  # warm-up
    system = f"service, {workers} worker{'s' if workers > 1 else ''}"

    def closed(bodies: list[tuple[bytes, int]], clients: int) -> Callable[[float], Sample]:
        return lambda s: from_outcome(asyncio.run(bs.closed_loop(url, bodies, clients, s)))

    cases = [
        Case(system, f"batches of 64, {args.clients} clients, closed loop",
             closed(batches, args.clients), "batch", workers),
        Case(system, f"1 message per call, {args.single_clients} clients, closed loop",
             closed(singles, args.single_clients), "single", workers),
    ]  # fmt: skip
    if workers == 1:
        measure = lambda s: from_outcome(asyncio.run(bs.open_loop(url, singles, args.rate, s)))  # noqa: E731
        how = f"1 message per call, open loop, Poisson arrivals at {args.rate:g} req/s"
        cases.append(Case(system, how, measure, "open", workers))
    return cases


def naive_case(url: str, texts: list[str], clients: int) -> Case:
    url += "/classify"
    singles = [(json.dumps({"text": t}, ensure_ascii=False).encode(), 1) for t in texts]
    asyncio.run(bs.closed_loop(url, singles, 4, 2.0))  # warm-up

    def measure(seconds: float) -> Sample:
        return from_outcome(asyncio.run(bs.closed_loop(url, singles, clients, seconds)))

    return Case("naive PyTorch", f"FastAPI, 1 message per call, {clients} clients", measure,
                "naive")  # fmt: skip


def run_round(cases: list[Case], seconds: float, offset: int) -> None:
    """One round: every case once, starting at `offset`, so no case is always first."""
    for k in range(len(cases)):
        case = cases[(k + offset) % len(cases)]
        load = load1()
        sample = case.measure(seconds)
        sample.load = load
        case.samples.append(sample)
        print(f"    {case.system:<20} {case.how:<48} {sample.rate:>9.1f} msgs/s "
              f"(load avg {load})", flush=True)  # fmt: skip
