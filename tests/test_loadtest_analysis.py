"""Report arithmetic on synthetic request logs: stages, saturation, generator health, SLOs."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from loadtest.analysis import Requests, analyse
from loadtest.capacity import capacity
from loadtest.shapes import build_schedule, spec_for
from loadtest.slo import SloError, evaluate, load_slo, parse_slo

T0 = 1_000_000.0


def _log(stages: list[tuple[float, float, float, float, float]], seed: int = 0) -> list[dict]:
    """(start, end, rate, refused share, latency ms) per stage -> raw rows, 10 msgs each."""
    rng = random.Random(seed)
    rows = []
    for start, end, rate, refused, latency in stages:
        t = start
        while True:
            t += rng.expovariate(rate)
            if t >= end:
                break
            is_refused = rng.random() < refused
            rows.append(
                {
                    "due": str(T0 + t),
                    "sent": str(T0 + t + 0.001),
                    "latency_ms": str(3.0 if is_refused else latency * rng.uniform(0.5, 1.5)),
                    "caller": "gateway",
                    "status": "429" if is_refused else "200",
                    "outcome": "refused" if is_refused else "ok",
                    "messages": "10",
                    "server_ms": "1.0",
                    "queue_ms": "0.1",
                    "problem": "",
                }
            )
    return rows


def _staircase() -> tuple[Any, list[dict]]:
    spec = spec_for("province-peak", rate=10, peak_rate=80, steps=4, duration=40)
    schedule = build_schedule(spec)
    rows = _log(
        [(0, 10, 10, 0, 5), (10, 20, 20, 0, 8), (20, 30, 40, 0.3, 200), (30, 40, 80, 0.6, 300)]
    )
    return schedule, rows


def _summary(schedule: Any, rows: list[dict], samples: list | None = None) -> dict:
    meta = [{"t0": T0, "t_end": T0 + schedule.duration}]
    return analyse(Requests.from_rows(rows, meta), schedule, samples or [], "open")


def test_saturation_is_the_first_stage_that_refuses() -> None:
    schedule, rows = _staircase()
    summary = _summary(schedule, rows)
    sat = summary["saturation"]
    assert sat["reached"] and sat["first_saturated_stage"] == "40.0/s"
    assert sat["last_clean_stage"] == "20.0/s"
    assert sat["clean_msgs_per_s"] == pytest.approx(200, rel=0.25)
    assert sat["beyond"]["refused_share"] == pytest.approx(0.5, abs=0.1)
    assert sat["beyond"]["refused_p99_ms_worst"] == pytest.approx(3.0)
    assert sat["capacity"]["x_city"] == round(sat["clean_msgs_per_s"] * 86400 / 2000)
    rates = [s["sent_rps"] for s in summary["stages"]]
    assert rates == sorted(rates)


def test_latency_percentiles_count_accepted_requests_only() -> None:
    schedule, rows = _staircase()
    summary = _summary(schedule, rows)
    gateway = summary["routes"]["gateway"]
    assert gateway["refused"] > 0
    assert gateway["latency_ms"]["p50"] > 3.0  # the 3 ms refusals are not in it
    assert gateway["refused_latency_ms"]["p99"] == pytest.approx(3.0)
    assert summary["total"]["failure_ratio"] == pytest.approx(gateway["refused_ratio"])
    assert summary["total"]["error_ratio"] == 0


def test_generator_that_fell_behind_is_called_out() -> None:
    schedule = build_schedule(spec_for("constant", rate=100, duration=20))
    rows = _log([(0, 20, 60, 0, 5)])  # 60% of the schedule sent
    busy = {"generator_max_cpu": 99.0, "generator_cpu": 99.0, "load1": 2.0, "service_cpu": 50.0}
    samples = [{**busy, "service_rss_mb": 200.0, "t": T0 + i} for i in range(20)]
    generator = _summary(schedule, rows, samples)["generator"]
    assert not generator["ok"]
    assert generator["sent_ratio"] == pytest.approx(0.6, abs=0.05)
    assert any("lagged" in note for note in generator["notes"])
    assert any("--processes" in note for note in generator["notes"])


def test_a_generator_that_kept_up_is_ok() -> None:
    schedule = build_schedule(spec_for("constant", rate=100, duration=20))
    generator = _summary(schedule, _log([(0, 20, 100, 0, 5)]))["generator"]
    assert generator["ok"], generator["notes"]


def test_slo_verdict_checks_every_objective(tmp_path: Path) -> None:
    schedule, rows = _staircase()
    summary = _summary(schedule, rows)
    path = tmp_path / "slo.yaml"
    path.write_text(
        "error_ratio: 0.001\nrefused_p99_ms: 50\nroutes:\n  gateway: {p99_ms: 1000}\n"
        "  analyst: {p99_ms: 10}\n",
        encoding="utf-8",
    )
    verdict = evaluate(load_slo(path), summary)
    assert verdict["passed"], verdict
    assert verdict["skipped_routes"] == ["analyst"]
    strict = parse_slo({"failure_ratio": 0.01, "routes": {"gateway": {"p99_ms": 1}}}, "strict")
    verdict = evaluate(strict, summary)
    assert not verdict["passed"]
    assert {c["objective"] for c in verdict["checks"] if not c["passed"]} == {
        "failure_ratio",
        "gateway p99_ms",
    }


@pytest.mark.parametrize(("sent", "passed"), [(465, True), (500, True), (400, False)])
def test_sent_ratio_objective_allows_the_poisson_noise_of_the_schedule(
    sent: int, passed: bool
) -> None:
    """A county day schedules 500 requests on average; the arrivals are drawn, so a generator
    that kept up may send 465 (it did, in a real run). 400 is too few to be chance."""
    summary = {
        "total": {"failure_ratio": 0.0, "error_ratio": 0.0, "refused": 0},
        "generator": {"scheduled_requests": 500.0, "sent_ratio": sent / 500},
        "drift": {"ratio": None},
        "system": {"service_rss_growth_mb": 0.0},
        "routes": {},
    }
    verdict = evaluate(parse_slo({"min_sent_ratio": 0.95}, "county"), summary)
    assert verdict["passed"] is passed, verdict["checks"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"p99": 5}, "'p99' is not an objective"),
        ({"routes": {"sms": {"p99_ms": 5}}}, "unknown route 'sms'"),
        ({"routes": {"gateway": {"p100_ms": 5}}}, "routes.gateway.p100_ms is not an objective"),
        ({"failure_ratio": "low"}, "expected a non-negative number"),
        ([1, 2], "expected a mapping"),
    ],
)
def test_bad_slo_files_say_what_is_wrong(data: Any, message: str) -> None:
    with pytest.raises(SloError, match=message):
        parse_slo(data, "my.yaml")


def test_shipped_slo_files_parse() -> None:
    slo_dir = Path(__file__).resolve().parents[1] / "loadtest" / "slo"
    from loadtest.shapes import SHAPES

    assert {p.stem for p in slo_dir.glob("*.yaml")} == set(SHAPES)
    for path in slo_dir.glob("*.yaml"):
        load_slo(path)
    assert load_slo(slo_dir / "city-day.yaml").routes["analyst"]["p99_ms"] == 50
    assert load_slo(slo_dir / "constant.yaml").routes["analyst"]["p99_ms"] == 25


def test_capacity_is_stated_against_county_and_city() -> None:
    c = capacity(100.0)
    assert c["msgs_per_day"] == 8_640_000
    assert (c["x_county"], c["x_city"]) == (17_280, 4_320)
