"""The load-test harness end to end on the tiny model: it starts the service, drives Locust with
several processes, validates every answer, writes every output, and the SLO gate decides the
exit status. Short runs; nothing here asserts how fast anything was."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from loadtest.cli import main
from loadtest.service import ServiceProcess

IMPOSSIBLE = "routes:\n  analyst: {p99_ms: 0.001}\n"  # no request is answered in a microsecond
CORRECT_ONLY = "error_ratio: 0\n"  # behaviour, not speed: no invalid answer, no 5xx, no drop

OUTPUTS = (
    "run.json",
    "corpus.jsonl",
    "locust_stats.csv",
    "locust_stats_history.csv",
    "locust_failures.csv",
    "locust_report.html",
    "system.csv",
    "service.log",
    "summary.json",
    "slo.json",
    "timeline.png",
    "latency_vs_load.png",
)


@pytest.fixture(scope="module")
def slo_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("slo")
    files = {"impossible": folder / "impossible.yaml", "correct": folder / "correct.yaml"}
    files["impossible"].write_text(IMPOSSIBLE, encoding="utf-8")
    files["correct"].write_text(CORRECT_ONLY, encoding="utf-8")
    return files


@pytest.fixture(scope="module")
def open_loop_run(
    tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory, slo_files: dict[str, Path]
) -> tuple[int, Path]:
    """Mixed callers, open loop, a Locust master with two worker processes."""
    out = tmp_path_factory.mktemp("loadtest") / "open"
    code = main(
        [
            "--shape", "constant", "--quick", "--rate", "30", "--caller", "mixed",
            "--gateway-share", "0.3", "--model", str(tiny_model_dir), "--out", str(out),
            "--processes", "2", "--pool-size", "300", "--slo", str(slo_files["correct"]),
        ]
    )  # fmt: skip
    return code, out


def _raw_rows(out: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in (out / "raw").glob("requests-*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            rows.extend(csv.DictReader(fh))
    return rows


def test_a_run_writes_every_output_and_passes_a_correctness_slo(
    open_loop_run: tuple[int, Path],
) -> None:
    code, out = open_loop_run
    assert code == 0, (out / "slo.json").read_text() if (out / "slo.json").exists() else code
    missing = [name for name in OUTPUTS if not (out / name).is_file()]
    assert not missing
    assert len(list((out / "raw").glob("requests-*.csv"))) == 2  # one log per Locust worker
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["run"]["loop"] == "open" and summary["run"]["processes"] == 2
    assert set(summary["routes"]) == {"analyst", "gateway"}
    assert summary["total"]["ok"] > 0 and summary["total"]["error_ratio"] == 0
    assert summary["slo"]["passed"] is True
    assert summary["system"]["load1_mean"] is not None  # every figure carries the load average
    generator = summary["generator"]
    assert generator["sent_requests"] == summary["total"]["requests"]
    # the arrivals follow the schedule: within Poisson noise of it, neither short nor over
    scheduled, noise = generator["scheduled_requests"], 4 * generator["scheduled_requests"] ** 0.5
    assert scheduled - noise <= generator["sent_requests"] <= scheduled + noise
    assert len(summary["timeline"]) >= 5
    assert summary["run"]["machine"]["cores"] >= 1


def test_every_answer_was_validated_and_counted_like_locust(
    open_loop_run: tuple[int, Path],
) -> None:
    _, out = open_loop_run
    rows = _raw_rows(out)
    assert rows and all(r["outcome"] == "ok" and r["status"] == "200" for r in rows)
    gateway = [int(r["messages"]) for r in rows if r["caller"] == "gateway"]
    assert gateway and max(gateway) > 1  # batches, not single messages
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for caller, name in summary["route_names"].items():
        ours = sum(r["caller"] == caller for r in rows)
        assert summary["locust"][name]["requests"] == ours
        assert summary["locust"][name]["failures"] == 0
    html = (out / "locust_report.html").read_text(encoding="utf-8")
    assert "/v1/classify (gateway)" in html


def test_report_rechecks_a_finished_run_against_another_slo(
    open_loop_run: tuple[int, Path], slo_files: dict[str, Path]
) -> None:
    _, out = open_loop_run
    assert main(["report", "--out", str(out), "--slo", str(slo_files["impossible"])]) == 1
    verdict = json.loads((out / "slo.json").read_text(encoding="utf-8"))
    assert verdict["passed"] is False
    assert [c["objective"] for c in verdict["checks"] if not c["passed"]] == ["analyst p99_ms"]
    assert main(["report", "--out", str(out), "--slo", str(slo_files["correct"])]) == 0


def test_slo_gate_fails_a_closed_loop_run_against_a_running_service(
    tiny_model_dir: Path, tmp_path: Path, slo_files: dict[str, Path]
) -> None:
    """--url: the harness drives a service it did not start (one Locust process, no master)."""
    service = ServiceProcess(tiny_model_dir, 1, ["--log-level", "warning"], tmp_path / "svc.log")
    try:
        service.wait_ready()
        code = main(
            [
                "--shape", "city-day", "--quick", "--url", service.url, "--out",
                str(tmp_path / "city"), "--processes", "0", "--pool-size", "200",
                "--slo", str(slo_files["impossible"]),
            ]
        )  # fmt: skip
    finally:
        service.stop()
    assert code == 1
    summary = json.loads((tmp_path / "city" / "summary.json").read_text(encoding="utf-8"))
    assert summary["run"]["loop"] == "closed" and summary["run"]["caller"] == "analyst"
    assert summary["run"]["service_workers"] == "external"
    assert summary["total"]["ok"] > 0
    assert summary["slo"]["passed"] is False


def test_bad_invocations_fail_before_any_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("p99: 5\n", encoding="utf-8")
    assert main(["--shape", "constant", "--url", "http://127.0.0.1:9", "--slo", str(bad)]) == 2
    assert "'p99' is not an objective" in capsys.readouterr().err
    assert main(["--list-shapes"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in ("county-day", "city-day", "province-peak", "soak"))
    assert main(["report", "--out", str(tmp_path / "nothing")]) == 2
