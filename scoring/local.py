"""Score an archive on one machine: one process, or `workers` processes sharing the cores.

The main process reads chunks, hands their texts to the scorer and writes results back in input
order; at most `2 x workers` chunks are in flight, so memory stays flat for any file size. Each
worker loads the model once. Several workers split the cores between them (intra-op threads =
cores / workers) with spinning off, so an idle worker does not burn a core another one needs.
With `--rules`, workers receive the rules document with each chunk and build the RuleSet once.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from fanzha.modeldir import load_model_dir
from fanzha.runner import default_threads
from scoring.checkpoint import CheckpointSink, DirectSink, file_fingerprint
from scoring.formats import FileFormat, ScoringError
from scoring.readers import Chunk, Source, open_source
from scoring.reconcile import ReconcileReport, reconcile_files
from scoring.scorer import (
    RESULT_NAMES,
    Prepared,
    Rules,
    cached_classifier,
    finish,
    infer,
    load_rules,
    prepare,
    result_schema,
    score_table,
    to_table,
)

log = logging.getLogger(__name__)

Scored = Generator[tuple[Chunk, pa.Table], None, None]


@dataclass(frozen=True)
class LocalOptions:
    model: Path
    input: Path
    output: Path
    input_format: FileFormat
    output_format: FileFormat
    text_column: str = "text"
    id_column: str | None = None
    workers: int = 1
    chunk_size: int = 10_000
    batch_size: int = 64
    threads: int = 0  # intra-op threads per worker; 0: cores / workers
    resume: bool = True
    overwrite: bool = False
    encoding: str = "utf-8"
    result_prefix: str = ""
    progress: bool | None = None  # None: only when stderr is a terminal
    reconcile: bool = True
    rules: Path | None = None  # analysts' rules file, applied after the model
    rules_database: str | None = None  # a service's database URL: its rules too
    sender_column: str | None = None  # sender numbers, for sender rules

    def engine_threads(self) -> tuple[int, bool]:
        """(intra-op threads per worker, spinning allowed). Spinning is off in both modes: a
        single process runs a helper thread beside inference, which needs the cycles that idle
        ONNX Runtime threads would otherwise burn."""
        if self.workers <= 1:
            return self.threads or default_threads(), False
        return self.threads or max(1, default_threads() // self.workers), False


@dataclass(frozen=True)
class LocalSummary:
    rows: int  # in the input, and so in the output
    scored: int  # rows processed by this run (the rest came from checkpoints)
    errors: int  # unscorable rows among `scored`
    chunks: int
    resumed_chunks: int
    seconds: float
    model_version: str
    reconcile: ReconcileReport | None

    @property
    def rate(self) -> float:
        return self.scored / self.seconds if self.seconds > 0 else 0.0


# -- scorers: texts of a chunk in, result table out, chunks kept in order -------------------


def _worker_init(model: str, threads: int, spinning: bool) -> None:
    # Ctrl-C is the parent's to handle (it keeps the finished parts); workers just stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cached_classifier(model, threads, spinning)


def _worker_score(
    model: str,
    threads: int,
    spinning: bool,
    chunk: tuple[list[object], list[object] | None],
    batch: int,
    prefix: str,
    rules: Rules | None,
) -> pa.Table:
    texts, senders = chunk
    clf = cached_classifier(model, threads, spinning)
    ruleset = rules.ruleset() if rules is not None else None
    return score_table(clf, texts, batch, prefix, ruleset, senders)


def _senders(opts: LocalOptions, chunk: Chunk) -> list[object] | None:
    if opts.sender_column is None:
        return None
    return chunk.table.column(opts.sender_column).to_pylist()


def _score_in_process(opts: LocalOptions, chunks: Iterator[Chunk], rules: Rules | None) -> Scored:
    """A three-stage pipeline in one process: while ONNX Runtime runs chunk k (it releases the
    GIL), a helper thread tokenises chunk k+1 and builds the records of chunk k-1, so Python
    work fills the gaps in inference instead of adding to it. The GIL switch interval is cut
    from 5 ms to 0.1 ms meanwhile: otherwise each batch returning from ONNX Runtime can wait
    up to 5 ms for the helper to yield the GIL, a tenth of a batch's time."""
    threads, spinning = opts.engine_threads()
    clf = cached_classifier(opts.model, threads, spinning)
    ruleset = rules.ruleset() if rules is not None else None
    helper = ThreadPoolExecutor(1, thread_name_prefix="fanzha-prep")
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:

        def prepared(chunk: Chunk | None) -> Future[Prepared] | None:
            if chunk is None:
                return None
            return helper.submit(prepare, clf, chunk.texts, _senders(opts, chunk))

        def build(prep: Prepared, probs: np.ndarray) -> pa.Table:
            return to_table(finish(clf, prep, probs, ruleset), opts.result_prefix)

        current = next(chunks, None)
        upcoming = prepared(current)
        done: deque[tuple[Chunk, Future[pa.Table]]] = deque()
        while current is not None and upcoming is not None:
            prep = upcoming.result()
            following = next(chunks, None)
            upcoming = prepared(following)
            probs = infer(clf, prep, opts.batch_size)
            done.append((current, helper.submit(build, prep, probs)))
            current = following
            while done and (done[0][1].done() or len(done) > 1):
                chunk, table = done.popleft()
                yield chunk, table.result()
        while done:
            chunk, table = done.popleft()
            yield chunk, table.result()
    finally:
        helper.shutdown(wait=True, cancel_futures=True)
        sys.setswitchinterval(interval)


