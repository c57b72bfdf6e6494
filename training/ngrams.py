"""The n-gram half of the default model: character 1-3-gram TF-IDF with a linear model, the
TF-IDF baseline's features, fitted the same way (a convex problem solved to convergence) and
carried inside the ONNX graph, so the served model starts from what the baseline knows.

Measured on the hand-written sets, two details decide whether such a model generalises, and
both follow TfidfVectorizer: n-grams unseen in training must be ignored, not counted into the
normalisation (a message full of new wording otherwise shrinks every known n-gram's weight
towards nothing: -8 points macro-F1), and the n-grams must not share weights through hash
collisions (-3 points). So the graph holds an exact vocabulary: a table of n-gram keys with two
candidate slots per key, checked for equality; a key found in neither slot is unknown.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy import sparse
from torch import nn

from fanzha.tokenizer import Encoded

log = logging.getLogger(__name__)

ORDERS = (1, 2, 3)
KEY_BASE = 1 << 15  # token ids must stay below this for keys to be exact (see `gram_keys`)
# two candidate slots per key: (key mod p) * g mod p for two primes p (a bijection of the
# residues that spreads neighbouring keys), then mod the table size
PRIME_A, MULT_A = 2_147_483_629, 48_271
PRIME_B, MULT_B = 2_147_483_587, 69_621
EMPTY = -1


def gram_keys(ids: np.ndarray, order: int) -> np.ndarray:
    """Exact int64 keys of the `order`-grams of one id sequence: the order, then each id, as
    digits base KEY_BASE (at most 4 * 2**45, far inside int64), so distinct n-grams never share
    a key."""
    width = len(ids) - order + 1
    keys = np.full(max(width, 0), order, dtype=np.int64)
    for j in range(order):
        keys = keys * KEY_BASE + ids[j : j + width]
    return keys


def slots(keys: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """The two candidate slots of each key (the graph computes the same in `NgramLinear`)."""
    first = (keys % PRIME_A) * MULT_A % PRIME_A % buckets
    second = (keys % PRIME_B) * MULT_B % PRIME_B % buckets
    return first, second


@dataclass(frozen=True)
class GramTable:
    """Which slot holds which n-gram, and its inverse document frequency."""

    keys: np.ndarray  # int64 per slot, EMPTY where unused
    idf: np.ndarray  # float32 per slot, 0 where unused
    grams: int  # n-grams with enough document frequency
    dropped: int  # of those, how many found both slots taken (the rarest ones)


GramCounts = tuple[np.ndarray, np.ndarray]  # one message's distinct n-gram keys, their counts


def count_grams(encoded: Sequence[Encoded], orders: Sequence[int] = ORDERS) -> list[GramCounts]:
    """Each message's n-grams, counted once for both the table and the features. Other
    `orders` than the graph's are for measuring (scripts/sweep_ngrams.py), not for export."""
    out = []
    for e in encoded:
        ids = np.asarray(e.ids, dtype=np.int64)
        keys = np.concatenate([gram_keys(ids, n) for n in orders])
        out.append(np.unique(keys, return_counts=True))
    return out


def build_table(counted: Sequence[GramCounts], buckets: int, min_df: int = 2) -> GramTable:
    """Fill the table with the training n-grams seen in at least `min_df` messages, the most
    frequent first, so when both slots of an n-gram are taken it is one of the rarest that is
    left out (a rare n-gram says little; `dropped` is logged and carded)."""
    keys, df = np.unique(np.concatenate([k for k, _ in counted]), return_counts=True)
    keep = df >= min_df
    keys, df = keys[keep], df[keep]
    order = np.argsort(-df, kind="stable")
    keys, df = keys[order], df[order]
    table = np.full(buckets, EMPTY, dtype=np.int64)
    idf = np.zeros(buckets, dtype=np.float32)
    weights = np.log((1 + len(counted)) / (1 + df)) + 1  # TfidfVectorizer's smoothed idf
    first, second = slots(keys, buckets)
    dropped = 0
    for key, a, b, w in zip(keys, first, second, weights, strict=True):
        slot = a if table[a] == EMPTY else b if table[b] == EMPTY else -1
        if slot < 0:
            dropped += 1
            continue
        table[slot] = key
        idf[slot] = w
    if dropped:
        log.info("n-gram table: %d of %d n-grams left out (both slots taken)", dropped, len(keys))
    return GramTable(table, idf, len(keys), dropped)


