"""From the per-request log to the figures of a run: totals and percentiles per route, one row
per schedule stage (offered load against latency and refusals), a per-second timeline, the
saturation point, and whether the load generator kept up.

Latency percentiles are over accepted requests (200 with a valid body); refusals get their own
percentiles, because "refused quickly" is a property to check, not noise to average in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from loadtest.capacity import capacity
from loadtest.shapes import Schedule

CLEAN_SHARE = 0.01  # a stage is clean with at most 1% refused or failed requests ...
KEPT_UP = 0.95  # ... and at least 95% of its scheduled requests sent
GENERATOR_BUSY_CPU = 90.0  # % of one core: a Locust process this busy sends late


@dataclass
class Requests:
    """The raw log as arrays, times relative to the run's start."""

    due: np.ndarray
    sent: np.ndarray
    latency: np.ndarray
    caller: np.ndarray
    status: np.ndarray
    outcome: np.ndarray
    messages: np.ndarray
    server_ms: np.ndarray
    t0: float
    t_end: float

    @classmethod
    def from_rows(
        cls, rows: Sequence[dict[str, str]], metas: Sequence[dict[str, float]]
    ) -> Requests:
        def col(name: str, kind: type = float) -> np.ndarray:
            if kind is str:
                return np.array([r[name] for r in rows], dtype=object)
            return np.array([float(r[name]) if r[name] != "" else math.nan for r in rows])

        due = col("due")
        t0 = min((m["t0"] for m in metas), default=float(due.min()) if len(due) else 0.0)
        sent = col("sent")
        t_end = max((m["t_end"] for m in metas), default=float(sent.max()) if len(sent) else t0)
        return cls(
            due=due - t0,
            sent=sent - t0,
            latency=col("latency_ms"),
            caller=col("caller", str),
            status=col("status"),
            outcome=col("outcome", str),
            messages=col("messages"),
            server_ms=col("server_ms"),
            t0=t0,
            t_end=t_end - t0,
        )

    def __len__(self) -> int:
        return len(self.due)


def pcts(values: np.ndarray) -> dict[str, float | None]:
    values = values[~np.isnan(values)] if len(values) else values
    if not len(values):
        return {"p50": None, "p95": None, "p99": None, "max": None}
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {
        "p50": round(float(p50), 2),
        "p95": round(float(p95), 2),
        "p99": round(float(p99), 2),
        "max": round(float(values.max()), 2),
    }


def _counts(req: Requests, mask: np.ndarray) -> dict[str, Any]:
    outcome = req.outcome[mask]
    n = int(mask.sum())
    counts = {k: int((outcome == k).sum()) for k in ("ok", "refused", "invalid", "error", "shed")}
    failed = n - counts["ok"]
    errors = counts["invalid"] + counts["error"] + counts["shed"]
    ok = mask & (req.outcome == "ok")
    refused = mask & (req.outcome == "refused")
    statuses = req.status[mask]
    by_status = {str(int(v)): int((statuses == v).sum()) for v in np.unique(statuses)}
    return {
        "requests": n,
        **counts,
        "statuses": by_status,
        "failure_ratio": failed / n if n else 0.0,
        "error_ratio": errors / n if n else 0.0,
        "refused_ratio": counts["refused"] / n if n else 0.0,
        "messages_ok": int(req.messages[ok].sum()),
        "latency_ms": pcts(req.latency[ok]),
        "server_ms": pcts(req.server_ms[ok]),
        "refused_latency_ms": pcts(req.latency[refused]),
    }


def per_route(req: Requests, span: float) -> dict[str, dict[str, Any]]:
    routes: dict[str, dict[str, Any]] = {}
    for caller in sorted(set(req.caller.tolist())):
        stats = _counts(req, req.caller == caller)
        stats["rps"] = round(stats["requests"] / span, 2)
        stats["ok_msgs_per_s"] = round(stats["messages_ok"] / span, 1)
        routes[caller] = stats
    return routes


