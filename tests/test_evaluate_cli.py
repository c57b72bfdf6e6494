"""`fanzha evaluate` on a model directory: tables, JSON and the adversarial report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fanzha.cli import main
from tests.conftest import tiny_records, write_jsonl
from training.perturb import ADVERSARIAL_KINDS


@pytest.fixture(scope="module")
def held_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("eval") / "held_out.jsonl"
    return write_jsonl(path, tiny_records(per_label=15, seed=99))


def test_evaluate_prints_metrics(
    tiny_model_dir: Path, held_out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", "--model", str(tiny_model_dir), "--data", str(held_out)]) == 0
    out = capsys.readouterr().out
    assert "macro_f1" in out and "scam recall / FPR" in out and "impersonate_authority" in out


def test_evaluate_json_with_adversarial_copies(
    tiny_model_dir: Path, held_out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["evaluate", "--model", str(tiny_model_dir), "--data", str(held_out), "--json",
            "--adversarial"]  # fmt: skip
    assert main(argv) == 0
    results = json.loads(capsys.readouterr().out)
    report = results["sets"]["held_out.jsonl"]
    assert report["n"] == 60 and 0.0 <= report["macro_f1"] <= 1.0
    adversarial = results["adversarial"]["held_out.jsonl"]
    assert set(adversarial["perturbations"]) == set(ADVERSARIAL_KINDS)
    # the normaliser undoes these tricks, so the verdicts cannot move
    for kind in ("fullwidth", "zero_width", "emoji", "traditional"):
        assert adversarial["perturbations"][kind]["changed_share"] > 0.5
        assert adversarial["perturbations"][kind]["same_label_share"] == 1.0


def test_evaluate_reports_labels_the_model_does_not_know(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_jsonl(tmp_path / "other.jsonl", [{"text": "宝贝我想你了", "label": "romance"}])
    assert main(["evaluate", "--model", str(tiny_model_dir), "--data", str(data)]) == 2
    assert "['romance'] that the model does not know" in capsys.readouterr().err


def test_evaluate_a_missing_model_directory_says_what_to_do(
    tmp_path: Path, held_out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", "--model", str(tmp_path / "none"), "--data", str(held_out)]) == 2
    assert "does not exist; pass a directory written by `fanzha train`" in capsys.readouterr().err
