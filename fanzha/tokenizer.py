"""Tokenisation shared by training, serving and scoring.

A model directory carries a `tokenizer.json` (Hugging Face `tokenizers` format) and its
encoding settings, so the runtime tokenises exactly as training did without transformers.
The from-scratch model uses a character vocabulary covering all of GB2312 plus ASCII, so
hanzi that never appeared in training still get their own id instead of `[UNK]`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tokenizers import Regex, Tokenizer, models, pre_tokenizers

from fanzha.normalize import normalize_text

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
TRUNCATION_STRATEGIES = ("head", "tail", "head_tail")

# What WhitespaceSplit drops: Rust's `char::is_whitespace`, the Unicode White_Space property.
# Not `str.isspace`, which also takes U+001C-U+001F; the tokenizer keeps those as tokens.
_WHITE_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Lone surrogates fit in a Python str but not in the tokenizer's Rust one (it raises TypeError).
_SURROGATE = re.compile("[\ud800-\udfff]")
# `build_char_tokenizer`'s settings, as `Tokenizer.to_str()` spells them.
_CHAR_TOKENIZER = {
    "truncation": None,
    "padding": None,
    "normalizer": None,
    "pre_tokenizer": {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "WhitespaceSplit"},
            {"type": "Split", "pattern": {"Regex": "."}, "behavior": "Isolated", "invert": False},
        ],
    },
    "post_processor": None,
}
_TOKENIZER_KEYS = {*_CHAR_TOKENIZER, "version", "added_tokens", "decoder", "model"}


def gb2312_chars() -> list[str]:
    """Every character GB2312 encodes (6,763 hanzi and 682 symbols), in code order."""
    chars = []
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.append(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def build_char_vocab(texts: Iterable[str] = (), min_count: int = 2) -> list[str]:
    """Specials, then ASCII and GB2312, then characters seen at least `min_count` times.

    Each GB2312 character is taken both as it is and in its normalised form (full-width ￥
    becomes ¥): the tokenizer only sees normalised text, which mostly holds the normalised
    forms, but keeps some raw ones inside phrases (乾坤, 哪吒).
    """
    base = [chr(c) for c in range(0x21, 0x7F)] + gb2312_chars()
    counts = Counter(ch for text in texts for ch in normalize_text(text) if not ch.isspace())
    by_count = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    seen = [ch for ch, n in by_count if n >= min_count]
    vocab: list[str] = list(SPECIAL_TOKENS)
    known = set(vocab)
    for ch in [c for raw in base for c in raw + normalize_text(raw)] + seen:
        if ch in known or ch.isspace() or unicodedata.category(ch).startswith("C"):
            continue
        known.add(ch)
        vocab.append(ch)
    return vocab


def build_char_tokenizer(vocab: Sequence[str]) -> Tokenizer:
    """A character-level tokenizer: every non-space character is one token."""
    tokenizer = Tokenizer(models.WordLevel({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex("."), "isolated")]
    )
    return tokenizer


def _char_lookup(tokenizer: Tokenizer) -> tuple[dict[str, int], int] | None:
    """The vocabulary and [UNK] id if `tokenizer` is exactly `build_char_tokenizer`'s shape, so
    a dict lookup per character gives its ids without a call into Rust; None for anything else.

    Added tokens are matched before pre-tokenisation, so only single characters that keep
    their vocabulary id are harmless ("[MASK]" in the text would otherwise become one token).
    """
    spec = json.loads(tokenizer.to_str())
    model = spec.get("model") or {}
    if (
        set(spec) - _TOKENIZER_KEYS
        or any(spec.get(key) != value for key, value in _CHAR_TOKENIZER.items())
        or set(model) != {"type", "vocab", "unk_token"}
        or model["type"] != "WordLevel"
    ):
        return None
    vocab: dict[str, int] = model["vocab"]
    unk = vocab.get(model["unk_token"])
    harmless = all(
        len(t["content"]) == 1
        and t["content"] not in _WHITE_SPACE
        and vocab.get(t["content"]) == t["id"]
        for t in spec.get("added_tokens") or ()
    )
    return (vocab, unk) if unk is not None and harmless else None


@dataclass(frozen=True)
class EncodingConfig:
    """How text becomes model input; written next to the ONNX graph and read back from it."""

    max_length: int = 160
    truncation: str = "head_tail"
    head_share: float = 0.5
    cls_id: int = 2
    sep_id: int = 3
    pad_id: int = 0

    def __post_init__(self) -> None:
        if self.truncation not in TRUNCATION_STRATEGIES:
            raise ValueError(
                f"truncation must be one of {', '.join(TRUNCATION_STRATEGIES)}, "
                f"not {self.truncation!r}"
            )
        if self.max_length < 3:
            raise ValueError(f"max_length must be at least 3, not {self.max_length}")
        if not 0.0 <= self.head_share <= 1.0:
            raise ValueError(f"head_share must be within [0, 1], not {self.head_share}")

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Encoded:
    """Token ids of one message, with [CLS]/[SEP], and whether content was cut to fit."""

    ids: list[int]
    truncated: bool


def truncate_ids(ids: list[int], budget: int, strategy: str, head_share: float) -> list[int]:
    """Keep `budget` content tokens. `head_tail` keeps both the opening (who is speaking and
    the hook) and the ending (where scripts put the link, account or call to action)."""
    if len(ids) <= budget:
        return ids
    if strategy == "head":
        return ids[:budget]
    if strategy == "tail":
        return ids[len(ids) - budget :]
    head = round(budget * head_share)
    tail = budget - head
    return ids[:head] + (ids[len(ids) - tail :] if tail else [])


class TextEncoder:
    """Normalise, tokenise and truncate: the one path text takes into every model."""

    def __init__(self, tokenizer: Tokenizer, config: EncodingConfig) -> None:
        self.tokenizer = tokenizer
        self.config = config
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self._lookup = _char_lookup(tokenizer)

    @classmethod
    def from_file(cls, path: str | Path, config: EncodingConfig) -> TextEncoder:
        return cls(Tokenizer.from_file(str(path)), config)

    @property
    def fast(self) -> bool:
        """Whether encoding skips the Rust tokenizer (a character vocabulary)."""
        return self._lookup is not None

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size(with_added_tokens=True)

    def encode(self, texts: Sequence[str]) -> list[Encoded]:
        return self.encode_normalized([normalize_text(t) for t in texts])

    def encode_normalized(self, normalized: Sequence[str]) -> list[Encoded]:
        """For callers that already hold `normalize(text).text` (serving needs the alignment
        for indicator spans anyway), so no message is normalised twice."""
        cfg = self.config
        budget = cfg.max_length - 2
        out = []
        for ids in self._token_ids(normalized):
            kept = truncate_ids(ids, budget, cfg.truncation, cfg.head_share)
            out.append(Encoded([cfg.cls_id, *kept, cfg.sep_id], len(kept) < len(ids)))
        return out

    def _token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """A dict lookup per character costs a few µs a message where `encode_batch_fast` costs
        ~50 and may wake a Rayon pool that competes with ONNX Runtime for the cores."""
        texts = list(texts)
        if self._lookup is None or any(map(_SURROGATE.search, texts)):
            encodings = self.tokenizer.encode_batch_fast(texts, add_special_tokens=False)
            return [enc.ids for enc in encodings]
        get, unk = self._lookup[0].get, self._lookup[1]
        return [[get(ch, unk) for ch in text if ch not in _WHITE_SPACE] for text in texts]


def pad_batch(batch: Sequence[Encoded], pad_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad to the longest member: returns (input_ids, attention_mask), both int64."""
    width = max(len(e.ids) for e in batch)
    input_ids = np.full((len(batch), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    for row, enc in enumerate(batch):
        input_ids[row, : len(enc.ids)] = enc.ids
        mask[row, : len(enc.ids)] = 1
    return input_ids, mask


def length_sorted_batches(encoded: Sequence[Encoded], batch_size: int) -> Iterator[list[int]]:
    """Indices of `encoded` in batches of similar length (little padding); callers put results
    back by index, so input order is kept."""
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].ids))
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]
