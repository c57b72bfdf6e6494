"""The batching engine: concurrent requests are merged into model batches.

Contract
--------
- `await batcher.submit(model, encoded, deadline)` queues the messages of one request and returns
  a `Scores`: their probabilities in the order given, plus queue and inference times. The
  messages may be split across batches (and shared with other requests); rows come back by index.
- `start()` starts the scheduling task; `stop(timeout)` refuses new work, runs everything already
  queued (the drain), then joins the inference threads; `stats()` is a cheap snapshot.
- Overload is decided at once: a request whose messages do not fit in the bounded queue, or
  that the queue ahead of it would make miss its deadline (estimated from the recent peak
  rate), raises `Overloaded` without waiting. A request not finished by its deadline raises
  `DeadlineExceeded`; its queued messages are dropped, never computed. A cancelled request
  (client gone) drops its queued messages the same way.

Scheduling
----------
Items are the unit: one encoded message with its request's ticket (future and result buffer),
its enqueue time and deadline. They wait in buckets keyed by (model, token length) plus one
age-ordered queue. A batch is anchored on the oldest waiting item, so nothing starves, and is
filled with the items whose lengths are closest to the anchor's, so padding stays small. It
closes when the next item would break the token budget (batch size x longest item, i.e. counting
padding) or the size cap. An idle runner waits at most `max_wait_s` for a batch to fill, so a
lone message is not held back.

What is queued is spread over `spread` batches (the batches the cores run at the same time): a
batch's token budget is at most the queued tokens divided by `spread`. For long messages
batching saves almost nothing (three of 160 tokens take about three times as long as one), so a
burst of them runs side by side on both cores instead of as one batch on one thread, also when
it arrives while other batches run: the runner that frees up first takes the rest
(`docs/benchmarks/single_poisson.txt`). Under a backlog the queue holds many budgets' worth of
tokens, and batches are as big as before.

Only items that arrived at most `fill_window_s` after the oldest queued item may fill it (the
anchor itself, for a big request): a deep queue then runs roughly first come, first served,
request by request, also when small requests' items anchor the batches. Filling from the whole
queue would share the model out over every queued request at once, so under overload all of
them would finish late together and miss their deadlines after using the model (goodput
collapse), where admission, which assumes the queue ahead clears first, expects them to finish
in turn.

Small requests (at most `priority_messages` messages: an analyst's or a single SMS) have a lane
of their own: while one of their items waits, it anchors the next batch ahead of older items of
big requests, so a single message waits for about one batch instead of behind a gateway's whole
backlog, and they may start one batch more than `concurrency` (with a quarter of the token
budget), so they need not wait for a runner to finish a gateway's batch either. Big requests
still fill every batch's remaining room; only if small requests alone kept the model busy would
big ones wait to their deadline (503). Admission knows the lane: a small request is refused only
if the small requests queued ahead of it would make it miss its deadline, never for a gateway's
backlog it is going to jump.

Items pin the model they were encoded for, so a batch never mixes models and requests in flight
during a reload finish on the model they started with.

Inference runs in a thread pool of `concurrency` + 1 threads, off the event loop: ONNX Runtime
releases the GIL, so the loop keeps accepting and encoding requests meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from fanzha.tokenizer import Encoded

log = logging.getLogger(__name__)

QUEUED, TAKEN, DROPPED = 0, 1, 2
RATE_SMOOTHING = 0.2  # weight of the newest sample in the drain-rate estimate
SPARE_SHARE = 4  # a batch on the small requests' extra runner takes 1/4 of the token budget


class BatchModel(Protocol):
    """What the batcher needs of a model: probabilities for one padded batch."""

    def probabilities(self, batch: Sequence[Encoded]) -> np.ndarray: ...


class Overloaded(Exception):
    """The queue cannot take the request now; the client should retry later."""


class DeadlineExceeded(Exception):
    """The request was not scored before its deadline."""


class ShuttingDown(Exception):
    """The batcher no longer accepts work."""


class InferenceFailed(Exception):
    """The model raised while scoring a batch."""


@dataclass(slots=True, eq=False)
class _Ticket:
    """One submit() call: where its items' rows land and who is waiting for them."""

    future: asyncio.Future[None]
    size: int
    remaining: int
    out: np.ndarray | None = None
    first_start: float | None = None
    last_end: float = 0.0


