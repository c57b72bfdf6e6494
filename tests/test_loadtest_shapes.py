"""Load shapes: each named schedule delivers the volume and the rates it promises."""

from __future__ import annotations

import itertools
import random

import pytest

from loadtest.corpus import GATEWAY_BATCHES, BatchSizes
from loadtest.shapes import DEFAULTS, SHAPES, build_schedule, spec_for, users_needed


@pytest.mark.parametrize("name", SHAPES)
def test_every_shape_builds_a_contiguous_schedule(name: str) -> None:
    schedule = build_schedule(DEFAULTS[name])
    assert schedule.duration == pytest.approx(DEFAULTS[name].duration)
    ends = [s.start for s in schedule.stages[1:]]
    assert ends == [s.end for s in schedule.stages[:-1]]
    assert all(schedule.rate(s.start) >= 0 for s in schedule.stages)
    assert schedule.rate(schedule.duration + 1) == 0.0


@pytest.mark.parametrize(("name", "alerts"), [("county-day", 500), ("city-day", 2000)])
def test_a_day_replays_its_alerts_on_a_diurnal_curve(name: str, alerts: int) -> None:
    schedule = build_schedule(spec_for(name))
    assert schedule.expected_requests() == pytest.approx(alerts, rel=1e-9)
    hour = schedule.duration / 24
    night, evening = schedule.rate(3.5 * hour), schedule.rate(20 * hour)
    assert evening > 5 * night
    assert all(not s.plateau for s in schedule.stages)  # no saturation read from a day


def test_quick_day_keeps_the_compression_so_it_stays_a_light_load() -> None:
    full, quick = spec_for("city-day"), spec_for("city-day", quick=True)
    assert quick.duration < full.duration
    assert quick.alerts / quick.duration == pytest.approx(full.alerts / full.duration)


def test_province_peak_is_a_geometric_staircase_of_plateaus() -> None:
    spec = spec_for("province-peak", rate=2, peak_rate=128, steps=7, duration=70)
    schedule = build_schedule(spec)
    rates = [s.rate_from for s in schedule.stages]
    assert rates[0] == pytest.approx(2) and rates[-1] == pytest.approx(128)
    assert all(b / a == pytest.approx(2) for a, b in itertools.pairwise(rates))
    assert all(s.plateau and s.end - s.start == pytest.approx(10) for s in schedule.stages)
    assert spec.loop == "open" and spec.caller == "gateway"


def test_spike_jumps_and_recovers() -> None:
    schedule = build_schedule(spec_for("spike", rate=10, spike_factor=8, duration=60))
    labels = {s.label: s for s in schedule.stages}
    assert labels["spike"].rate_from == 80
    assert labels["base"].rate_from == labels["recovery"].rate_from == 10
    assert labels["rise"].end - labels["rise"].start <= 1.0


def test_overrides_replace_defaults_and_unknown_shapes_are_refused() -> None:
    spec = spec_for("constant", rate=50, loop="closed", duration=None)
    assert (spec.rate, spec.loop, spec.duration) == (50, "closed", DEFAULTS["constant"].duration)
    with pytest.raises(ValueError, match="unknown shape"):
        spec_for("weekday")
    with pytest.raises(ValueError, match="rate"):
        build_schedule(spec_for("province-peak", rate=10, peak_rate=5))


def test_partial_volume_is_integrated_exactly() -> None:
    schedule = build_schedule(spec_for("spike", rate=10, spike_factor=10, duration=60))
    whole = schedule.expected_requests()
    halves = schedule.expected_requests(0, 30) + schedule.expected_requests(30, 60)
    assert halves == pytest.approx(whole)


def test_users_carry_the_peak() -> None:
    assert users_needed(200, 25) == 8
    assert users_needed(3, 25, minimum=2) == 2


def test_gateway_batches_stay_within_the_servers_limit() -> None:
    rng = random.Random(1)
    sizes = [BatchSizes(max_messages=100).draw(rng) for _ in range(2000)]
    assert min(sizes) >= 1 and max(sizes) <= 100
    assert sum(w for w, _, _ in GATEWAY_BATCHES) == pytest.approx(1.0)
    assert BatchSizes(fixed=64).draw(rng) == 64 and BatchSizes(fixed=64).mean() == 64
    mean = sum(sizes) / len(sizes)
    assert mean == pytest.approx(BatchSizes(max_messages=100).mean(), rel=0.15)
