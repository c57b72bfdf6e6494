"""Load shapes as arrival-rate schedules: requests per second as a function of time.

A shape is a list of stages, each with a rate that moves linearly from `rate_from` to `rate_to`.
Locust users pace themselves on this schedule (see `loadtest.callers`), instead of the shape
setting user counts: with user counts, a slow server silently lowers the offered load, which
hides exactly the queueing a load test is meant to expose. The user count only has to be large
enough to carry the peak rate; it stays constant for the whole run.

Named shapes (every figure is a default the CLI can change):

- `county-day`: a county centre's day of 500 alerts, replayed on a diurnal curve, compressed
  into `duration` seconds.
- `city-day`: the same with 2,000 alerts.
- `province-peak`: a geometric staircase of gateway batch arrivals from `rate` to `peak_rate`
  requests/s (1 to 120 by default, about 45 to 5,400 messages/s with the realistic batch mix),
  chosen to pass saturation, so the run shows where it is and what happens beyond.
- `spike`: a steady base with a sudden burst of `spike_factor` times the rate in the middle.
- `soak`: a constant moderate rate for a long time (drift, leaks, slow degradation).
- `constant`: a constant arrival rate (the open-loop run: 200 single messages/s by default).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

DAY_SECONDS = 86_400.0

# Relative alert volume per hour of the day (00:00 ... 23:00): quiet nights, a morning rise,
# a lunchtime dip and an evening peak, the usual shape of SMS and fraud-report traffic.
HOURLY_WEIGHTS = (
    0.20, 0.12, 0.08, 0.06, 0.06, 0.10, 0.30, 0.70, 1.20, 1.60, 1.80, 1.70,
    1.30, 1.40, 1.60, 1.60, 1.50, 1.40, 1.40, 1.60, 1.80, 1.70, 1.10, 0.50,
)  # fmt: skip


@dataclass(frozen=True)
class Stage:
    start: float
    end: float
    rate_from: float
    rate_to: float
    label: str
    plateau: bool = False  # a level the schedule holds on purpose (a step, the spike itself)

    def rate(self, t: float) -> float:
        if self.end <= self.start:
            return self.rate_to
        share = min(1.0, max(0.0, (t - self.start) / (self.end - self.start)))
        return self.rate_from + (self.rate_to - self.rate_from) * share

    def requests(self) -> float:
        return (self.end - self.start) * (self.rate_from + self.rate_to) / 2


@dataclass(frozen=True)
class Schedule:
    name: str
    stages: tuple[Stage, ...]

    @property
    def duration(self) -> float:
        return self.stages[-1].end if self.stages else 0.0

    @property
    def peak_rate(self) -> float:
        return max((max(s.rate_from, s.rate_to) for s in self.stages), default=0.0)

    def stage_at(self, t: float) -> Stage | None:
        for stage in self.stages:
            if stage.start <= t < stage.end:
                return stage
        return None

    def rate(self, t: float) -> float:
        stage = self.stage_at(t)
        return stage.rate(t) if stage else 0.0

    def expected_requests(self, start: float = 0.0, end: float | None = None) -> float:
        """Scheduled requests between `start` and `end` (exact for piecewise-linear rates)."""
        end = self.duration if end is None else end
        total = 0.0
        for stage in self.stages:
            lo, hi = max(start, stage.start), min(end, stage.end)
            if hi > lo:
                total += (hi - lo) * (stage.rate(lo) + stage.rate(hi)) / 2
        return total


@dataclass(frozen=True)
class ShapeSpec:
    """A named shape with its parameters; JSON-serialisable, so Locust workers rebuild the
    exact schedule the runner planned."""

    name: str
    duration: float
    rate: float = 0.0  # requests/s: base, start or constant rate, by shape
    peak_rate: float = 0.0  # province-peak: the last step
    steps: int = 0  # province-peak: number of steps
    alerts: float = 0.0  # day shapes: requests over the compressed day
    spike_factor: float = 0.0  # spike: burst rate as a multiple of the base
    caller: str = "analyst"  # analyst (1 message), gateway (batches) or mixed
    loop: str = "closed"  # closed (paced users wait for responses) or open
    budget_ms: float = 0.0  # x-timeout-ms sent by callers (0: none, the server's default)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShapeSpec:
        return cls(**data)


DEFAULTS: dict[str, ShapeSpec] = {
    "county-day": ShapeSpec("county-day", duration=120, alerts=500),
    "city-day": ShapeSpec("city-day", duration=180, alerts=2000),
    "province-peak": ShapeSpec(
        "province-peak",
        duration=160,
        rate=1,
        peak_rate=120,
        steps=8,
        caller="gateway",
        loop="open",
        budget_ms=1000,
    ),
    "spike": ShapeSpec(
        "spike", duration=90, rate=20, spike_factor=10, caller="mixed", loop="open", budget_ms=1000
    ),
    "soak": ShapeSpec("soak", duration=300, rate=50, caller="mixed"),
    "constant": ShapeSpec("constant", duration=60, rate=200, loop="open"),
}
QUICK_SECONDS = 8.0
SHAPES = tuple(DEFAULTS)


def spec_for(name: str, quick: bool = False, **overrides: Any) -> ShapeSpec:
    """The default spec of a named shape with the given fields replaced (None: keep)."""
    if name not in DEFAULTS:
        raise ValueError(f"unknown shape {name!r}; choose one of {', '.join(SHAPES)}")
    spec = DEFAULTS[name]
    if quick:  # same rates in a few seconds; a day keeps its compression, so fewer alerts
        shrink = QUICK_SECONDS / spec.duration
        spec = replace(
            spec, duration=QUICK_SECONDS, steps=min(spec.steps, 4), alerts=spec.alerts * shrink
        )
    return replace(spec, **{k: v for k, v in overrides.items() if v is not None})


def build_schedule(spec: ShapeSpec) -> Schedule:
    builders = {
        "county-day": _day,
        "city-day": _day,
        "province-peak": _staircase,
        "spike": _spike,
        "soak": _constant,
        "constant": _constant,
    }
    if spec.duration <= 0:
        raise ValueError(f"duration must be positive, not {spec.duration}")
    return Schedule(spec.name, builders[spec.name](spec))


def _day(spec: ShapeSpec) -> tuple[Stage, ...]:
    """24 hourly stages, linear between hour marks, scaled so the integral is `alerts`."""
    hour = spec.duration / 24
    weights = [*HOURLY_WEIGHTS, HOURLY_WEIGHTS[0]]
    area = sum((weights[h] + weights[h + 1]) / 2 for h in range(24)) * hour
    scale = spec.alerts / area
    return tuple(
        Stage(h * hour, (h + 1) * hour, weights[h] * scale, weights[h + 1] * scale, f"{h:02d}h")
        for h in range(24)
    )


def _staircase(spec: ShapeSpec) -> tuple[Stage, ...]:
    steps = max(1, spec.steps)
    if spec.rate <= 0 or spec.peak_rate < spec.rate:
        raise ValueError("province-peak needs 0 < rate <= peak_rate")
    factor = (spec.peak_rate / spec.rate) ** (1 / (steps - 1)) if steps > 1 else 1.0
    width = spec.duration / steps
    stages = []
    for k in range(steps):
        rate = spec.rate * factor**k
        stages.append(Stage(k * width, (k + 1) * width, rate, rate, f"{rate:.1f}/s", True))
    return tuple(stages)


def _spike(spec: ShapeSpec) -> tuple[Stage, ...]:
    """A third at the base rate, a near-instant jump, a sixth at the peak, then the base again
    for the rest: the tail shows how quickly the queue recovers."""
    base, peak, d = spec.rate, spec.rate * (spec.spike_factor or 10), spec.duration
    jump = min(1.0, d / 60)
    a, b, c = d / 3, d / 3 + jump, d / 2
    return (
        Stage(0, a, base, base, "base", True),
        Stage(a, b, base, peak, "rise"),
        Stage(b, c, peak, peak, "spike", True),
        Stage(c, c + jump, peak, base, "fall"),
        Stage(c + jump, d, base, base, "recovery", True),
    )


def _constant(spec: ShapeSpec) -> tuple[Stage, ...]:
    return (Stage(0, spec.duration, spec.rate, spec.rate, f"{spec.rate:g}/s", True),)


def users_needed(peak_rate: float, per_user_rate: float, minimum: int = 1) -> int:
    """Users that can carry `peak_rate` when each one sends at most `per_user_rate`."""
    return max(minimum, math.ceil(peak_rate / per_user_rate))
