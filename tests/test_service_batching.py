"""The batching engine's contract, with a recording fake model (no HTTP, no ONNX)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import numpy as np
import pytest

from fanzha.tokenizer import Encoded
from service.batching import Batcher, DeadlineExceeded, Overloaded, ShuttingDown


class FakeModel:
    """Row i of the output encodes the message's first token id, so results are traceable."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.batches: list[list[int]] = []
        self.gate = gate

    def probabilities(self, batch: Sequence[Encoded]) -> np.ndarray:
        if self.gate is not None:
            self.gate.wait(10)
        self.batches.append([len(e.ids) for e in batch])
        return np.array([[e.ids[0], len(e.ids)] for e in batch], dtype=np.float32)


def enc(tag: int, length: int) -> Encoded:
    return Encoded([tag] + [1] * (length - 1), False)


def far() -> float:
    return time.monotonic() + 30


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_results_come_back_by_index_across_batches() -> None:
    async def go() -> None:
        model = FakeModel()
        batcher = Batcher(max_batch_size=4, max_batch_tokens=10_000, max_wait_s=0.0)
        await batcher.start()
        items = [enc(i, 2 + (i * 7) % 30) for i in range(23)]
        scores = await batcher.submit(model, items, far())
        assert scores.probabilities[:, 0].tolist() == list(range(23))
        assert all(len(b) <= 4 for b in model.batches)
        assert scores.queue_time >= 0 and scores.inference_time >= 0
        await batcher.stop()

    run(go())


def test_concurrent_requests_are_merged_and_each_gets_its_own_rows() -> None:
    async def go() -> None:
        model = FakeModel()
        batcher = Batcher(max_batch_size=64, max_batch_tokens=100_000, max_wait_s=0.05)
        await batcher.start()
        requests = [[enc(100 * r + i, 5) for i in range(3)] for r in range(10)]
        results = await asyncio.gather(*(batcher.submit(model, q, far()) for q in requests))
        for r, scores in enumerate(results):
            assert scores.probabilities[:, 0].tolist() == [100 * r + i for i in range(3)]
        assert len(model.batches) < 10  # merged
        await batcher.stop()

    run(go())


def test_token_budget_counts_padding_and_groups_lengths() -> None:
    async def go() -> None:
        model = FakeModel()
        batcher = Batcher(max_batch_size=100, max_batch_tokens=100, max_wait_s=0.0)
        lengths = [10, 50, 10, 50, 10, 50, 10, 50]
        items = [enc(i, n) for i, n in enumerate(lengths)]
        await batcher.start()
        scores = await batcher.submit(model, items, far())
        assert scores.probabilities[:, 1].tolist() == lengths
        for batch in model.batches:
            assert len(batch) * max(batch) <= 100
            assert len(set(batch)) == 1  # short and long never padded together here
        await batcher.stop()

    run(go())


def test_an_item_longer_than_the_budget_still_runs_alone() -> None:
    async def go() -> None:
        model = FakeModel()
        batcher = Batcher(max_batch_size=8, max_batch_tokens=16, max_wait_s=0.0)
        await batcher.start()
        scores = await batcher.submit(model, [enc(1, 40), enc(2, 3)], far())
        assert scores.probabilities[:, 0].tolist() == [1, 2]
        assert sorted(model.batches) == [[3], [40]]
        await batcher.stop()

    run(go())


def test_full_queue_is_refused_at_once() -> None:
    async def go() -> None:
        gate = threading.Event()
        model = FakeModel(gate)
        batcher = Batcher(max_batch_size=2, max_queue=4, max_wait_s=0.0)
        await batcher.start()
        first = asyncio.create_task(batcher.submit(model, [enc(1, 3)] * 2, far()))
        await asyncio.sleep(0.05)  # taken by the runner, which is blocked on the gate
        queued = asyncio.create_task(batcher.submit(model, [enc(2, 3)] * 4, far()))
        await asyncio.sleep(0.01)
        with pytest.raises(Overloaded):
            await batcher.submit(model, [enc(3, 3)], far())
        assert batcher.stats().overloaded == 1
        gate.set()
        await asyncio.gather(first, queued)
        await batcher.stop()

    run(go())