def _score_in_pool(opts: LocalOptions, chunks: Iterator[Chunk], rules: Rules | None) -> Scored:
    threads, spinning = opts.engine_threads()
    args = (str(opts.model), threads, spinning)
    # spawn: a forked child would inherit ONNX Runtime's thread pools in an undefined state.
    pool = ProcessPoolExecutor(
        opts.workers, mp_context=get_context("spawn"), initializer=_worker_init, initargs=args
    )
    try:
        inflight: deque[tuple[Chunk, Future[pa.Table]]] = deque()
        for chunk in chunks:
            work = (chunk.texts, _senders(opts, chunk))
            future = pool.submit(
                _worker_score, *args, work, opts.batch_size, opts.result_prefix, rules
            )
            inflight.append((chunk, future))
            if len(inflight) >= 2 * opts.workers:
                done, fut = inflight.popleft()
                yield done, fut.result()
        while inflight:
            done, fut = inflight.popleft()
            yield done, fut.result()
    finally:
        # On an interruption do not score what is queued: the next run redoes it anyway.
        pool.shutdown(wait=True, cancel_futures=True)


# -- the run ----------------------------------------------------------------------------------


def _check_paths(opts: LocalOptions) -> None:
    if opts.output.resolve() == opts.input.resolve():
        raise ScoringError("--output must differ from --input: the input is never overwritten")
    if opts.output.exists() and not opts.overwrite:
        raise ScoringError(f"{opts.output} exists; pass --overwrite to replace it")
    if not opts.output.parent.is_dir():
        raise ScoringError(f"{opts.output.parent}: no such directory for the output")
    if opts.chunk_size < 1 or opts.batch_size < 1 or opts.workers < 1:
        raise ScoringError("--chunk-size, --batch-size and --workers must be at least 1")


def _check_columns(opts: LocalOptions, source: Source) -> pa.Schema:
    names = set(source.schema.names)
    clash = [opts.result_prefix + n for n in RESULT_NAMES if opts.result_prefix + n in names]
    if clash:
        raise ScoringError(
            f"{opts.input} already has column(s) {clash}, which scoring adds; pass "
            "--result-prefix (e.g. --result-prefix pred_) to name the result columns apart"
        )
    wanted = (("id", opts.id_column), ("sender", opts.sender_column))
    for role, column in wanted:
        if column and column not in names and source.count_rows():
            raise ScoringError(
                f"{opts.input}: no {role} column {column!r}; its columns are "
                f"{source.schema.names}. Name it with --{role}-column"
            )
    fields = list(source.schema) + list(result_schema(opts.result_prefix))
    return pa.schema(fields, metadata=source.schema.metadata)


def run_key(
    opts: LocalOptions, model_checksums: dict[str, str], rules: Rules | None
) -> dict[str, Any]:
    """Everything a part's content depends on; worker and thread counts do not change it."""
    return {
        "input": file_fingerprint(opts.input),
        "input_format": opts.input_format.name,
        "encoding": opts.encoding,
        "model_checksums": model_checksums,
        "text_column": opts.text_column,
        "chunk_size": opts.chunk_size,
        "batch_size": opts.batch_size,
        "result_prefix": opts.result_prefix,
        "result_columns": list(RESULT_NAMES),  # parts of an older version lack new columns
        "rules_sha256": rules.digest if rules is not None else None,
        "sender_column": opts.sender_column,
    }


def run_local(opts: LocalOptions, on_chunk: Callable[[int], None] | None = None) -> LocalSummary:
    """Score `opts.input` into `opts.output`. `on_chunk(index)` runs after each chunk is saved
    (tests interrupt a run there)."""
    started = time.perf_counter()
    _check_paths(opts)
    model = load_model_dir(opts.model)
    rules = load_rules(opts.rules, opts.sender_column, opts.rules_database)
    source = open_source(opts.input, opts.input_format, opts.text_column, opts.encoding)
    schema = _check_columns(opts, source)
    total = source.count_rows()
    sink: CheckpointSink | DirectSink
    if opts.resume:
        key = run_key(opts, model.card.get("checksums", {}), rules)
        sink = CheckpointSink(opts.output, opts.output_format, schema, key)
    else:
        sink = DirectSink(opts.output, opts.output_format, schema)
    skip = sink.completed()
    if skip:
        log.info("resuming %s after %d completed chunk(s)", opts.output, skip)
    scored_rows = errors = chunks = 0
    bar = tqdm(
        total=total,
        initial=min(total, skip * opts.chunk_size),
        unit="msg",
        unit_scale=True,
        dynamic_ncols=True,
        disable=None if opts.progress is None else not opts.progress,
        file=sys.stderr,
        desc="scoring",
    )
    score = _score_in_pool if opts.workers > 1 else _score_in_process
    scored = score(opts, source.chunks(opts.chunk_size, skip), rules)
    try:
        for chunk, results in scored:
            table = pa.Table.from_arrays(chunk.table.columns + results.columns, schema=schema)
            sink.write(chunk.index, table)
            scored_rows += table.num_rows
            errors += table.num_rows - results.column(opts.result_prefix + "error").null_count
            chunks += 1
            bar.update(table.num_rows)
            if on_chunk is not None:
                on_chunk(chunk.index)
        sink.finish()
    except BaseException:
        scored.close()  # stop the scorer's threads or processes now, not at garbage collection
        sink.abort()
        raise
    finally:
        bar.close()
    report = None
    if opts.reconcile:
        report = reconcile_files(
            opts.input,
            opts.input_format,
            opts.output,
            opts.output_format,
            opts.text_column,
            opts.id_column,
            opts.encoding,
        )
    return LocalSummary(
        rows=total,
        scored=scored_rows,
        errors=errors,
        chunks=chunks,
        resumed_chunks=skip,
        seconds=time.perf_counter() - started,
        model_version=model.version,
        reconcile=report,
    )