@dataclass(slots=True, eq=False)
class _Item:
    encoded: Encoded
    length: int
    model: BatchModel
    ticket: _Ticket
    index: int
    enqueued: float
    deadline: float
    state: int = QUEUED


@dataclass(frozen=True, slots=True)
class Scores:
    probabilities: np.ndarray
    queue_time: float  # seconds from submit until the first of its batches started
    inference_time: float  # seconds from that start until its last batch finished
    batches: int = 0


@dataclass(frozen=True, slots=True)
class BatchReport:
    """Handed to `on_batch` after each batch, for metrics."""

    size: int
    padded_tokens: int
    real_tokens: int
    seconds: float


@dataclass(slots=True)
class BatcherStats:
    queued: int = 0
    queued_tokens: int = 0
    running: int = 0
    batches: int = 0
    items: int = 0
    dropped: int = 0
    overloaded: int = 0
    accepting: bool = False
    padding_share: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)


def _lower_priority(nice: int) -> None:
    """Run this inference thread at a lower priority than the event loop. The loop is the one
    serial stage (parsing, admission, handing results back): when it competes for the cores
    with the inference threads on equal terms, an overloaded service answers everything late,
    including its refusals. Linux keeps a nice value per thread; elsewhere this does nothing."""
    if nice and hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


