"""Turn a results folder into summary.json, plots and an SLO verdict, and print what matters.

Also usable on its own (`fanzha loadtest report --out DIR [--slo FILE]`): a finished run can be
re-checked against another SLO without sending a single request again.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from loadtest.analysis import Requests, analyse
from loadtest.capacity import statement
from loadtest.config import ROUTES, RunConfig
from loadtest.monitor import read_samples
from loadtest.plots import plot_latency_vs_load, plot_timeline
from loadtest.recorder import read_raw
from loadtest.shapes import build_schedule
from loadtest.slo import default_slo_path, evaluate, format_verdict, load_slo


def locust_view(path: Path) -> dict[str, Any]:
    """Locust's own per-route figures (all requests, failures included), for cross-checking."""
    if not path.is_file():
        return {}
    view = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            view[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"]) if row["50%"] != "N/A" else None,
                "p95_ms": float(row["95%"]) if row["95%"] != "N/A" else None,
                "p99_ms": float(row["99%"]) if row["99%"] != "N/A" else None,
                "rps": float(row["Requests/s"]),
            }
    return view


def summarise(out: Path) -> tuple[dict[str, Any], list[dict[str, float]]]:
    config = RunConfig.read(out / "run.json")
    schedule = build_schedule(config.spec)
    rows, metas = read_raw(out / "raw")
    if not rows:
        raise RuntimeError(f"{out / 'raw'} holds no requests: the load generator sent nothing")
    requests = Requests.from_rows(rows, metas)
    samples = read_samples(out / "system.csv")
    samples = [s for s in samples if requests.t0 <= s["t"] <= requests.t0 + requests.t_end + 1]
    extra = config.extra
    summary: dict[str, Any] = {
        "run": {
            "shape": config.spec.name,
            "spec": config.spec.to_dict(),
            "caller": config.spec.caller,
            "loop": config.spec.loop,
            "duration_s": schedule.duration,
            "users": config.users,
            "processes": extra.get("processes"),
            "service_workers": extra.get("service_workers") or "external",
            "url": extra.get("url"),
            "model_version": extra.get("model_version"),
            "model_dir": extra.get("model_dir"),
            "service_command": extra.get("service_command"),
            "corpus_profile": extra.get("corpus_profile"),
            "machine": extra.get("machine"),
            "t0": requests.t0,
        },
        **analyse(requests, schedule, samples, config.spec.loop),
        "locust": locust_view(out / "locust_stats.csv"),
    }
    return summary, samples


def _slo_path(out: Path, slo: Path | None, summary: dict[str, Any]) -> Path | None:
    if slo:
        return slo
    config = RunConfig.read(out / "run.json")
    if config.extra.get("slo"):
        return Path(config.extra["slo"])
    default = default_slo_path(summary["run"]["shape"])
    return default if default.is_file() else None


def format_summary(summary: dict[str, Any]) -> str:
    run, system, gen = summary["run"], summary["system"], summary["generator"]
    lines = [
        f"{run['shape']}: {run['caller']} callers, {run['loop']} loop, {run['duration_s']:.0f} s, "
        f"{run['service_workers']} service worker(s), {run['processes']} Locust process(es), "
        f"model {run['model_version']}",
        f"machine: {run['machine']['cpu']}, {run['machine']['cores']} cores; load average "
        f"mean {system['load1_mean']} max {system['load1_max']} during the run",
        f"{'route':<9} {'requests':>9} {'req/s':>8} {'msgs/s':>8} {'p50':>7} {'p95':>7} "
        f"{'p99':>7} {'refused':>8} {'failed':>7}  (ms, accepted requests)",
    ]
    for name, stats in [*summary["routes"].items(), ("all", summary["total"])]:
        lat = stats["latency_ms"]
        lines.append(
            f"{name:<9} {stats['requests']:>9} {stats['rps']:>8.1f} {stats['ok_msgs_per_s']:>8.0f} "
            f"{_ms(lat['p50'])} {_ms(lat['p95'])} {_ms(lat['p99'])} "
            f"{stats['refused_ratio']:>8.2%} {stats['error_ratio']:>7.2%}"
        )
    statuses = ", ".join(f"{k}: {v}" for k, v in summary["total"]["statuses"].items())
    lines.append(f"HTTP statuses: {statuses} (0: no answer, -1: shed by the generator)")
    sat = summary["saturation"]
    if sat:
        lines.append(
            f"saturation: last clean stage {sat['last_clean_stage']} "
            f"({sat['clean_msgs_per_s']:.0f} msgs/s, p99 {sat['clean_p99_ms']} ms); "
            f"peak goodput {sat['peak_goodput_msgs_per_s']:.0f} msgs/s; "
            f"first saturated stage {sat['first_saturated_stage']}"
        )
        if sat.get("beyond"):
            b = sat["beyond"]
            lines.append(
                f"beyond saturation: refused {b['refused_share']:.1%} (p99 of refusals "
                f"{b['refused_p99_ms_worst']} ms), failed {b['error_share']:.2%}, accepted p99 "
                f"at worst {b['accepted_p99_ms_worst']} ms"
            )
        if sat["clean_msgs_per_s"]:
            lines.append(statement(sat["clean_msgs_per_s"], "capacity (last clean stage)"))
        else:
            lines.append("capacity: no stage was served cleanly; start lower (--rate)")
    lines.append(
        f"generator: sent {gen['sent_requests']} of {gen['scheduled_requests']:.0f} scheduled "
        f"({gen['sent_ratio'] or 0:.1%}), send lag p99 {gen['lag_ms']['p99']} ms, busiest Locust "
        f"process p90 {gen['locust_cpu_busiest_p90']}% CPU: "
        + ("kept up" if gen["ok"] else "; ".join(gen["notes"]))
    )
    if system["service_rss_mb_start"] is not None:
        lines.append(
            f"service: CPU {system['service_cpu_mean']}% of one core on average, RSS "
            f"{system['service_rss_mb_start']:.0f} -> {system['service_rss_mb_end']:.0f} MB"
        )
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return f"{value:>7.1f}" if value is not None else f"{'n/a':>7}"


def build_report(out: Path, slo: Path | None = None) -> int:
    """Write summary.json, the plots and slo.json; 0 if the SLO holds (or there is none)."""
    summary, samples = summarise(out)
    plot_timeline(summary, samples, out / "timeline.png")
    plot_latency_vs_load(summary, out / "latency_vs_load.png")
    slo_path = _slo_path(out, slo, summary)
    verdict = evaluate(load_slo(slo_path), summary) if slo_path else None
    summary["slo"] = verdict
    summary["route_names"] = ROUTES
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    if verdict:
        (out / "slo.json").write_text(json.dumps(verdict, ensure_ascii=False, indent=2) + "\n")
    print(format_summary(summary))
    print(format_verdict(verdict) if verdict else "no SLO file: nothing to check")
    print(f"results: {out}")
    return 0 if verdict is None or verdict["passed"] else 1
