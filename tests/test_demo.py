"""`make demo` is the newcomer's first command: it must run to the end on the shipped model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_demo_classifies_evaluates_and_scores_the_eval_set(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "scripts/demo.py", "--model", "models/default", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "adversarial" in result.stdout and "scored archive" in result.stdout
    rows = (out / "handwritten.scored.jsonl").read_text(encoding="utf-8").splitlines()
    source = (REPO / "data/eval/handwritten.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(rows) == len(source)
    first = json.loads(rows[0])
    assert first["text"] == json.loads(source[0])["text"]
    assert {"label", "pred_label", "pred_risk", "pred_indicators"} <= set(first)
