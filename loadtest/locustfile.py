"""The Locust entry point: `locust -f loadtest/locustfile.py` (normally started for you by
`fanzha loadtest`, which writes the run plan this file reads from $FANZHA_LOADTEST_RUN).

One shape class drives every named shape: it holds the user count the plan computed for the
schedule's peak and stops the run when the schedule ends; the users themselves follow the
arrival-rate schedule.
"""

from __future__ import annotations

from typing import Any

from locust import LoadTestShape, events

from loadtest.callers import USER_CLASSES, AnalystUser, GatewayUser, MixedUser, current_run

__all__ = ["AnalystUser", "GatewayUser", "MixedUser", "ScheduleShape"]

END_GRACE_S = 1.0  # workers start their clock a moment after the master: let them finish
SPAWN_RATE = 100.0


class ScheduleShape(LoadTestShape):
    def tick(self) -> tuple[int, float, list[Any]] | None:
        run = current_run()
        if self.get_run_time() >= run.schedule.duration + END_GRACE_S:
            return None
        user_class = USER_CLASSES[run.config.spec.caller]
        return run.config.users, SPAWN_RATE, [user_class]


@events.test_start.add_listener
def _start_recording(environment: Any, **_: Any) -> None:
    from locust.runners import MasterRunner

    if not isinstance(environment.runner, MasterRunner):  # the processes that send requests
        current_run().recorder.start()


@events.test_stop.add_listener
def _stop_recording(environment: Any, **_: Any) -> None:
    current_run().recorder.stop()
