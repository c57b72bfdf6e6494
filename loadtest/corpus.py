"""The messages a load test sends, and how gateways batch them.

Texts come from the project's own data only: the seeded synthetic corpus generator and the
hand-written evaluation set (used here for its length and style, never for training), plus a
small share of long scripts made by joining several messages of one label, the way a victim's
chat transcript reads. No real personal data ever enters a load test.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HANDWRITTEN = REPO / "data" / "eval" / "handwritten.jsonl"

# Messages per gateway request: a gateway flushes what it collected in a short window, so most
# batches are tens of messages, some are nearly empty and a few are large (weights, ranges).
GATEWAY_BATCHES: tuple[tuple[float, int, int], ...] = (
    (0.05, 1, 1),
    (0.15, 2, 8),
    (0.35, 9, 32),
    (0.30, 33, 64),
    (0.12, 65, 128),
    (0.03, 129, 256),
)


def _read_jsonl(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def read_texts(path: str | Path, column: str = "text") -> list[str]:
    """Texts of a JSONL or CSV file (one column), for operators who bring their own pool."""
    path = Path(path)
    if path.suffix == ".jsonl":
        rows: list[dict[str, str]] = _read_jsonl(path)
    else:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    texts = [str(row[column]) for row in rows if str(row.get(column) or "").strip()]
    if not texts:
        raise ValueError(f"{path}: no non-empty {column!r} values")
    return texts


def build_pool(
    size: int = 2000,
    seed: int = 0,
    long_share: float = 0.04,
    max_chars: int = 2000,
    handwritten_share: float = 0.35,
) -> list[dict[str, str]]:
    """`size` messages with their source and label, shuffled with `seed`: generated messages,
    a share of hand-written ones (their style differs) and a share of long scripts."""
    from training.corpus.generate import generate_corpus

    rng = random.Random(seed)
    handwritten = _read_jsonl(HANDWRITTEN) if HANDWRITTEN.is_file() else []
    n_long = round(size * long_share)
    n_hand = min(len(handwritten), round(size * handwritten_share))
    n_generated = size - n_long - n_hand
    per_label = max(12, -(-n_generated // 13))  # >= 12: a long script joins up to 12 messages
    generated = generate_corpus(per_label=per_label, seed=seed + 101)
    for record in generated:
        record["source"] = "generated"
    for record in handwritten:
        record["source"] = "handwritten"
    pool = [*generated[:n_generated], *rng.sample(handwritten, n_hand)]
    pool += _long_scripts(generated, n_long, rng, max_chars)
    rng.shuffle(pool)
    return [{"text": r["text"], "label": r["label"], "source": r["source"]} for r in pool]


def _long_scripts(
    records: Sequence[dict[str, str]], n: int, rng: random.Random, max_chars: int
) -> list[dict[str, str]]:
    by_label: dict[str, list[str]] = {}
    for record in records:
        by_label.setdefault(record["label"], []).append(record["text"])
    labels = sorted(by_label)
    out = []
    for _ in range(n):
        label = rng.choice(labels)
        parts = rng.sample(by_label[label], k=min(len(by_label[label]), rng.randint(4, 12)))
        text = "\n".join(parts)[:max_chars]
        out.append({"text": text, "label": label, "source": "long_script"})
    return out


def write_pool(path: Path, pool: Sequence[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for record in pool:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def load_pool(path: str | Path) -> list[str]:
    return [r["text"] for r in _read_jsonl(Path(path))]


def length_profile(texts: Sequence[str]) -> dict[str, float]:
    """Length percentiles in characters: what the README quotes as the traffic mix."""
    lengths = sorted(len(t) for t in texts)

    def pct(q: float) -> float:
        return float(lengths[min(len(lengths) - 1, int(q * len(lengths)))])

    return {
        "count": len(lengths),
        "p10": pct(0.10),
        "p50": pct(0.50),
        "p90": pct(0.90),
        "p99": pct(0.99),
        "max": float(lengths[-1]),
    }


@dataclass(frozen=True)
class BatchSizes:
    """Draws the size of a gateway request; `fixed` > 0 makes every batch that size."""

    max_messages: int = 256
    fixed: int = 0

    def draw(self, rng: random.Random) -> int:
        if self.fixed:
            return min(self.fixed, self.max_messages)
        weights = [w for w, _, _ in GATEWAY_BATCHES]
        _, lo, hi = rng.choices(GATEWAY_BATCHES, weights)[0]
        return max(1, min(self.max_messages, rng.randint(lo, hi)))

    def mean(self) -> float:
        if self.fixed:
            return float(min(self.fixed, self.max_messages))
        return sum(w * (min(lo, self.max_messages) + min(hi, self.max_messages)) / 2
                   for w, lo, hi in GATEWAY_BATCHES)  # fmt: skip
