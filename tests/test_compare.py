"""`fanzha compare` on two tiny models: the well-trained one and a one-epoch one, on the tiny
data set. The comparison must show the weaker model as weaker, list the messages whose verdict
changed, write its reports, and never touch either model directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fanzha.cli import main as fanzha
from fanzha.modeldir import checksums
from tests.conftest import tiny_records, write_jsonl
from training.compare import compare


@pytest.fixture(scope="module")
def weak_model_dir(tmp_path_factory: pytest.TempPathFactory, tiny_data: Path) -> Path:
    """One epoch of a micro encoder without the n-gram half (which alone is near perfect on
    this data): clearly worse than the tiny model, in a few seconds."""
    from training.pipeline import TrainOptions, run_training

    out = tmp_path_factory.mktemp("models") / "weak"
    options = TrainOptions(
        data=[str(tiny_data)], out=str(out), size="micro", max_length=64, epochs=1,
        batch_size=16, learning_rate=1e-3, patience=1, augment=False, threads=2,
        ngram_buckets=0,
    )  # fmt: skip
    return run_training(options)


@pytest.fixture(scope="module")
def held_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "held_out.jsonl"
    return write_jsonl(path, tiny_records(per_label=30, seed=123))  # type: ignore[arg-type]


def test_compare_shows_the_better_model_and_the_changed_verdicts(
    tiny_model_dir: Path, weak_model_dir: Path, held_out: Path
) -> None:
    result = compare(str(weak_model_dir), str(tiny_model_dir), [str(held_out)])
    summary = {row["metric"]: row for row in result["summary"]}
    assert summary["macro_f1"]["new"] > summary["macro_f1"]["old"]
    assert summary["macro_f1"]["delta"] == pytest.approx(
        summary["macro_f1"]["new"] - summary["macro_f1"]["old"]
    )
    assert {"scam_recall [label]", "false_positive_rate [block]"} <= set(summary)
    versus = result["macro_f1_new_minus_old"]
    assert versus["difference"] == pytest.approx(summary["macro_f1"]["delta"])
    assert versus["low"] > 0  # clearly better, not noise
    labels = [row["label"] for row in result["per_label"]]
    assert labels == ["normal", "marketing", "rebate_task", "impersonate_authority"]
    assert sum(row["delta_f1"] for row in result["per_label"]) > 0

    changed = result["changed"]
    assert changed and result["changes"].get("fixed", 0) > result["changes"].get("broken", 0)
    for row in changed:
        assert (row["old"]["label"], row["old"]["suggestion"]) != (
            row["new"]["label"],
            row["new"]["suggestion"],
        )
        assert row["source"].startswith("held_out.jsonl:")
    order = [row["change"] for row in changed]
    assert order == sorted(order, key=["broken", "fixed", "changed"].index)
    assert sum(map(sum, result["suggestion_transitions"])) == result["data"]["n"] == 120


def test_the_command_prints_writes_reports_and_gates(
    tiny_model_dir: Path,
    weak_model_dir: Path,
    held_out: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = checksums(tiny_model_dir), checksums(weak_model_dir)
    out = tmp_path / "cmp"
    args = ["compare", "--old", str(weak_model_dir), "--new", str(tiny_model_dir),
            "--data", str(held_out), "--out", str(out), "--fail-if-worse"]  # fmt: skip
    assert fanzha(args) == 0
    printed = capsys.readouterr().out
    assert "macro_f1" in printed and "verdict changed for" in printed
    assert "the new model is ahead" in printed
    assert "/admin/reload" in printed  # promotion goes through the service
    report = (out / "report.html").read_text(encoding="utf-8")
    assert report.count("data:image/png;base64,") >= 5
    assert "macro-F1, new − old:" in report and "the new model is ahead" in report
    data = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert data["new"]["dir"] == str(tiny_model_dir)
    lines = (out / "changed.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(data["changed"])

    swapped = ["compare", "--old", str(tiny_model_dir), "--new", str(weak_model_dir),
               "--data", str(held_out), "--out", str(out), "--fail-if-worse"]  # fmt: skip
    assert fanzha(swapped) == 1
    assert "the new model is worse: macro_f1 fell" in capsys.readouterr().out
    assert (checksums(tiny_model_dir), checksums(weak_model_dir)) == before


def test_data_the_models_cannot_label_is_a_clear_error(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_jsonl(tmp_path / "other.jsonl", [{"text": "网络赌博", "label": "gambling_porn"}])
    args = ["compare", "--old", str(tiny_model_dir), "--new", str(tiny_model_dir),
            "--data", str(data), "--out", str(tmp_path / "o")]  # fmt: skip
    assert fanzha(args) == 2
    assert "does not know" in capsys.readouterr().err
