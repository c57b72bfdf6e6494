from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

from fanzha.normalize import normalize_text
from fanzha.tokenizer import (
    Encoded,
    EncodingConfig,
    TextEncoder,
    build_char_tokenizer,
    build_char_vocab,
    gb2312_chars,
    length_sorted_batches,
    pad_batch,
    truncate_ids,
)


@pytest.fixture(scope="module")
def vocab() -> list[str]:
    return build_char_vocab(["測試一下喆喆"])


def test_vocab_covers_gb2312_and_ascii(vocab: list[str]) -> None:
    ids = set(vocab)
    hanzi = [c for c in gb2312_chars() if "\u4e00" <= c <= "\u9fff"]
    assert len(hanzi) == 6763
    assert all(c in ids for c in hanzi)
    assert all(c in ids for c in "abcxyz0123456789@/:.-_%¥")
    assert vocab[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert "喆" in ids  # outside GB2312, added because training text used it twice


def test_rare_hanzi_unseen_in_training_keep_their_own_id(vocab: list[str]) -> None:
    encoder = TextEncoder(build_char_tokenizer(vocab), EncodingConfig(max_length=32))
    (enc,) = encoder.encode(["鼋鼍蹀躞"])  # GB2312 level-2 hanzi never seen in training
    assert 1 not in enc.ids  # no [UNK]
    assert len(set(enc.ids[1:-1])) == 4


def test_encode_adds_cls_sep_and_drops_spaces(vocab: list[str]) -> None:
    encoder = TextEncoder(build_char_tokenizer(vocab), EncodingConfig(max_length=32))
    (enc,) = encoder.encode(["加 微信 ab"])
    tokens = [vocab[i] for i in enc.ids]
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert " " not in tokens
    assert not enc.truncated


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("head", [0, 1, 2, 3, 4, 5]),
        ("tail", [4, 5, 6, 7, 8, 9]),
        ("head_tail", [0, 1, 2, 7, 8, 9]),
    ],
)
def test_truncation_strategies(strategy: str, expected: list[int]) -> None:
    assert truncate_ids(list(range(10)), 6, strategy, 0.5) == expected
    assert truncate_ids(list(range(4)), 6, strategy, 0.5) == [0, 1, 2, 3]


def test_long_text_is_truncated_and_flagged(vocab: list[str]) -> None:
    encoder = TextEncoder(build_char_tokenizer(vocab), EncodingConfig(max_length=10))
    short, long = encoder.encode(["你好", "一二三四五六七八九十甲乙丙丁"])
    assert not short.truncated
    assert long.truncated and len(long.ids) == 10


def test_bad_encoding_config_is_refused() -> None:
    with pytest.raises(ValueError, match="truncation must be one of"):
        EncodingConfig(truncation="middle")
    with pytest.raises(ValueError, match="max_length"):
        EncodingConfig(max_length=2)


def test_pad_batch_and_length_sorted_batches() -> None:
    batch = [Encoded([2, 5, 3], False), Encoded([2, 5, 6, 7, 3], False), Encoded([2, 3], False)]
    ids, mask = pad_batch(batch)
    assert ids.shape == (3, 5) and mask.sum() == 10
    assert ids[0].tolist() == [2, 5, 3, 0, 0]
    groups = list(length_sorted_batches(batch, 2))
    assert groups == [[2, 0], [1]]


# Unicode White_Space, written out here rather than imported so a wrong set in the module fails.
WHITE_SPACE = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
WHITE_SPACE += "\u2028\u2029\u202f\u205f\u3000"
PYTHON_ONLY_SPACE = "\x1c\x1d\x1e\x1f"  # str.isspace() but not White_Space: kept as tokens
HANDWRITTEN = Path(__file__).resolve().parents[1] / "data" / "eval" / "handwritten.jsonl"


def hf_encoded(encoder: TextEncoder, texts: Sequence[str]) -> list[Encoded]:
    """What the Hugging Face tokenizer itself gives, through the same truncation."""
    cfg = encoder.config
    out = []
    for enc in encoder.tokenizer.encode_batch(list(texts), add_special_tokens=False):
        kept = truncate_ids(enc.ids, cfg.max_length - 2, cfg.truncation, cfg.head_share)
        out.append(Encoded([cfg.cls_id, *kept, cfg.sep_id], len(kept) < len(enc.ids)))
    return out


def assert_parity(encoder: TextEncoder, texts: Sequence[str]) -> None:
    assert encoder.fast
    got, want = encoder.encode_normalized(texts), hf_encoded(encoder, texts)
    for text, mine, theirs in zip(texts, got, want, strict=True):
        assert mine == theirs, repr(text)


@pytest.fixture(scope="module")
def long_encoder(vocab: list[str]) -> TextEncoder:
    return TextEncoder(build_char_tokenizer(vocab), EncodingConfig(max_length=4096))


def test_fast_path_matches_the_tokenizer_on_generated_messages(long_encoder: TextEncoder) -> None:
    from training.corpus.generate import generate_corpus

    raw = [r["text"] for r in generate_corpus(per_label=50, seed=0)]
    assert_parity(long_encoder, raw + [normalize_text(t) for t in raw])