def test_expired_and_cancelled_items_are_never_computed() -> None:
    async def go() -> None:
        gate = threading.Event()
        model = FakeModel(gate)
        batcher = Batcher(max_batch_size=1, max_wait_s=0.0)
        await batcher.start()
        blocker = asyncio.create_task(batcher.submit(model, [enc(1, 3)], far()))
        await asyncio.sleep(0.05)
        expiring = asyncio.create_task(batcher.submit(model, [enc(2, 7)], time.monotonic() + 1))
        cancelled = asyncio.create_task(batcher.submit(model, [enc(3, 9)], far()))
        await asyncio.sleep(0.01)
        assert batcher.stats().queued == 2
        cancelled.cancel()
        with pytest.raises(DeadlineExceeded):
            await expiring
        gate.set()
        await blocker
        assert model.batches == [[3]]
        assert batcher.stats().dropped == 2
        await batcher.stop()

    run(go())


def test_stop_drains_the_queue_and_then_refuses() -> None:
    async def go() -> None:
        model = FakeModel()
        batcher = Batcher(max_batch_size=2, max_wait_s=10.0)  # would wait long if not stopping
        await batcher.start()
        pending = [asyncio.create_task(batcher.submit(model, [enc(i, 4)], far())) for i in range(5)]
        await asyncio.sleep(0.01)
        await batcher.stop()
        assert [t.result().probabilities[0, 0] for t in pending] == [0, 1, 2, 3, 4]
        with pytest.raises(ShuttingDown):
            await batcher.submit(model, [enc(9, 4)], far())

    run(go())


def test_items_pinned_to_different_models_never_share_a_batch() -> None:
    async def go() -> None:
        old, new = FakeModel(), FakeModel()
        batcher = Batcher(max_batch_size=64, max_wait_s=0.02)
        await batcher.start()
        a = batcher.submit(old, [enc(1, 5), enc(2, 5)], far())
        b = batcher.submit(new, [enc(3, 5)], far())
        ra, rb = await asyncio.gather(a, b)
        assert ra.probabilities[:, 0].tolist() == [1, 2] and rb.probabilities[0, 0] == 3
        assert old.batches == [[5, 5]] and new.batches == [[5]]
        await batcher.stop()

    run(go())


class SlowModel(FakeModel):
    def probabilities(self, batch: Sequence[Encoded]) -> np.ndarray:
        time.sleep(0.02 * len(batch))
        return super().probabilities(batch)


@contextlib.asynccontextmanager
async def behind_a_backlog(batcher: Batcher) -> AsyncIterator[tuple[SlowModel, threading.Event]]:
    """Start `batcher`, let it learn a drain rate of about 50 msg/s on a SlowModel, then hold
    the model with a 10-message backlog queued (about 0.2 s of work). Yields the model and the
    gate that holds it; on exit the gate opens, the backlog finishes and the batcher stops."""
    gate = threading.Event()
    gate.set()
    model = SlowModel(gate)
    await batcher.start()
    await batcher.submit(model, [enc(i, 3) for i in range(4)], far())  # learns ~50 msg/s
    gate.clear()
    backlog = asyncio.create_task(batcher.submit(model, [enc(9, 3)] * 10, far()))
    await asyncio.sleep(0.01)
    try:
        yield model, gate
    finally:
        gate.set()
        await backlog
        await batcher.stop()


def test_a_request_that_would_miss_its_deadline_is_refused_at_once() -> None:
    async def go() -> None:
        batcher = Batcher(max_batch_size=1, max_wait_s=0.0)
        async with behind_a_backlog(batcher) as (model, _):
            with pytest.raises(Overloaded, match="to clear"):
                await batcher.submit(model, [enc(1, 3)], time.monotonic() + 0.05)

    run(go())


@pytest.mark.parametrize("priority_messages", [0, 1])
def test_a_big_backlog_refuses_big_requests_but_not_small_ones_with_the_lane(
    priority_messages: int,
) -> None:
    """Behind a backlog of 10 messages (about 0.2 s at the rate seen), a 2-message request with
    a 50 ms budget is refused either way; a single message jumps the backlog with the lane, so
    it is admitted and served in time, where without the lane it is refused like the rest."""

    async def go() -> bool:
        batcher = Batcher(max_batch_size=1, max_wait_s=0.0, priority_messages=priority_messages)
        async with behind_a_backlog(batcher) as (model, gate):
            gate.set()
            with pytest.raises(Overloaded, match="to clear"):
                await batcher.submit(model, [enc(1, 3)] * 2, time.monotonic() + 0.05)
            try:
                scores = await batcher.submit(model, [enc(7, 3)], time.monotonic() + 0.05)
                return bool(scores.probabilities[0, 0] == 7)
            except Overloaded:
                return False

    assert run(go()) is bool(priority_messages)