def stages(req: Requests, schedule: Schedule) -> list[dict[str, Any]]:
    rows = []
    for stage in schedule.stages:
        length = stage.end - stage.start
        mask = (req.due >= stage.start) & (req.due < stage.end)
        stats = _counts(req, mask)
        sent = mask & (req.outcome != "shed")
        stats.update(
            {
                "label": stage.label,
                "plateau": stage.plateau,
                "start": round(stage.start, 2),
                "end": round(stage.end, 2),
                "scheduled_rps": round(stage.requests() / length, 2) if length else 0.0,
                "sent_rps": round(int(mask.sum()) / length, 2) if length else 0.0,
                "offered_msgs_per_s": round(float(req.messages[sent].sum()) / length, 1),
                "ok_msgs_per_s": round(stats["messages_ok"] / length, 1) if length else 0.0,
                "lag_p99_ms": pcts((req.sent[mask] - req.due[mask]) * 1000)["p99"],
            }
        )
        rows.append(stats)
    return rows


def sent_floor(share: float, scheduled: float) -> float:
    """The fewest requests a generator that kept up may send: `share` of the schedule less
    three standard deviations of Poisson noise, since the arrivals are drawn, not counted out
    (500 expected requests vary by about 22; a quiet stage scheduled for 4 may well draw 1)."""
    return share * scheduled - 3 * math.sqrt(scheduled)


def kept_up(sent: float, scheduled: float) -> bool:
    return sent >= sent_floor(KEPT_UP, scheduled)


def is_clean(stage: dict[str, Any]) -> bool:
    length = stage["end"] - stage["start"]
    return stage["failure_ratio"] <= CLEAN_SHARE and kept_up(
        stage["requests"], stage["scheduled_rps"] * length
    )


