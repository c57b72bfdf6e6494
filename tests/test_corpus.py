"""The built-in corpus: reproducible, balanced, varied, and shaped like real archives."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from fanzha.taxonomy import SCAM_SLUGS, SLUGS
from training.corpus import CorpusExhaustedError, corpus_fingerprint, generate_corpus
from training.corpus import generate as generate_module
from training.corpus.compose import Scheme, Sub
from training.corpus.schemes import SCHEMES
from training.corpus.slots import SLOTS

PER_LABEL = 300
REPO = Path(__file__).resolve().parents[1]
URL = re.compile(
    r"(?:https?://|www\.)[^\s，。！？、“”]+|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,6}/[^\s，。！？]*"
)
PHONE = re.compile(
    r"(?<!\d)(?:1[3-9]\d[- ]?\d{4}[- ]?\d{4}|0\d{2,3}-\d{7,8}|400-\d{3}-\d{4})(?!\d)"
)


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, str]]:
    return generate_corpus(per_label=PER_LABEL, seed=7)


def _texts(corpus: list[dict[str, str]], label: str) -> list[str]:
    return [r["text"] for r in corpus if r["label"] == label]


def _key(text: str) -> str:
    """Compare texts after NFKC and with all whitespace removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _share(texts: list[str], predicate) -> float:  # type: ignore[no-untyped-def]
    return sum(1 for t in texts if predicate(t)) / len(texts)


def test_same_seed_same_records_and_fingerprint(corpus: list[dict[str, str]]) -> None:
    again = generate_corpus(per_label=PER_LABEL, seed=7)
    assert again == corpus
    assert corpus_fingerprint(again) == corpus_fingerprint(corpus)
    assert re.fullmatch(r"[0-9a-f]{64}", corpus_fingerprint(corpus))


def test_different_seed_different_corpus(corpus: list[dict[str, str]]) -> None:
    other = generate_corpus(per_label=PER_LABEL, seed=8)
    assert corpus_fingerprint(other) != corpus_fingerprint(corpus)
    assert len({r["text"] for r in other} & {r["text"] for r in corpus}) < 0.2 * len(corpus)