def test_a_request_the_event_loop_kept_waiting_is_refused_before_using_the_model() -> None:
    """Time spent before admission (a backlogged loop) will be spent again after inference:
    a request that has used half its budget getting here would miss it, so it is refused."""

    async def go() -> None:
        batcher = Batcher(max_batch_size=1, max_wait_s=0.0)
        await batcher.start()
        now = time.monotonic()
        with pytest.raises(Overloaded, match="behind"):
            batcher.admit(1, deadline=now + 0.1, arrival=now - 0.2)
        batcher.admit(1, deadline=now + 1.0, arrival=now - 0.01)  # a normal request passes
        assert batcher.stats().overloaded == 1
        await batcher.stop()

    run(go())


@pytest.mark.parametrize("priority_messages", [0, 1])
def test_a_small_request_jumps_a_big_requests_backlog_only_with_the_priority_lane(
    priority_messages: int,
) -> None:
    """A gateway's 6-message backlog is queued first; an analyst's single message comes next.
    With the lane it anchors the very next batch; without it, it waits its turn (FIFO)."""

    async def go() -> list[list[int]]:
        batcher = Batcher(max_batch_size=1, max_wait_s=0.0, priority_messages=priority_messages)
        backlog = [enc(i, 3) for i in range(1, 7)]
        return await tags_behind_a_blocker(batcher, [(backlog, 0.01), ([enc(99, 3)], 0.01)])

    order = [t for batch in run(go()) for t in batch]
    assert (order.index(99) < order.index(1)) is bool(priority_messages)


@pytest.mark.parametrize("priority_messages", [0, 4])
def test_a_small_request_does_not_wait_for_a_busy_runner(priority_messages: int) -> None:
    """The only runner is stuck on a gateway batch: a single message still gets scored, on the
    small requests' extra runner, while that batch runs; without the lane it has to wait."""

    async def go() -> bool:
        gate = threading.Event()
        model = GatedModel(gate, blocked_tag=0)
        batcher = Batcher(max_batch_size=8, max_wait_s=0.0, priority_messages=priority_messages)
        await batcher.start()
        gateway = asyncio.create_task(batcher.submit(model, [enc(0, 3)] * 8, far()))
        await asyncio.sleep(0.02)
        single = asyncio.create_task(batcher.submit(model, [enc(99, 3)], far()))
        done, _ = await asyncio.wait({single}, timeout=0.5)
        gate.set()
        await asyncio.gather(gateway, single)
        await batcher.stop()
        return single in done

    assert run(go()) is bool(priority_messages)


class GatedModel(FakeModel):
    """Holds only the batches that contain `blocked_tag` until the gate opens."""

    def __init__(self, gate: threading.Event, blocked_tag: int) -> None:
        super().__init__()
        self.hold, self.blocked_tag = gate, blocked_tag

    def probabilities(self, batch: Sequence[Encoded]) -> np.ndarray:
        if any(e.ids[0] == self.blocked_tag for e in batch):
            self.hold.wait(10)
        return super().probabilities(batch)