class Batcher:
    def __init__(
        self,
        *,
        max_batch_size: int = 64,
        max_batch_tokens: int = 8192,
        max_wait_s: float = 0.001,
        max_queue: int = 4096,
        concurrency: int = 1,
        priority_messages: int = 0,
        fill_window_s: float = float("inf"),
        inference_nice: int = 0,
        queue_share: float = 1.0,
        spread: int = 1,
        on_batch: Callable[[BatchReport], None] | None = None,
    ) -> None:
        self.max_batch_size = max_batch_size
        self.max_batch_tokens = max_batch_tokens
        self.max_wait_s = max_wait_s
        self.max_queue = max_queue
        self.concurrency = concurrency
        self.priority_messages = priority_messages
        self.fill_window_s = fill_window_s
        self.inference_nice = inference_nice
        self.queue_share = queue_share
        self.spread = spread
        self._on_batch = on_batch
        self._fifo: deque[_Item] = deque()
        self._priority: deque[_Item] = deque()  # the items of small requests, oldest first
        self._priority_depth = 0  # of which still queued
        self._buckets: dict[tuple[int, int], deque[_Item]] = {}
        self._longest = 0
        self._depth = 0
        self._tokens = 0
        self._accepting = False
        self._wakeup = asyncio.Event()
        self._busy = 0  # batches running
        self._running: set[asyncio.Task[None]] = set()
        self._executor: ThreadPoolExecutor | None = None
        self._task: asyncio.Task[None] | None = None
        self._stats = BatcherStats()
        self._padded_total = 0
        self._real_total = 0
        self._rate = 0.0  # messages per second the queue drains under load (see _observe_rate)
        self._previous: tuple[int, float] | None = None  # (size, start) of a backlogged batch
        self._size_avg = 0.0
        self._gap_avg = 0.0

    # --- public ----------------------------------------------------------------------------
    async def start(self) -> None:
        self._executor = ThreadPoolExecutor(
            self.concurrency + 1,
            thread_name_prefix="fanzha-infer",
            initializer=_lower_priority,
            initargs=(self.inference_nice,),
        )
        self._accepting = True
        self._task = asyncio.create_task(self._schedule(), name="fanzha-batcher")

    async def stop(self, timeout: float = 30.0) -> None:
        """Refuse new work, run what is queued, then release the threads."""
        self._accepting = False
        self._wakeup.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout)
                if self._running:
                    await asyncio.wait(list(self._running), timeout=timeout)
            except TimeoutError:
                log.warning("batcher drain timed out", extra={"queued": self._depth})
                self._task.cancel()
                self._fail_queued(ShuttingDown("the service is shutting down"))
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def admit(self, n: int, deadline: float | None = None, arrival: float | None = None) -> None:
        """Raise Overloaded at once if `n` more messages do not fit in the queue, or if the
        queue ahead of them would take longer to clear than `queue_share` of the time left to
        `deadline` (the rest is headroom: the estimate is an average, and a request admitted
        that then misses its deadline has used the model for nothing).

        With `arrival`, the time the request already spent before reaching here (reading,
        parsing: the event loop's backlog) is counted again for what follows inference
        (evidence, the response), which competes for the same loop. Without this, an overloaded
        loop admits requests that then miss their deadline after using the model, and goodput
        collapses instead of the excess being refused."""
        if self._depth + n > self.max_queue:
            self._stats.overloaded += 1
            raise Overloaded(f"{self._depth} messages are queued (limit {self.max_queue})")
        if deadline is None:
            return
        now = time.monotonic()
        lag = now - arrival if arrival is not None else 0.0
        wait = self._wait_ahead(n)
        if wait + lag > self.queue_share * (deadline - now):
            self._stats.overloaded += 1
            raise Overloaded(
                f"the queue needs about {wait * 1000:.0f} ms to clear and the service is "
                f"{lag * 1000:.0f} ms behind"
            )

    def _wait_ahead(self, n: int) -> float:
        """Seconds until `n` more messages would all have started. A small request's items go
        ahead of every big request's, so only the small ones queued before them count, each
        taken as a batch of its own (the gap between batch starts under load): a gateway's
        backlog does not get an analyst's message refused. A big request waits for the whole
        queue, at the messages per second the queue drains."""
        if self._small(n):
            return (self._priority_depth + n) * self._gap_avg
        return (self._depth + n) / self._rate if self._rate > 0.0 and self._depth else 0.0

    def _small(self, n: int) -> bool:
        """Whether a request of `n` messages takes the small requests' lane."""
        return 0 < n <= self.priority_messages

    def _in_lane(self, item: _Item) -> bool:
        return self._small(item.ticket.size)

    def expected_wait(self) -> float:
        """Seconds the queued messages need at the rate seen under load (0 if unknown)."""
        return self._depth / self._rate if self._rate > 0.0 else 0.0

    def stats(self) -> BatcherStats:
        s = self._stats
        s.queued, s.queued_tokens, s.running = self._depth, self._tokens, len(self._running)
        s.accepting = self._accepting
        s.padding_share = 1.0 - self._real_total / self._padded_total if self._padded_total else 0.0
        return s

    async def submit(
        self, model: BatchModel, encoded: Sequence[Encoded], deadline: float
    ) -> Scores:
        """Probabilities for `encoded` (rows in order); `deadline` is on `time.monotonic()`."""
        if not self._accepting:
            raise ShuttingDown("the service is shutting down")
        n = len(encoded)
        if n == 0:
            return Scores(np.zeros((0, 0), dtype=np.float32), 0.0, 0.0)
        self.admit(n, deadline)
        now = time.monotonic()
        if deadline <= now:
            raise DeadlineExceeded("the request deadline passed before it was queued")
        ticket = _Ticket(asyncio.get_running_loop().create_future(), n, n)
        items = [
            _Item(e, len(e.ids), model, ticket, i, now, deadline) for i, e in enumerate(encoded)
        ]
        self._enqueue(items, priority=self._small(n))
        try:
            await asyncio.wait_for(ticket.future, deadline - now)
        except TimeoutError:
            raise DeadlineExceeded("the request was not scored before its deadline") from None
        finally:
            self._drop(items)
        assert ticket.out is not None and ticket.first_start is not None
        return Scores(
            ticket.out,
            ticket.first_start - now,
            ticket.last_end - ticket.first_start,
        )

    # --- queue -----------------------------------------------------------------------------
    def _enqueue(self, items: list[_Item], priority: bool = False) -> None:
        if priority:
            self._priority.extend(items)
            self._priority_depth += len(items)
        for item in items:
            key = (id(item.model), item.length)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = deque()
            bucket.append(item)
            self._fifo.append(item)
            self._tokens += item.length
            self._longest = max(self._longest, item.length)
        self._depth += len(items)
        self._wakeup.set()

    def _drop(self, items: Sequence[_Item]) -> None:
        """Forget queued items of a finished, failed or cancelled request (lazily removed)."""
        for item in items:
            if item.state == QUEUED:
                item.state = DROPPED
                self._depth -= 1
                self._tokens -= item.length
                self._stats.dropped += 1
                if self._in_lane(item):
                    self._priority_depth -= 1

    def _fail_queued(self, exc: Exception) -> None:
        for item in self._fifo:
            if item.state == QUEUED and not item.ticket.future.done():
                item.ticket.future.set_exception(exc)
        self._drop(list(self._fifo))

    def _oldest(self, queue: deque[_Item], now: float) -> _Item | None:
        """The oldest live item of `queue`; drops expired ones met on the way."""
        while queue:
            item = queue[0]
            if item.state == QUEUED and item.deadline <= now:
                self._drop((item,))
            if item.state != QUEUED:
                queue.popleft()
                continue
            return item
        return None

    # --- scheduling ------------------------------------------------------------------------
    async def _schedule(self) -> None:
        while True:
            batch = await self._next_batch()
            if batch is None:
                return
            self._busy += 1
            self._observe_rate(len(batch))
            task = asyncio.create_task(self._execute(batch))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _next_batch(self) -> list[_Item] | None:
        while True:
            now = time.monotonic()
            urgent = self._oldest(self._priority, now)
            oldest = self._oldest(self._fifo, now)
            head = urgent or oldest
            if head is None and not self._accepting:
                return None
            spare = self._busy >= self.concurrency  # only the small requests' extra runner left
            if head is None or self._busy >= self.concurrency + 1 or (spare and urgent is None):
                await self._wait()
                continue
            full = self._depth >= self.max_batch_size or self._tokens >= self.max_batch_tokens
            wait = head.enqueued + self.max_wait_s - now
            if self._accepting and not full and wait > 0:
                await self._wait(wait)
                continue
            budget = self.max_batch_tokens // SPARE_SHARE if spare else self._share(head)
            assert oldest is not None  # every queued item is in the FIFO, the head's too
            return self._take(head, now, budget, oldest.enqueued)

    def _share(self, head: _Item) -> int:
        """Token budget of the next batch: the queued tokens split over `spread` batches, so a
        short queue finishes side by side; the whole budget under a backlog."""
        if self.spread <= 1:
            return self.max_batch_tokens
        return min(self.max_batch_tokens, max(head.length, -(-self._tokens // self.spread)))

    async def _wait(self, timeout: float | None = None) -> None:
        """Until something is queued or a runner frees up (or `timeout` seconds)."""
        self._wakeup.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout)

    def _take(self, anchor: _Item, now: float, budget: int, since: float) -> list[_Item]:
        """The anchor plus the queued items of the same model with the closest lengths, within
        `budget` padded tokens, among those that arrived at most the fill window after `since`
        (the oldest queued item's arrival: a small request's anchor thus fills its batch from
        the oldest big requests, in turn, not from every request queued)."""
        model_key, base = id(anchor.model), anchor.length
        anchor.state = TAKEN  # first, though a small request's item need not lead its bucket
        batch: list[_Item] = [anchor]
        width = base
        newest = since + self.fill_window_s  # buckets are in arrival order
        grow_right = True
        for distance in range(max(base, self._longest - base) + 1):
            lengths = (base,) if distance == 0 else (base - distance, base + distance)
            for length in lengths:
                longer = length > width
                if length < 1 or (longer and not grow_right):
                    continue
                bucket = self._buckets.get((model_key, length))
                while bucket:
                    item = bucket[0]
                    if item.state == QUEUED and item.deadline <= now:
                        self._drop((item,))
                    if item.state != QUEUED:
                        bucket.popleft()
                        continue
                    if len(batch) >= self.max_batch_size or item.enqueued > newest:
                        break
                    new_width = max(width, length)
                    if batch and (len(batch) + 1) * new_width > budget:
                        if longer:
                            grow_right = False
                            break
                        return self._taken(batch)
                    bucket.popleft()
                    item.state = TAKEN
                    batch.append(item)
                    width = new_width
                if bucket is not None and not bucket:
                    del self._buckets[(model_key, length)]
                if len(batch) >= self.max_batch_size:
                    return self._taken(batch)
        return self._taken(batch)

    def _observe_rate(self, size: int) -> None:
        """Drain rate for admission. While a backlog lasts, batches start as soon as runners
        free up, so messages started per second of wall time (averages of batch size and of
        the gap between starts) is what the whole service achieves, Python overhead and GIL
        included, and it holds for any number of concurrent runners."""
        now = time.monotonic()
        if self._previous is not None:
            previous_size, previous_start = self._previous
            self._size_avg += RATE_SMOOTHING * (previous_size - self._size_avg)
            self._gap_avg += RATE_SMOOTHING * (now - previous_start - self._gap_avg)
            if self._gap_avg > 0:
                self._rate = self._size_avg / self._gap_avg
        self._previous = (size, now) if self._depth > 0 else None

    def _taken(self, batch: list[_Item]) -> list[_Item]:
        self._depth -= len(batch)
        self._priority_depth -= sum(map(self._in_lane, batch))
        self._tokens -= sum(item.length for item in batch)
        return batch

    async def _execute(self, batch: list[_Item]) -> None:
        loop = asyncio.get_running_loop()
        start = time.monotonic()
        for item in batch:
            if item.ticket.first_start is None:
                item.ticket.first_start = start
        try:
            probs = await loop.run_in_executor(
                self._executor, batch[0].model.probabilities, [item.encoded for item in batch]
            )
        except Exception as exc:
            log.error("inference failed", exc_info=exc, extra={"batch_size": len(batch)})
            for item in batch:
                if not item.ticket.future.done():
                    item.ticket.future.set_exception(InferenceFailed(type(exc).__name__))
            return
        finally:
            self._busy -= 1
            self._wakeup.set()
        end = time.monotonic()
        self._deliver(batch, probs, end)
        self._report(batch, end - start)

    def _deliver(self, batch: list[_Item], probs: np.ndarray, end: float) -> None:
        for row, item in enumerate(batch):
            ticket = item.ticket
            if ticket.future.done():
                continue
            if ticket.out is None:
                ticket.out = np.empty((ticket.size, probs.shape[1]), dtype=probs.dtype)
            ticket.out[item.index] = probs[row]
            ticket.last_end = end
            ticket.remaining -= 1
            if ticket.remaining == 0:
                ticket.future.set_result(None)

    def _report(self, batch: list[_Item], seconds: float) -> None:
        real = sum(item.length for item in batch)
        padded = len(batch) * max(item.length for item in batch)
        self._stats.batches += 1
        self._stats.items += len(batch)
        self._padded_total += padded
        self._real_total += real
        if seconds > 0 and self._previous is None:
            # no drain measured yet (quiet times): the model's own speed is an upper bound,
            # so a burst after a calm spell is not refused on a pessimistic guess
            self._rate = max(self._rate, len(batch) / seconds)
        if self._on_batch is not None:
            self._on_batch(BatchReport(len(batch), padded, real, seconds))
