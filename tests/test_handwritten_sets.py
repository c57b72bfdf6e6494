"""Sanity checks for the hand-written sets: the evaluation set (data/eval/handwritten.jsonl),
for reporting only and never for training or model selection, and the development set
(data/dev/handwritten_dev.jsonl), for choosing training recipes, which must therefore share no
message with the evaluation set. Both are checked by the same rules."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from fanzha.taxonomy import SCAM_SLUGS, SLUGS

ROOT = Path(__file__).resolve().parents[1]
EVAL_FILE = ROOT / "data" / "eval" / "handwritten.jsonl"
DEV_FILE = ROOT / "data" / "dev" / "handwritten_dev.jsonl"
MIN_PER_LABEL = 30
LONG_CHARS = 150


@dataclass(frozen=True)
class HandwrittenSet:
    path: Path
    min_long_share: float  # of scam messages at least LONG_CHARS long


SETS = {
    "eval": HandwrittenSet(EVAL_FILE, min_long_share=0.2),
    "dev": HandwrittenSet(DEV_FILE, min_long_share=0.25),
}


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


Loaded = tuple[HandwrittenSet, list[dict[str, str]]]


@pytest.fixture(scope="module", params=sorted(SETS))
def handwritten(request: pytest.FixtureRequest) -> Loaded:
    spec = SETS[request.param]
    return spec, _read_rows(spec.path)


def test_file_is_utf8_without_ascii_escapes(handwritten: Loaded) -> None:
    raw = handwritten[0].path.read_text(encoding="utf-8")
    assert "\\u" not in raw, "write with ensure_ascii=False so the file stays readable"


def test_labels_are_slugs(handwritten: Loaded) -> None:
    bad = {r["label"] for r in handwritten[1]} - set(SLUGS)
    assert not bad, f"labels that are not slugs: {bad}"


def test_every_label_is_well_covered(handwritten: Loaded) -> None:
    counts = Counter(r["label"] for r in handwritten[1])
    short = {slug: counts.get(slug, 0) for slug in SLUGS if counts.get(slug, 0) < MIN_PER_LABEL}
    assert not short, f"labels with fewer than {MIN_PER_LABEL} messages: {short}"


def test_texts_are_non_empty_and_unique(handwritten: Loaded) -> None:
    texts = [r["text"].strip() for r in handwritten[1]]
    assert all(texts), "empty text"
    dupes = [t for t, n in Counter(_key(t) for t in texts).items() if n > 1]
    assert not dupes, f"duplicate texts: {dupes[:3]}"


def test_long_scam_scripts_are_present(handwritten: Loaded) -> None:
    spec, rows = handwritten
    scams = [r for r in rows if r["label"] in SCAM_SLUGS]
    long_share = sum(len(r["text"]) >= LONG_CHARS for r in scams) / len(scams)
    assert long_share >= spec.min_long_share, f"only {long_share:.0%} of scam messages are long"
    for slug in sorted(SCAM_SLUGS):
        n_long = sum(len(r["text"]) >= LONG_CHARS for r in scams if r["label"] == slug)
        assert n_long >= 5, f"{slug} has only {n_long} long messages"


def test_hard_negatives_are_present(handwritten: Loaded) -> None:
    normal = [r["text"] for r in handwritten[1] if r["label"] == "normal"]
    marketing = [r["text"] for r in handwritten[1] if r["label"] == "marketing"]
    warnings = [t for t in normal if "诈骗" in t or "冒充" in t]
    assert len(warnings) >= 5, "normal needs anti-fraud warnings that mention 诈骗/冒充"
    assert sum("验证码" in t for t in normal) >= 5, "normal needs verification-code messages"
    assert sum("转" in t for t in normal) >= 5, "normal needs chats that innocently mention 转账"
    assert sum("退订" in t or "拒收" in t for t in marketing) >= 20, "marketing needs opt-outs"


def test_dev_set_shares_no_message_with_the_evaluation_set() -> None:
    eval_keys = {_key(r["text"]) for r in _read_rows(EVAL_FILE)}
    shared = [r["text"] for r in _read_rows(DEV_FILE) if _key(r["text"]) in eval_keys]
    assert not shared, f"{len(shared)} dev texts also appear in the evaluation set: {shared[:3]}"