def features(counted: Sequence[GramCounts], table: GramTable) -> sparse.csr_matrix:
    """Sublinear-tf TF-IDF, L2-normalised over known n-grams: what `NgramLinear` computes in
    the graph, as a sparse matrix (one column per slot) for the convex fit."""
    buckets = len(table.keys)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for row, (keys, counts) in enumerate(counted):
        a, b = slots(keys, buckets)
        slot = np.where(table.keys[a] == keys, a, np.where(table.keys[b] == keys, b, -1))
        found = slot >= 0
        slot, counts = slot[found], counts[found]
        x = (1 + np.log(counts)) * table.idf[slot]
        norm = np.sqrt((x * x).sum())
        if norm > 0:
            rows.append(np.full(len(slot), row))
            cols.append(slot)
            vals.append(x / norm)
    if not rows:
        return sparse.csr_matrix((len(counted), buckets), dtype=np.float32)
    return sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(counted), buckets),
        dtype=np.float32,
    )


class NgramLinear(nn.Module):
    """The linear model over the table's n-grams, computed from token ids inside the graph."""

    keys: torch.Tensor
    idf: torch.Tensor

    def __init__(self, buckets: int, num_labels: int) -> None:
        super().__init__()
        self.buckets = buckets
        self.weight = nn.Embedding(buckets, num_labels)
        nn.init.zeros_(self.weight.weight)
        self.bias = nn.Parameter(torch.zeros(num_labels))
        self.register_buffer("keys", torch.full((buckets,), EMPTY, dtype=torch.int64))
        self.register_buffer("idf", torch.zeros(buckets))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        # sums of per-order terms, never a zeros(batch, ...) start: ONNX export would freeze the
        # traced batch size into the graph
        totals, squares = [], []
        valid = attention_mask > 0
        for n in ORDERS:
            width = input_ids.shape[1] - n + 1
            keys = torch.full_like(input_ids[:, :width], n)
            ok = valid[:, :width]
            for j in range(n):
                keys = keys * KEY_BASE + input_ids[:, j : j + width]
                ok = ok & valid[:, j : j + width]
            first = _slot(keys, PRIME_A, MULT_A, self.buckets)
            second = _slot(keys, PRIME_B, MULT_B, self.buckets)
            hit_first = self.keys[first] == keys
            found = (hit_first | (self.keys[second] == keys)) & ok
            slot = torch.where(hit_first, first, second)
            # occurrences of each position's n-gram in its message, for sublinear tf
            same = (keys.unsqueeze(2) == keys.unsqueeze(1)) & ok.unsqueeze(1)
            count = same.sum(-1).clamp(min=1).to(torch.float32)
            # each occurrence carries 1/count of the n-gram's (1 + log count) * idf
            share = torch.where(found, self.idf[slot], 0.0) * (1 + torch.log(count)) / count
            totals.append((self.weight(slot) * share.unsqueeze(-1)).sum(1))
            squares.append((share * share * count).sum(1))
        norm = torch.stack(squares).sum(0).sqrt().clamp(min=1e-6)
        return torch.stack(totals).sum(0) / norm.unsqueeze(-1) + self.bias

    @torch.no_grad()
    def load(self, table: GramTable, coef: np.ndarray, intercept: np.ndarray) -> None:
        self.keys.copy_(torch.from_numpy(table.keys))
        self.idf.copy_(torch.from_numpy(table.idf))
        self.weight.weight.copy_(torch.from_numpy(coef.T.astype(np.float32)))
        self.bias.copy_(torch.from_numpy(intercept.astype(np.float32)))


def _slot(keys: torch.Tensor, prime: int, mult: int, buckets: int) -> torch.Tensor:
    return torch.remainder(torch.remainder(torch.remainder(keys, prime) * mult, prime), buckets)


@dataclass(frozen=True)
class NgramFit:
    grams: int
    dropped: int
    seconds: float


def fit_ngrams(
    module: NgramLinear,
    encoded: Sequence[Encoded],
    y: np.ndarray,
    num_labels: int,
    c: float = 10.0,
    min_df: int = 2,
    seed: int = 13,
) -> NgramFit:
    """Logistic regression on the table's TF-IDF features, with the baseline's settings
    (C=10, balanced class weights), loaded into `module`."""
    import time

    from sklearn.linear_model import LogisticRegression

    started = time.perf_counter()
    counted = count_grams(encoded)
    table = build_table(counted, module.buckets, min_df)
    x = features(counted, table)
    lr = LogisticRegression(C=c, max_iter=2000, class_weight="balanced", random_state=seed)
    lr.fit(x, y)
    coef = np.zeros((num_labels, module.buckets), dtype=np.float32)
    intercept = np.full(num_labels, -1e4, dtype=np.float32)  # labels absent from training
    if len(lr.classes_) == 2:  # sklearn keeps one row for two classes: logit of the second
        coef[lr.classes_[1]], intercept[lr.classes_[1]] = lr.coef_[0], lr.intercept_[0]
        coef[lr.classes_[0]], intercept[lr.classes_[0]] = 0.0, 0.0
    else:
        coef[lr.classes_] = lr.coef_
        intercept[lr.classes_] = lr.intercept_
    module.load(table, coef, intercept)
    return NgramFit(table.grams, table.dropped, time.perf_counter() - started)