def test_fast_path_matches_the_tokenizer_on_handwritten_messages(long_encoder: TextEncoder) -> None:
    with HANDWRITTEN.open(encoding="utf-8") as fh:
        raw = [json.loads(line)["text"] for line in fh if line.strip()]
    assert len(raw) > 100
    assert_parity(long_encoder, raw + [normalize_text(t) for t in raw])


def test_fast_path_matches_the_tokenizer_on_every_character(long_encoder: TextEncoder) -> None:
    """Each code point doubled and split by a letter: a character dropped as space, or one the
    tokenizer's "." would not isolate, gives different ids. All White_Space is in the BMP."""
    bmp = [c for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    codes = bmp + list(range(0x10000, 0x110000, 257)) + [0x10FFFF]
    assert_parity(long_encoder, [chr(c) * 2 + "a" + chr(c) for c in codes])


ADVERSARIAL = [
    "",
    WHITE_SPACE,
    "加" + "加".join(WHITE_SPACE) + "微",
    PYTHON_ONLY_SPACE,
    "加\x1c微\x1d信\x1e号\x1f",
    "\u200b\u200c\u200d\u2060\ufeff\u180e",  # format characters, not White_Space
    "\x00\x07\x7f\ufffd\uffff\U0010ffff",
    "😀👍🏽👨‍👩‍👧 加V信😀",
    "e\u0301 a\u0300\u0300 汉\u0308",  # combining marks stay separate tokens
    "[MASK] [UNK][CLS]",
    "喆鼋鼍蹀躞龘𠀀𪚥",
    "联系客服 " * 300,
]


@pytest.mark.parametrize("truncation", ["head", "tail", "head_tail"])
@pytest.mark.parametrize("max_length", [16, 4096])
def test_fast_path_matches_the_tokenizer_on_adversarial_text(
    vocab: list[str], truncation: str, max_length: int
) -> None:
    config = EncodingConfig(max_length=max_length, truncation=truncation)
    encoder = TextEncoder(build_char_tokenizer(vocab), config)
    assert_parity(encoder, ADVERSARIAL)
    assert encoder.encode_normalized([ADVERSARIAL[-1]])[0].truncated == (max_length == 16)


def test_white_space_is_dropped_but_python_only_space_is_unknown(long_encoder: TextEncoder) -> None:
    spaces, python_only = long_encoder.encode_normalized([WHITE_SPACE, PYTHON_ONLY_SPACE])
    assert spaces.ids == [2, 3]
    assert python_only.ids == [2, 1, 1, 1, 1, 3]


def test_lone_surrogates_fail_as_the_tokenizer_does(long_encoder: TextEncoder) -> None:
    with pytest.raises(TypeError):
        long_encoder.tokenizer.encode_batch_fast(["a\ud800"])
    with pytest.raises(TypeError):
        long_encoder.encode_normalized(["ok", "a\ud800"])


def test_single_character_added_tokens_keep_the_fast_path(vocab: list[str]) -> None:
    tokenizer = build_char_tokenizer(vocab)
    tokenizer.add_tokens(["a"])
    tokenizer.add_special_tokens(["@"])
    assert_parity(TextEncoder(tokenizer, EncodingConfig()), ["b a@c", "@@ aa"])


def _wordpiece(vocab: list[str]) -> Tokenizer:
    tokenizer = Tokenizer(models.WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer()
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.BertProcessing(("[SEP]", 3), ("[CLS]", 2))
    return tokenizer


def _with(
    change: Callable[[Tokenizer], object], extra: Sequence[str] = ()
) -> Callable[[list[str]], Tokenizer]:
    def build(vocab: list[str]) -> Tokenizer:
        tokenizer = build_char_tokenizer([*vocab, *extra])
        change(tokenizer)
        return tokenizer

    return build


@pytest.mark.parametrize(
    "build",
    [
        _wordpiece,
        _with(lambda t: setattr(t, "normalizer", normalizers.Lowercase())),
        _with(lambda t: setattr(t, "pre_tokenizer", pre_tokenizers.WhitespaceSplit())),
        _with(lambda t: setattr(t, "post_processor", processors.ByteLevel())),
        _with(lambda t: t.add_special_tokens(["[MASK]"])),  # "[MASK]" in text: one token
        _with(lambda t: t.add_tokens(["龘"])),  # a character outside the vocabulary
        _with(lambda t: t.add_tokens([" "]), extra=[" "]),  # a space that becomes a token
    ],
    ids=["wordpiece", "normalizer", "pre_tokenizer", "post_processor", "special", "new", "space"],
)
def test_other_tokenizers_keep_the_hugging_face_path(
    vocab: list[str], build: Callable[[list[str]], Tokenizer]
) -> None:
    encoder = TextEncoder(build(vocab), EncodingConfig())
    assert not encoder.fast
    texts = ["[MASK] 加 龘 AB", "加\x1c微 "]
    assert encoder.encode_normalized(texts) == hf_encoded(encoder, texts)
