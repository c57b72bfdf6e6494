"""The scripts the README's model figures come from must reproduce what the card records."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / "models/default"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, capture_output=True, text=True, check=False
    )


def _card() -> dict:
    return json.loads((DEFAULT / "card.json").read_text(encoding="utf-8"))


def test_compare_runs_reads_each_runs_choices_and_figures_from_its_card() -> None:
    result = _run("scripts/compare_runs.py", "--json", str(DEFAULT))
    assert result.returncode == 0, result.stderr[-2000:]
    (row,) = json.loads(result.stdout)
    card = _card()
    weight = card["ensemble"]["encoder_weight"]
    assert row["encoder_weight"] == weight
    assert (
        row["dev_macro_f1"]
        == card["ensemble"]["validation_macro_f1_by_encoder_weight"][str(weight)]
    )
    assert row["best_epoch"] == card["training"]["best_epoch"]
    held_out = card["evaluation"]["handwritten_holdout"]
    figures = row["sets"]["handwritten_holdout"]
    assert figures["model"] == held_out["model"]["macro_f1"]
    assert figures["difference"] == held_out["model"]["macro_f1"] - held_out["baseline"]["macro_f1"]
    assert figures["interval"] == [
        held_out["versus_baseline"]["low"],
        held_out["versus_baseline"]["high"],
    ]
    assert "test" not in row["sets"]  # generated data is not a comparison


def test_compare_runs_refuses_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    result = _run("scripts/compare_runs.py", str(DEFAULT), str(tmp_path))
    assert result.returncode == 2
    assert "no card.json" in result.stderr and str(tmp_path) in result.stderr


def test_model_halves_reproduces_the_cards_validation_scores() -> None:
    """On validation, the n-gram half is the card's w = 0 entry and the mix its chosen w."""
    result = _run(
        "scripts/model_halves.py",
        "--model",
        str(DEFAULT),
        "--data",
        "data/dev/handwritten_dev.jsonl",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = dict(re.findall(r"(n-gram half|encoder half|mix) ([0-9.]+)", result.stdout))
    by_weight = _card()["ensemble"]["validation_macro_f1_by_encoder_weight"]
    weight = _card()["ensemble"]["encoder_weight"]
    # pytorch/ holds float16 weights: allow a message or two to flip
    assert abs(float(found["n-gram half"]) - by_weight["0.0"]) < 0.005
    assert abs(float(found["mix"]) - by_weight[str(weight)]) < 0.005
    assert float(found["encoder half"]) < float(found["mix"])


def test_truncation_baseline_cuts_texts_as_the_models_own_encoder_does(
    tiny_model_dir: Path, tiny_data: Path
) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    from measure_truncation_baseline import model_view

    from fanzha.modeldir import load_model_dir
    from fanzha.tokenizer import TextEncoder

    model_dir = load_model_dir(tiny_model_dir)
    view = model_view(TextEncoder.from_file(model_dir.tokenizer_path, model_dir.config.encoding))
    script = "冒充客服" * 40 + "点击退款链接"  # 166 characters, the tiny model keeps 62
    (long, short), cut = view([script, "你 好"])
    assert cut.tolist() == [True, False]
    assert short == "你好"  # normalised, whitespace dropped, as the model reads it
    assert len(long) == 62 and long.startswith("冒充客服") and long.endswith("点击退款链接")

    result = _run(
        "scripts/measure_truncation_baseline.py",
        "--model",
        str(tiny_model_dir),
        "--data",
        str(tiny_data),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "budget 64 tokens (head_tail)" in result.stdout
    assert re.search(r"^tiny\s+\d+\s+\d+\s+[01]\.\d{4} / [01]\.\d{4}", result.stdout, re.M)