def test_fingerprint_is_stable_across_processes(corpus: list[dict[str, str]]) -> None:
    code = (
        "from training.corpus import generate_corpus, corpus_fingerprint;"
        f"print(corpus_fingerprint(generate_corpus(per_label={PER_LABEL}, seed=7)))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == corpus_fingerprint(corpus)


def test_every_label_exactly_per_label(corpus: list[dict[str, str]]) -> None:
    assert Counter(r["label"] for r in corpus) == dict.fromkeys(SLUGS, PER_LABEL)
    assert all(set(r) == {"text", "label"} and r["text"].strip() for r in corpus)


def test_no_duplicate_texts_even_across_labels(corpus: list[dict[str, str]]) -> None:
    texts = [r["text"] for r in corpus]
    assert len(set(texts)) == len(texts)


def test_order_is_shuffled(corpus: list[dict[str, str]]) -> None:
    first = [r["label"] for r in corpus[:PER_LABEL]]
    assert len(set(first)) == len(SLUGS)


def test_default_size_can_be_met_without_a_hand_written_message() -> None:
    """The default corpus is what the default model trains on: none of the hand-written sets
    it is validated and evaluated on may appear in it."""
    records = generate_corpus()
    assert len(records) == 3000 * len(SLUGS)
    assert len({r["text"] for r in records}) == len(records)
    keys = {_key(r["text"]) for r in records}
    for path in sorted((REPO / "data").glob("*/handwritten*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        leaked = [r["text"] for r in rows if _key(r["text"]) in keys]
        assert not leaked, f"{path.name}: {len(leaked)} messages also in the corpus: {leaked[:3]}"


def test_too_few_templates_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    tiny = Scheme("normal", (Sub("only", short=("[早上好|晚上好]",)),))
    monkeypatch.setitem(generate_module.SCHEMES, "normal", tiny)
    with pytest.raises(CorpusExhaustedError, match=r"normal.*only 2 distinct"):
        generate_corpus(per_label=5, seed=1)
    with pytest.raises(ValueError, match="per_label"):
        generate_corpus(per_label=0)


def test_long_and_short_scam_messages(corpus: list[dict[str, str]]) -> None:
    scam = [r["text"] for r in corpus if r["label"] in SCAM_SLUGS]
    assert _share(scam, lambda t: len(t) >= 150) >= 0.20
    assert sum(len(t) >= 300 for t in scam) >= 30
    for label in SCAM_SLUGS:
        texts = _texts(corpus, label)
        assert _share(texts, lambda t: len(t) >= 150) >= 0.15, label
        assert _share(texts, lambda t: len(t) <= 70) >= 0.20, label


def test_normal_and_marketing_mostly_short_some_long(corpus: list[dict[str, str]]) -> None:
    for label in ("normal", "marketing"):
        texts = _texts(corpus, label)
        assert _share(texts, lambda t: len(t) <= 70) >= 0.6, label
        assert any(len(t) >= 150 for t in texts), label


def test_chat_transcripts_present(corpus: list[dict[str, str]]) -> None:
    scam = [r["text"] for r in corpus if r["label"] in SCAM_SLUGS]
    transcripts = [t for t in scam if len(re.findall(r"(?:^|\s|”)[^\s：:“”]{1,8}[：:]", t)) >= 4]
    assert len(transcripts) >= 0.05 * len(scam)


def test_masked_placeholders_present(corpus: list[dict[str, str]]) -> None:
    texts = [r["text"] for r in corpus]
    for marker in ("****", "xxx", "【】", "**"):
        assert any(marker in t for t in texts), marker
    assert any(re.search(r"1[3-9]\d\*{4}\d{4}", t) for t in texts)
    assert any(re.search(r"[\u4e00-\u9fff]\*\*", t) for t in texts)  # 张**


def test_normal_holds_hard_negatives(corpus: list[dict[str, str]]) -> None:
    normal = _texts(corpus, "normal")
    assert any("验证码" in t and re.search("请勿泄露|切勿告知|请勿泄漏", t) for t in normal)
    assert any(re.search("尾号\\d{4}", t) and "余额" in t for t in normal)
    assert any("冒充公检法" in t or "公检法" in t for t in normal)
    assert _share(normal, lambda t: "诈骗" in t) >= 0.05
    assert any(URL.search(t) for t in normal)
    assert any("转" in t and "微信" in t and "【" not in t for t in normal)  # personal chat
    assert any(re.search("收款|到账", t) and "【" not in t and len(t) < 30 for t in normal)
    assert any(re.search("贷款.*(审批通过|发放至)", t) for t in normal)  # a loan really granted
    assert any("还你" in t for t in normal)  # repaying a friend


def test_marketing_is_signed_with_opt_out(corpus: list[dict[str, str]]) -> None:
    marketing = _texts(corpus, "marketing")
    assert _share(marketing, lambda t: re.search("【[^】]+】", t) is not None) >= 0.7
    assert _share(marketing, lambda t: "退订" in t) >= 0.4
    assert any(URL.search(t) for t in marketing)


def test_slot_variety(corpus: list[dict[str, str]]) -> None:
    texts = [r["text"] for r in corpus]
    urls = {m.group(0) for t in texts for m in URL.finditer(t)}
    phones = {m.group(0) for t in texts for m in PHONE.finditer(t)}
    assert len(urls) >= 300
    assert len(phones) >= 300
    assert any(u.startswith("http") for u in urls) and any(not u.startswith("http") for u in urls)


def test_scams_do_not_all_carry_the_obvious_cue(corpus: list[dict[str, str]]) -> None:
    cues = {"rebate_task": "刷单", "impersonate_authority": "公安", "investment": "股"}
    for label, cue in cues.items():
        assert _share(_texts(corpus, label), lambda t, cue=cue: cue in t) < 0.6, label


def _template_strings() -> list[str]:
    found: list[str] = []
    for scheme in SCHEMES.values():
        found += scheme.extra
        for sub in scheme.subs:
            found += [*sub.short, *sub.extra]
            found += [alt for section in (*sub.body, *sub.story, *sub.roles) for alt in section]
            found += [alt for _, alts in sub.dialog for alt in alts]
    return found


def test_templates_name_known_slots_and_balance_brackets() -> None:
    assert set(SCHEMES) == set(SLUGS)
    for template in _template_strings():
        for name in re.findall(r"\{(\w+)(?::\w+)?\}", template):
            assert name in SLOTS, f"unknown slot {name!r} in {template!r}"
        depth = 0
        for ch in template:
            depth += {"[": 1, "]": -1}.get(ch, 0)
            assert depth >= 0, template
        assert depth == 0, template


def test_fingerprint_is_sha256_of_canonical_jsonl() -> None:
    records = generate_corpus(per_label=20, seed=3)
    canonical = "".join(
        json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
        for r in records
    )
    assert corpus_fingerprint(records) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
