"""Seeded, deduplicated, balanced corpus generation and its fingerprint.

Each label draws from its own RNG seeded by (seed, label), so adding wording to one scheme does
not reshuffle every other label, and the same (per_label, seed) gives byte-identical output in
any process (string seeds go through sha512 in `random`, never through `hash()`).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable

from fanzha.taxonomy import SLUGS
from training.corpus.compose import Scheme, render
from training.corpus.schemes import SCHEMES
from training.corpus.template import Filler

MASK_RATE = 0.12  # share of messages written the way redacted archives look
ATTEMPTS_PER_MESSAGE = 30


class CorpusExhaustedError(RuntimeError):
    """The templates of a label cannot produce the requested number of distinct messages."""


def draw(scheme: Scheme, rng: random.Random, *, skeleton: bool = False) -> str:
    mask = rng.random() < MASK_RATE
    return render(Filler(rng, mask=mask and not skeleton, skeleton=skeleton), scheme)


def _label_texts(slug: str, per_label: int, seed: int, taken: set[str]) -> list[str]:
    scheme = SCHEMES[slug]
    rng = random.Random(f"fanzha-corpus:{seed}:{slug}")
    texts: list[str] = []
    seen: set[str] = set()
    budget = per_label * ATTEMPTS_PER_MESSAGE + 100
    for _ in range(budget):
        if len(texts) == per_label:
            break
        text = draw(scheme, rng)
        if text in seen or text in taken:
            continue
        seen.add(text)
        texts.append(text)
    if len(texts) < per_label:
        raise CorpusExhaustedError(
            f"label {slug!r}: only {len(texts)} distinct messages after {budget} draws, "
            f"{per_label} requested; add wording to training/corpus/schemes or lower per_label"
        )
    return texts


def generate_corpus(per_label: int = 3000, seed: int = 13) -> list[dict[str, str]]:
    """`per_label` distinct messages for every label, shuffled; same arguments, same output."""
    if per_label < 1:
        raise ValueError(f"per_label must be positive, got {per_label}")
    missing = [slug for slug in SLUGS if slug not in SCHEMES]
    if missing:
        raise RuntimeError(f"no corpus scheme for labels: {', '.join(missing)}")
    records: list[dict[str, str]] = []
    taken: set[str] = set()  # a text may belong to one label only
    for slug in SLUGS:
        texts = _label_texts(slug, per_label, seed, taken)
        taken.update(texts)
        records.extend({"text": text, "label": slug} for text in texts)
    random.Random(f"fanzha-corpus-order:{seed}").shuffle(records)
    return records


def _canonical_line(record: dict[str, str]) -> str:
    return json.dumps(
        {"text": record["text"], "label": record["label"]},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )


def corpus_fingerprint(records: Iterable[dict[str, str]]) -> str:
    """sha256 of the canonical JSONL, so a model card can pin the exact corpus it saw."""
    digest = hashlib.sha256()
    for record in records:
        digest.update((_canonical_line(record) + "\n").encode("utf-8"))
    return digest.hexdigest()
