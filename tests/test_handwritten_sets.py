"""Sanity checks for the hand-written sets: the evaluation set (data/eval/handwritten.jsonl) and
the held-out set written later (data/holdout/handwritten_holdout.jsonl), for reporting only
and never for training or model selection, and the development set
(data/dev/handwritten_dev.jsonl), for choosing training recipes. No two of them share a
message. All are checked by the same rules."""

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
HOLDOUT_FILE = ROOT / "data" / "holdout" / "handwritten_holdout.jsonl"
LONG_CHARS = 150


@dataclass(frozen=True)
class HandwrittenSet:
    path: Path
    min_long_share: float  # of scam messages at least LONG_CHARS long
    min_per_label: int = 30


SETS = {
    "eval": HandwrittenSet(EVAL_FILE, min_long_share=0.2),
    "dev": HandwrittenSet(DEV_FILE, min_long_share=0.25),
    "holdout": HandwrittenSet(HOLDOUT_FILE, min_long_share=0.25, min_per_label=22),
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
    spec, rows = handwritten
    counts = Counter(r["label"] for r in rows)
    short = {slug: counts[slug] for slug in SLUGS if counts[slug] < spec.min_per_label}
    assert not short, f"labels with fewer than {spec.min_per_label} messages: {short}"


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


@pytest.mark.parametrize(
    ("first", "second"), [("dev", "eval"), ("dev", "holdout"), ("eval", "holdout")]
)
def test_sets_share_no_message(first: str, second: str) -> None:
    keys = {_key(r["text"]) for r in _read_rows(SETS[second].path)}
    shared = [r["text"] for r in _read_rows(SETS[first].path) if _key(r["text"]) in keys]
    assert not shared, f"{len(shared)} {first} texts also appear in {second}: {shared[:3]}"