class TaggingModel(FakeModel):
    """Records the first token id (the tag) of each message of each batch."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        super().__init__(gate)
        self.tags: list[list[int]] = []

    def probabilities(self, batch: Sequence[Encoded]) -> np.ndarray:
        out = super().probabilities(batch)
        self.tags.append([e.ids[0] for e in batch])
        return out


async def tags_behind_a_blocker(
    batcher: Batcher, requests: Sequence[tuple[list[Encoded], float]]
) -> list[list[int]]:
    """Hold the batcher's only runner with a one-message batch (tag 0), queue `requests` (each
    followed by its pause in seconds), then let everything run: the tags of each batch, in the
    order the batches ran."""
    gate = threading.Event()
    model = TaggingModel(gate)
    await batcher.start()
    tasks = [asyncio.create_task(batcher.submit(model, [enc(0, 3)], far()))]
    await asyncio.sleep(0.02)  # the blocker holds the only runner
    for messages, pause in requests:
        tasks.append(asyncio.create_task(batcher.submit(model, messages, far())))
        await asyncio.sleep(pause)
    gate.set()
    await asyncio.gather(*tasks)
    await batcher.stop()
    return model.tags


@pytest.mark.parametrize("window", [0.01, float("inf")])
def test_batches_are_filled_only_from_requests_that_arrived_close_to_the_oldest(
    window: float,
) -> None:
    """Two requests queued 50 ms apart behind a blocker: with a 10 ms fill window the first
    batch holds only the first request's messages (served in turn, so it finishes in time);
    without one, both requests share every batch."""

    async def go() -> list[list[int]]:
        batcher = Batcher(max_batch_size=8, max_wait_s=0.0, fill_window_s=window)
        return await tags_behind_a_blocker(
            batcher, [([enc(1, 3)] * 4, 0.05), ([enc(2, 3)] * 4, 0.01)]
        )

    tags = run(go())
    assert tags[1] == ([1] * 4 if window < 1 else [1] * 4 + [2] * 4)


def test_a_small_requests_batch_fills_from_the_oldest_request() -> None:
    """Gateway A (length 5) is queued, gateway B (length 3) 50 ms later, then an analyst's
    message of length 3. The analyst's message anchors a batch at once (the lane), and that
    batch is filled from A, the oldest, not from B, whose lengths are closer: otherwise every
    small message would take a bite of a different request and under load all of them would
    finish late."""

    async def go() -> list[list[int]]:
        batcher = Batcher(max_batch_size=8, max_wait_s=0.0, fill_window_s=0.01, priority_messages=1)
        a, b, analyst = [enc(1, 5)] * 4, [enc(2, 3)] * 4, [enc(99, 3)]
        return await tags_behind_a_blocker(batcher, [(a, 0.05), (b, 0.01), (analyst, 0.01)])

    batch = next(tags for tags in run(go()) if 99 in tags)
    assert sorted(batch) == [1, 1, 1, 1, 99]


def test_admission_keeps_headroom_below_the_deadline() -> None:
    """A backlog of 10 messages (about 0.2 s at the rate seen) fits a 0.35 s budget only if
    the whole budget may go to queueing: with queue_share 0.5 the request is refused at once."""

    async def go(share: float) -> bool:
        batcher = Batcher(max_batch_size=1, max_wait_s=0.0, queue_share=share)
        async with behind_a_backlog(batcher):
            try:
                batcher.admit(1, time.monotonic() + 0.35)
                return True
            except Overloaded:
                return False

    assert run(go(1.0)) is True
    assert run(go(0.5)) is False


@pytest.mark.parametrize(("spread", "expected"), [(2, [[50], [50], [50, 50]]), (1, [[50] * 4])])
def test_a_short_queue_is_spread_over_the_idle_runners(
    spread: int, expected: list[list[int]]
) -> None:
    """Four long messages arriving at an idle service are split over the idle runners (half the
    queue, then half of the rest, then the last one) rather than run as one batch on one
    thread; with spreading off, as one batch."""

    async def go() -> None:
        model = FakeModel()
        batcher = Batcher(
            max_batch_size=64, max_batch_tokens=10_000, max_wait_s=0.01, concurrency=3,
            spread=spread,
        )  # fmt: skip
        await batcher.start()
        scores = await batcher.submit(model, [enc(i, 50) for i in range(4)], far())
        assert scores.probabilities[:, 0].tolist() == [0, 1, 2, 3]
        assert sorted(model.batches) == expected
        await batcher.stop()

    run(go())


def test_a_burst_that_arrives_while_batches_run_is_still_split() -> None:
    """Two runners of three are busy when four long messages arrive: the idle runner takes half
    of them, then half of the rest, instead of all four as one batch on one thread (the rule
    before, which set the p99 of single messages under random arrivals)."""

    async def go() -> list[list[int]]:
        gate = threading.Event()
        model = GatedModel(gate, blocked_tag=99)
        batcher = Batcher(
            max_batch_size=64, max_batch_tokens=10_000, max_wait_s=0.01, concurrency=3,
            spread=2,
        )  # fmt: skip
        await batcher.start()
        blockers = []
        for _ in range(2):  # one at a time, so each holds a runner of its own
            blockers.append(asyncio.create_task(batcher.submit(model, [enc(99, 3)], far())))
            await asyncio.sleep(0.05)
        scores = await batcher.submit(model, [enc(i, 50) for i in range(4)], far())
        assert scores.probabilities[:, 0].tolist() == [0, 1, 2, 3]
        gate.set()
        await asyncio.gather(*blockers)
        await batcher.stop()
        return [b for b in model.batches if b[0] == 50]

    assert run(go()) == [[50, 50], [50], [50]]
