"""The real callers as Locust users: an SMS gateway posting batches, an analyst posting single
messages, and a mix of both.

Every user paces itself on the run's arrival-rate schedule (`loadtest.shapes`): each is a
Poisson process at `rate(t) / users` (see `arrive`), so together they form a Poisson arrival
process at the scheduled rate.

- closed loop: a user waits for its answer before sending again (a gateway with a fixed set of
  connections), then sends what came due meanwhile; when the service slows down for good, the
  offered load falls with it, which the report shows as sent < scheduled.
- open loop: a user sends on schedule whatever happened to earlier requests (each request in
  its own greenlet), so queueing shows up as latency and refusals, never as a quietly lower
  load. Latency is measured from the send; the lag between schedule and send is logged too.
"""

from __future__ import annotations

import itertools
import os
import random
import time
from dataclasses import dataclass
from functools import cached_property

import gevent
from gevent.pool import Group
from locust import FastHttpUser, constant, task

from loadtest.config import ENV_VAR, ROUTES, RunConfig
from loadtest.corpus import BatchSizes, load_pool
from loadtest.recorder import Recorder
from loadtest.shapes import Schedule, build_schedule
from loadtest.validate import LabelSet, check_body, check_refusal

try:
    import orjson

    def _dumps(obj: object) -> bytes:
        return orjson.dumps(obj)
except ImportError:  # pragma: no cover - orjson ships with the serve extra
    import json

    def _dumps(obj: object) -> bytes:
        return json.dumps(obj, ensure_ascii=False).encode()


@dataclass
class Run:
    """Everything a Locust process needs, loaded once from the runner's plan."""

    config: RunConfig
    schedule: Schedule
    texts: list[str]
    labels: LabelSet
    batches: BatchSizes
    recorder: Recorder


_RUN: Run | None = None


def current_run() -> Run:
    global _RUN
    if _RUN is None:
        path = os.environ.get(ENV_VAR)
        if not path:
            raise RuntimeError(
                f"{ENV_VAR} is not set: start load tests with `fanzha loadtest`, which plans "
                "the run and points this variable at its run.json"
            )
        config = RunConfig.read(path)
        _RUN = Run(
            config=config,
            schedule=build_schedule(config.spec),
            texts=load_pool(config.corpus),
            labels=LabelSet.from_dict(config.labels),
            batches=BatchSizes(config.max_messages, config.batch_size),
            recorder=Recorder(config.raw_dir),
        )
    return _RUN


_user_numbers = itertools.count()
CATCH_UP_S = 1.0


class _Caller(FastHttpUser):
    abstract = True
    wait_time = constant(0)  # pacing is done in `arrive`, on the schedule
    concurrency = 64  # connections per user: an open-loop user has many requests in flight
    network_timeout = 30.0
    connection_timeout = 5.0
    gateway_share = 0.0  # probability that a request is a gateway batch

    def on_start(self) -> None:
        run = current_run()
        number = next(_user_numbers)
        self.tag = f"{os.getpid()}u{number}"
        self.rng = random.Random(f"{run.config.seed}:{self.tag}")
        self.seq = itertools.count()
        self.inflight = Group()
        self.next_due = 0.0

    @cached_property
    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        budget = current_run().config.spec.budget_ms
        if budget > 0:
            headers["x-timeout-ms"] = f"{budget:g}"
        return headers

    @task
    def arrive(self) -> None:
        """One candidate arrival of a Poisson process thinned to the schedule: candidates come
        at the schedule's peak rate, each kept with probability rate(t) / peak. Exact for any
        rate curve, where drawing each gap at the current rate would lag every rise."""
        run = current_run()
        peak = run.schedule.peak_rate / run.config.users
        if peak <= 0 or not run.recorder.t0:  # nothing to send, or the clock has not started
            gevent.sleep(0.25)
            return
        if not self.next_due:
            self.next_due = time.time()
        due = self.next_due + self.rng.expovariate(peak)
        self.next_due = due
        gevent.sleep(max(0.0, due - time.time()))
        rate = run.schedule.rate(due - run.recorder.t0)
        if self.rng.random() * run.schedule.peak_rate >= rate:
            return  # thinned out (or outside the schedule)
        caller = "gateway" if self.rng.random() < self.gateway_share else "analyst"
        if run.config.spec.loop == "closed":
            self.send(run, caller, due)
            # Arrivals that came due while waiting are sent next, back to back, so a fast
            # service gets the whole schedule; a backlog older than CATCH_UP_S is dropped, so
            # a slow one shows up as sent < scheduled instead of a burst after it recovers.
            self.next_due = max(due, time.time() - CATCH_UP_S)
        elif len(self.inflight) >= run.config.inflight_cap:
            run.recorder.write(due, time.time(), 0, caller, -1, "shed", 0, "", "", "")
        else:
            self.inflight.spawn(self.send, run, caller, due)

    def send(self, run: Run, caller: str, due: float) -> None:
        n = 1 if caller == "analyst" else run.batches.draw(self.rng)
        start = self.rng.randrange(len(run.texts))
        seq = next(self.seq)
        ids = [f"{self.tag}-{seq}-{k}" for k in range(n)]
        texts = (run.texts[(start + k) % len(run.texts)] for k in range(n))
        body = _dumps({"messages": [{"id": i, "text": t} for i, t in zip(ids, texts, strict=True)]})
        sent = time.time()
        with self.client.post(
            "/v1/classify",
            data=body,  # type: ignore[arg-type]  # bytes go through as they are
            headers=self._headers,
            name=ROUTES[caller],
            catch_response=True,
        ) as response:
            status = response.status_code or 0
            headers = response.headers or {}
            error = getattr(response, "error", None)
            outcome, problem = _judge(status, response.content, headers, ids, run.labels, error)
            if problem is None:
                response.success()
            else:
                response.failure(problem)
            latency = response.request_meta["response_time"]
        run.recorder.write(
            due,
            sent,
            f"{latency:.3f}",
            caller,
            status,
            outcome,
            n,
            headers.get("x-total-time", ""),
            headers.get("x-queue-time", ""),
            problem or "",
        )

    def on_stop(self) -> None:
        self.inflight.join(timeout=10)  # let open-loop requests in flight finish and be logged


def _judge(
    status: int,
    content: bytes | None,
    headers: object,
    ids: list[str],
    labels: LabelSet,
    error: object = None,
) -> tuple[str, str | None]:
    if status == 200:
        problem = check_body(content, ids, labels)
        return ("ok", None) if problem is None else ("invalid", problem)
    if status in (429, 503):
        problem = check_refusal(status, headers)  # type: ignore[arg-type]
        return ("refused", f"refused {status}") if problem is None else ("invalid", problem)
    if status == 0:  # the exception's class only: its message may quote the request
        return "error", f"no answer ({type(error).__name__ if error else 'unknown'})"
    return "error", f"HTTP {status}"


class AnalystUser(_Caller):
    """An analyst checking one message at a time."""

    gateway_share = 0.0


class GatewayUser(_Caller):
    """An SMS gateway posting what it collected: batches of realistic size."""

    gateway_share = 1.0


class MixedUser(_Caller):
    """Both callers on one service; the share of gateway requests comes from the plan."""

    def on_start(self) -> None:
        super().on_start()
        self.gateway_share = current_run().config.gateway_share


USER_CLASSES: dict[str, type[_Caller]] = {
    "analyst": AnalystUser,
    "gateway": GatewayUser,
    "mixed": MixedUser,
}
