"""The run's pictures: load and latency over time, and latency against offered load."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; never a display

import matplotlib.pyplot as plt


def _title(summary: Mapping[str, Any]) -> str:
    run = summary["run"]
    load = summary["system"]["load1_mean"]
    return (
        f"{run['shape']} · {run['caller']} · {run['loop']} loop · {run['service_workers']} "
        f"worker(s) · load avg {load if load is not None else 'n/a'}"
    )


def plot_timeline(
    summary: Mapping[str, Any], samples: Sequence[Mapping[str, float]], path: Path
) -> Path:
    rows = summary["timeline"]
    t = [r["t"] for r in rows]
    fig, axes = plt.subplots(4, 1, figsize=(11, 11), sharex=True)
    ax = axes[0]
    ax.plot(t, [r["scheduled_rps"] for r in rows], "k--", lw=1, label="scheduled")
    ax.plot(t, [r["sent_rps"] for r in rows], label="sent")
    ax.plot(t, [r["ok_rps"] for r in rows], label="accepted")
    ax.plot(t, [r["refused_rps"] for r in rows], label="refused (429/503)")
    ax.plot(t, [r["error_rps"] for r in rows], label="failed")
    ax.set_ylabel("requests/s")
    ax.legend(loc="upper left", fontsize=8)
    axes[1].plot(t, [r["ok_msgs_per_s"] for r in rows], color="tab:green")
    axes[1].set_ylabel("messages/s scored")
    ax = axes[2]
    for key in ("p50", "p95", "p99"):
        ax.plot(t, [r[f"{key}_ms"] for r in rows], label=key)
    ax.set_yscale("log")
    ax.set_ylabel("latency of accepted (ms)")
    ax.legend(loc="upper left", fontsize=8)
    ax = axes[3]
    if samples:
        t0 = summary["run"]["t0"]
        ts = [s["t"] - t0 for s in samples]
        ax.plot(ts, [s["service_cpu"] for s in samples], label="service CPU %")
        ax.plot(ts, [s["generator_cpu"] for s in samples], label="Locust CPU % (all)")
        ax2 = ax.twinx()
        ax2.plot(ts, [s["load1"] for s in samples], "k:", label="load average")
        ax2.set_ylabel("load average")
        ax2.legend(loc="upper right", fontsize=8)
    ax.set_ylabel("CPU % of one core")
    ax.set_xlabel("seconds since start")
    ax.legend(loc="upper left", fontsize=8)
    fig.suptitle(_title(summary), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_latency_vs_load(summary: Mapping[str, Any], path: Path) -> Path:
    """One point per stage: its offered load against what was scored (top) and the latency of
    the accepted requests with the share refused (bottom). Saturation is where the top curve
    leaves the diagonal."""
    rows = sorted(
        (r for r in summary["stages"] if r["requests"]), key=lambda r: r["offered_msgs_per_s"]
    )
    x = [r["offered_msgs_per_s"] for r in rows]
    fig, (top, ax) = plt.subplots(2, 1, figsize=(9, 8), sharex=True)
    top.plot(x, x, "k:", lw=1, label="offered (all scored)")
    top.plot(x, [r["ok_msgs_per_s"] for r in rows], "o-", color="tab:green", label="scored")
    top.set_ylabel("messages/s")
    top.legend(loc="center right", fontsize=8)
    for key in ("p50", "p95", "p99"):
        ax.plot(x, [r["latency_ms"][key] for r in rows], "o-", label=f"{key} accepted")
    ax.set_xlabel("offered load (messages/s sent, per stage)")
    ax.set_ylabel("latency (ms)")
    ax.set_yscale("log")
    if x and min(x) > 0 and max(x) / min(x) > 10:
        ax.set_xscale("log")
    ax2 = ax.twinx()
    ax2.plot(x, [100 * r["refused_ratio"] for r in rows], "s--", color="tab:red", label="refused %")
    ax2.set_ylabel("refused (%)")
    ax2.set_ylim(0, 100)
    saturation = summary.get("saturation")
    if saturation and saturation.get("clean_msgs_per_s"):
        for axis in (top, ax):
            axis.axvline(saturation["clean_msgs_per_s"], color="grey", ls=":", lw=1)
        top.text(saturation["clean_msgs_per_s"], top.get_ylim()[1], " last clean stage",
                 va="top", fontsize=8, color="grey")  # fmt: skip
    lines, labels = ax.get_legend_handles_labels()
    more, more_labels = ax2.get_legend_handles_labels()
    ax.legend(lines + more, labels + more_labels, loc="upper left", fontsize=8)
    top.set_title(_title(summary), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
