from __future__ import annotations

import pytest

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