def saturation(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """Where a rising load stops being served cleanly, and how the service behaves beyond.
    Only plateaus count (the steps of a staircase, the levels of a spike), not the hours of a
    day curve, whose rate changes inside each stage."""
    ordered = sorted((r for r in rows if r["plateau"]), key=lambda r: r["scheduled_rps"])
    if len(ordered) < 2 or ordered[0]["scheduled_rps"] == ordered[-1]["scheduled_rps"]:
        return None
    clean = [r for r in ordered if is_clean(r)]
    first_bad = next((r for r in ordered if not is_clean(r)), None)
    beyond = [r for r in ordered if first_bad and r["scheduled_rps"] >= first_bad["scheduled_rps"]]
    best_clean = max(clean, key=lambda r: r["ok_msgs_per_s"]) if clean else None
    result: dict[str, Any] = {
        "reached": first_bad is not None,
        "last_clean_stage": best_clean["label"] if best_clean else None,
        "clean_msgs_per_s": best_clean["ok_msgs_per_s"] if best_clean else 0.0,
        "clean_p99_ms": best_clean["latency_ms"]["p99"] if best_clean else None,
        "peak_goodput_msgs_per_s": max(r["ok_msgs_per_s"] for r in ordered),
        "first_saturated_stage": first_bad["label"] if first_bad else None,
    }
    if beyond:
        refused = [r["refused_latency_ms"]["p99"] for r in beyond if r["refused"]]
        accepted = [r["latency_ms"]["p99"] for r in beyond if r["ok"]]
        result["beyond"] = {
            "refused_share": round(
                sum(r["refused"] for r in beyond) / max(1, sum(r["requests"] for r in beyond)), 4
            ),
            "error_share": round(
                sum(r["invalid"] + r["error"] + r["shed"] for r in beyond)
                / max(1, sum(r["requests"] for r in beyond)),
                4,
            ),
            "refused_p99_ms_worst": max(refused) if refused else None,
            "accepted_p99_ms_worst": max(accepted) if accepted else None,
        }
    result["capacity"] = capacity(result["clean_msgs_per_s"])
    return result


def timeline(req: Requests, schedule: Schedule, points: int = 240) -> list[dict[str, Any]]:
    span = max(schedule.duration, 1.0)
    width = max(1.0, math.ceil(span / points))
    rows = []
    for k in range(math.ceil(span / width)):
        lo, hi = k * width, (k + 1) * width
        mask = (req.due >= lo) & (req.due < hi)
        ok = mask & (req.outcome == "ok")
        refused = mask & (req.outcome == "refused")
        rows.append(
            {
                "t": lo,
                "scheduled_rps": schedule.expected_requests(lo, hi) / width,
                "sent_rps": int(mask.sum()) / width,
                "ok_rps": int(ok.sum()) / width,
                "refused_rps": int(refused.sum()) / width,
                "error_rps": int((mask & ~ok & ~refused).sum()) / width,
                "ok_msgs_per_s": float(req.messages[ok].sum()) / width,
                **{f"{k}_ms": v for k, v in pcts(req.latency[ok]).items() if k != "max"},
            }
        )
    return rows


def drift(req: Requests, span: float) -> dict[str, Any]:
    """p99 of accepted requests in the first and the last third: a soak should not degrade."""
    ok = req.outcome == "ok"
    first = pcts(req.latency[ok & (req.due < span / 3)])["p99"]
    last = pcts(req.latency[ok & (req.due >= 2 * span / 3)])["p99"]
    ratio = round(last / first, 2) if first and last else None
    return {"p99_first_third_ms": first, "p99_last_third_ms": last, "ratio": ratio}


def generator_health(
    req: Requests, schedule: Schedule, samples: Sequence[dict[str, float]], loop: str
) -> dict[str, Any]:
    """Did the load generator deliver the schedule? Scheduled vs sent, send lag, Locust CPU."""
    span = min(schedule.duration, req.t_end) if req.t_end > 0 else schedule.duration
    scheduled = schedule.expected_requests(0, span)
    sent = int((req.outcome != "shed").sum())
    lag = (req.sent - req.due) * 1000
    busiest = [s["generator_max_cpu"] for s in samples]
    busy_share = sum(c >= GENERATOR_BUSY_CPU for c in busiest) / len(busiest) if busiest else 0.0
    result: dict[str, Any] = {
        "scheduled_requests": round(scheduled, 1),
        "sent_requests": sent,
        "sent_ratio": round(sent / scheduled, 4) if scheduled else None,
        "shed": int((req.outcome == "shed").sum()),
        "lag_ms": pcts(lag),
        "locust_cpu_busiest_p90": round(float(np.percentile(busiest, 90)), 1) if busiest else None,
        "locust_cpu_total_mean": _mean([s["generator_cpu"] for s in samples]),
        "busy_share": round(busy_share, 3),
    }
    notes = []
    if scheduled and not kept_up(sent, scheduled):
        why = "the service slowed the closed loop" if loop == "closed" else "the generator lagged"
        notes.append(f"sent {result['sent_ratio']:.0%} of the schedule ({why})")
    if busy_share > 0.1:
        notes.append(
            f"a Locust process was >= {GENERATOR_BUSY_CPU:.0f}% CPU in {busy_share:.0%}"
            " of samples: add --processes"
        )
    if loop == "open" and (result["lag_ms"]["p99"] or 0) > 50:
        notes.append(f"send lag p99 {result['lag_ms']['p99']:.0f} ms: the generator ran late")
    if result["shed"]:
        notes.append(f"{result['shed']} requests shed by the generator (in-flight cap)")
    result["ok"] = not notes
    result["notes"] = notes
    return result


def system(samples: Sequence[dict[str, float]]) -> dict[str, Any]:
    load = [s["load1"] for s in samples]
    rss = [s["service_rss_mb"] for s in samples if s["service_rss_mb"] > 0]
    return {
        "load1_mean": _mean(load),
        "load1_max": max(load) if load else None,
        "service_cpu_mean": _mean([s["service_cpu"] for s in samples]),
        "service_rss_mb_start": rss[0] if rss else None,
        "service_rss_mb_end": rss[-1] if rss else None,
        "service_rss_growth_mb": round(rss[-1] - min(rss[: max(1, len(rss) // 10)]), 1)
        if rss
        else None,
    }


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def analyse(
    req: Requests, schedule: Schedule, samples: Sequence[dict[str, float]], loop: str
) -> dict[str, Any]:
    span = max(schedule.duration, 1e-9)
    total = _counts(req, np.ones(len(req), dtype=bool))
    total["rps"] = round(total["requests"] / span, 2)
    total["ok_msgs_per_s"] = round(total["messages_ok"] / span, 1)
    stage_rows = stages(req, schedule)
    return {
        "total": total,
        "routes": per_route(req, span),
        "stages": stage_rows,
        "saturation": saturation(stage_rows),
        "drift": drift(req, span),
        "generator": generator_health(req, schedule, samples, loop),
        "system": system(samples),
        "timeline": timeline(req, schedule),
    }
