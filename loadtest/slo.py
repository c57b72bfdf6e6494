"""Service-level objectives for a run, read from YAML, checked against its summary.

    failure_ratio: 0.001      # refused + invalid + errors, over all requests
    error_ratio: 0.001        # the same without refusals (overload may be refused, not failed)
    refused_p99_ms: 100       # refusals come back fast, not after a long wait
    min_sent_ratio: 0.95      # the schedule was really offered (the generator kept up)
    p99_drift_ratio: 2.0      # p99 of the last third over the first (soak)
    service_rss_growth_mb: 200
    routes:                   # by caller (analyst, gateway) or Locust name
      analyst: {p95_ms: 25, p99_ms: 50}
      gateway: {p99_ms: 400, failure_ratio: 0.01}

Every key is optional; an unknown key is an error, so a typo cannot silently drop an objective.
A route the run did not exercise is reported as skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from loadtest.analysis import sent_floor
from loadtest.config import ROUTES

DEFAULT_DIR = Path(__file__).resolve().parent / "slo"
TOP_KEYS = {
    "failure_ratio",
    "error_ratio",
    "refused_p99_ms",
    "min_sent_ratio",
    "p99_drift_ratio",
    "service_rss_growth_mb",
}
ROUTE_KEYS = {"p50_ms", "p95_ms", "p99_ms", "failure_ratio", "error_ratio"}
CALLER_BY_NAME = {name: caller for caller, name in ROUTES.items()}


class SloError(ValueError):
    """An SLO file that cannot be used; the message names the file and the key."""


@dataclass
class Slo:
    source: str
    limits: dict[str, float] = field(default_factory=dict)
    routes: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, **self.limits, "routes": self.routes}


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise SloError(f"{where}: expected a non-negative number, got {value!r}")
    return float(value)


def parse_slo(data: Any, source: str) -> Slo:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise SloError(f"{source}: expected a mapping of objectives")
    slo = Slo(source)
    for key, value in data.items():
        if key == "routes":
            if not isinstance(value, Mapping):
                raise SloError(f"{source}: routes must map a route to its objectives")
            for route, limits in value.items():
                caller = CALLER_BY_NAME.get(route, route)
                if caller not in ROUTES:
                    raise SloError(
                        f"{source}: unknown route {route!r}; use one of "
                        f"{', '.join(ROUTES)} (or their Locust names)"
                    )
                if not isinstance(limits, Mapping):
                    raise SloError(f"{source}: routes.{route} must be a mapping")
                for name, limit in limits.items():
                    if name not in ROUTE_KEYS:
                        raise SloError(
                            f"{source}: routes.{route}.{name} is not an objective; use "
                            f"{', '.join(sorted(ROUTE_KEYS))}"
                        )
                    where = f"{source}: routes.{route}.{name}"
                    slo.routes.setdefault(caller, {})[name] = _number(limit, where)
        elif key in TOP_KEYS:
            slo.limits[key] = _number(value, f"{source}: {key}")
        else:
            raise SloError(
                f"{source}: {key!r} is not an objective; use routes or "
                f"{', '.join(sorted(TOP_KEYS))}"
            )
    return slo


def load_slo(path: str | Path) -> Slo:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SloError(f"cannot read SLO file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SloError(f"{path} is not valid YAML: {exc}") from None
    return parse_slo(data, str(path))


def default_slo_path(shape: str) -> Path:
    return DEFAULT_DIR / f"{shape}.yaml"


def _check(name: str, measured: float | None, limit: float, at_least: bool = False) -> dict:
    passed = measured is not None and (measured >= limit if at_least else measured <= limit)
    op = ">=" if at_least else "<="
    return {"objective": name, "limit": f"{op} {limit:g}", "measured": measured, "passed": passed}


def _sent_check(limit: float, generator: Mapping[str, Any]) -> dict[str, Any]:
    """The share of the schedule sent, against `limit` less the Poisson noise of the number
    of arrivals (the generator's own kept-up test): otherwise a generator that kept up fails
    the objective by chance, one county day in eight at 0.95."""
    scheduled = generator["scheduled_requests"] or 0.0
    floor = round(max(0.0, sent_floor(limit, scheduled) / scheduled), 4) if scheduled else limit
    check = _check("min_sent_ratio", generator["sent_ratio"], floor, at_least=True)
    check["limit"] += f" ({limit:g} of {scheduled:g} scheduled, less 3 sd of Poisson noise)"
    return check


def evaluate(slo: Slo, summary: Mapping[str, Any]) -> dict[str, Any]:
    """Every objective with its measured value; `passed` only if all of them pass."""
    checks = []
    total, gen, system = summary["total"], summary["generator"], summary["system"]
    simple = {
        "failure_ratio": total["failure_ratio"],
        "error_ratio": total["error_ratio"],
        "refused_p99_ms": total["refused_latency_ms"]["p99"] if total["refused"] else 0.0,
        "p99_drift_ratio": summary["drift"]["ratio"],
        "service_rss_growth_mb": system["service_rss_growth_mb"],
    }
    for key, limit in slo.limits.items():
        if key == "min_sent_ratio":
            checks.append(_sent_check(limit, gen))
        else:
            checks.append(_check(key, simple[key], limit))
    skipped = []
    for caller, limits in slo.routes.items():
        stats = summary["routes"].get(caller)
        if not stats or not stats["requests"]:
            skipped.append(caller)
            continue
        for key, limit in limits.items():
            if key.endswith("_ms"):
                measured = stats["latency_ms"][key.removesuffix("_ms")]
            else:
                measured = stats[key]
            checks.append(_check(f"{caller} {key}", measured, limit))
    return {
        "source": slo.source,
        "passed": all(c["passed"] for c in checks),
        "checks": checks,
        "skipped_routes": skipped,
    }


def format_verdict(verdict: Mapping[str, Any]) -> str:
    lines = [f"SLO ({verdict['source']}): {'PASSED' if verdict['passed'] else 'MISSED'}"]
    for check in verdict["checks"]:
        measured = check["measured"]
        shown = "n/a" if measured is None else f"{measured:.4g}"
        mark = "ok  " if check["passed"] else "MISS"
        lines.append(f"  {mark} {check['objective']:<28} {shown:>10}  (limit {check['limit']})")
    for route in verdict["skipped_routes"]:
        lines.append(f"  skip {route}: no requests on this route in this run")
    return "\n".join(lines)
