"""Sanity checks for the hand-written development set (data/dev/handwritten_dev.jsonl).

The dev set is for choosing training recipes; it must be independent of the evaluation set,
so no message may also appear in data/eval/handwritten.jsonl.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from fanzha.taxonomy import SCAM_SLUGS, SLUGS

ROOT = Path(__file__).resolve().parents[1]
DEV_FILE = ROOT / "data" / "dev" / "handwritten_dev.jsonl"
EVAL_FILE = ROOT / "data" / "eval" / "handwritten.jsonl"
MIN_PER_LABEL = 30
LONG_CHARS = 150


def _read_rows(path: Path) -> list[dict[str, str]]:
    out = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            assert line.strip(), f"{path.name}: blank line {lineno}"
            row = json.loads(line)
            assert isinstance(row, dict), f"{path.name}: line {lineno} is not an object"
            assert set(row) == {"text", "label"}, f"line {lineno} has keys {sorted(row)}"
            assert isinstance(row["text"], str), f"line {lineno}: text is not a string"
            assert isinstance(row["label"], str), f"line {lineno}: label is not a string"
            out.append(row)
    return out


def _key(text: str) -> str:
    """Compare texts after NFKC and with all whitespace removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return _read_rows(DEV_FILE)


def test_file_is_utf8_without_ascii_escapes() -> None:
    raw = DEV_FILE.read_text(encoding="utf-8")
    assert "\\u" not in raw, "write with ensure_ascii=False so the file stays readable"


def test_labels_are_slugs(rows: list[dict[str, str]]) -> None:
    bad = {r["label"] for r in rows} - set(SLUGS)
    assert not bad, f"labels that are not slugs: {bad}"


def test_every_label_is_well_covered(rows: list[dict[str, str]]) -> None:
    counts = Counter(r["label"] for r in rows)
    short = {slug: counts.get(slug, 0) for slug in SLUGS if counts.get(slug, 0) < MIN_PER_LABEL}
    assert not short, f"labels with fewer than {MIN_PER_LABEL} messages: {short}"


def test_texts_are_non_empty_and_unique(rows: list[dict[str, str]]) -> None:
    texts = [r["text"].strip() for r in rows]
    assert all(texts), "empty text"
    dupes = [t for t, n in Counter(_key(t) for t in texts).items() if n > 1]
    assert not dupes, f"duplicate texts: {dupes[:3]}"


def test_no_overlap_with_evaluation_set(rows: list[dict[str, str]]) -> None:
    if not EVAL_FILE.exists():
        pytest.skip("no evaluation set in this checkout")
    eval_keys = {_key(r["text"]) for r in _read_rows(EVAL_FILE)}
    shared = [r["text"] for r in rows if _key(r["text"]) in eval_keys]
    assert not shared, f"{len(shared)} dev texts also appear in the evaluation set: {shared[:3]}"


def test_long_scam_scripts_are_present(rows: list[dict[str, str]]) -> None:
    scams = [r for r in rows if r["label"] in SCAM_SLUGS]
    long_share = sum(len(r["text"]) >= LONG_CHARS for r in scams) / len(scams)
    assert long_share >= 0.25, f"only {long_share:.0%} of scam messages are long"
    for slug in sorted(SCAM_SLUGS):
        n_long = sum(len(r["text"]) >= LONG_CHARS for r in scams if r["label"] == slug)
        assert n_long >= 5, f"{slug} has only {n_long} long messages"


def test_hard_negatives_are_present(rows: list[dict[str, str]]) -> None:
    normal = [r["text"] for r in rows if r["label"] == "normal"]
    marketing = [r["text"] for r in rows if r["label"] == "marketing"]
    warnings = [t for t in normal if "诈骗" in t or "冒充" in t]
    assert len(warnings) >= 5, "normal needs anti-fraud warnings that mention 诈骗/冒充"
    assert sum("验证码" in t for t in normal) >= 5, "normal needs verification-code messages"
    assert sum("转" in t for t in normal) >= 5, "normal needs chats that innocently mention 转账"
    assert sum("退订" in t or "拒收" in t for t in marketing) >= 20, "marketing needs opt-outs"
