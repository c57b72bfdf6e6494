"""The n-gram half of the default model: the graph computes exactly the features it was fitted
on, unknown n-grams change nothing, distinct n-grams never share a weight."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fanzha.tokenizer import Encoded, pad_batch
from training.ensemble import choose_encoder_weight
from training.ngrams import (
    EMPTY,
    NgramLinear,
    build_table,
    count_grams,
    features,
    fit_ngrams,
    gram_keys,
    slots,
)


def messages(n: int, seed: int = 0, vocab: int = 40) -> list[Encoded]:
    rng = np.random.default_rng(seed)
    return [
        Encoded([2, *rng.integers(5, vocab, rng.integers(1, 40)).tolist(), 3], False)
        for _ in range(n)
    ]


def graph_logits(module: NgramLinear, encoded: list[Encoded]) -> np.ndarray:
    ids, mask = pad_batch(encoded)
    with torch.no_grad():
        return module(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()


@pytest.fixture(scope="module")
def fitted() -> tuple[NgramLinear, list[Encoded]]:
    encoded = messages(300)
    y = np.array([e.ids[1] % 4 for e in encoded])  # learnable from the first token
    module = NgramLinear(4096, 4)
    fit_ngrams(module, encoded, y, 4)
    return module, encoded


def test_graph_matches_the_features_it_was_fitted_on(fitted):
    module, _ = fitted
    fresh = messages(64, seed=1)  # padded batch of mixed lengths, repeated n-grams
    table = build_table(count_grams(messages(300)), 4096)
    expected = features(count_grams(fresh), table) @ module.weight.weight.detach().numpy()
    expected += module.bias.detach().numpy()
    np.testing.assert_allclose(graph_logits(module, fresh), expected, atol=1e-5)


def test_fit_learns_the_training_labels(fitted):
    module, encoded = fitted
    y = np.array([e.ids[1] % 4 for e in encoded])
    assert (graph_logits(module, encoded).argmax(1) == y).mean() > 0.95


def test_unknown_ngrams_leave_the_scores_unchanged(fitted):
    """New wording must not dilute what the known n-grams say (as in TfidfVectorizer)."""
    module, encoded = fitted
    base = encoded[:20]
    unseen = [999, 998, 997, 999]  # ids never seen in training: every n-gram they touch is new
    padded = [Encoded([*e.ids[:-1], *unseen, e.ids[-1]], False) for e in base]
    with_unseen = graph_logits(module, padded)
    # the n-grams spanning content and [SEP] are new either way: compare with one unseen id
    one = [Encoded([*e.ids[:-1], 999, e.ids[-1]], False) for e in base]
    np.testing.assert_allclose(with_unseen, graph_logits(module, one), atol=1e-5)
    assert not np.allclose(with_unseen, graph_logits(module, base), atol=1e-3)  # it is sensitive


def test_keys_are_exact():
    ids = np.array([7, 8, 9, 7, 8], dtype=np.int64)
    bigrams = gram_keys(ids, 2)
    assert len(bigrams) == 4 and bigrams[0] == bigrams[3]  # (7, 8) twice
    assert len(set(bigrams.tolist())) == 3
    keys = np.concatenate([gram_keys(ids, n) for n in (1, 2, 3)])
    assert len(set(keys.tolist())) == len(
        {tuple(ids[i : i + n]) for n in (1, 2, 3) for i in range(6 - n)}
    )


def test_a_full_table_leaves_out_rarer_ngrams_and_never_shares_weights():
    encoded = messages(400, vocab=60)
    table = build_table(count_grams(encoded), 64, min_df=1)
    assert table.dropped > 0
    used = table.keys[table.keys != EMPTY]
    assert len(np.unique(used)) == len(used)
    first, second = slots(used, 64)
    assert np.all((table.keys[first] == used) | (table.keys[second] == used))
    # a message made only of n-grams left out gets no features at all, not a neighbour's
    df: dict[int, int] = {}
    for e in encoded:
        for key in np.unique(np.concatenate([gram_keys(np.array(e.ids), n) for n in (1, 2, 3)])):
            df[int(key)] = df.get(int(key), 0) + 1
    kept = set(used.tolist())
    left_out = [k for k in df if k not in kept]
    # an n-gram is left out only when both its slots hold n-grams at least as frequent
    for key in left_out:
        a, b = slots(np.array([key]), 64)
        assert df[int(table.keys[a[0]])] >= df[key] and df[int(table.keys[b[0]])] >= df[key]
    unigram_out = [k for k in left_out if k < 2 * 2**15]
    if unigram_out:
        token = unigram_out[0] - 2**15
        lone = Encoded([token], False)
        assert features(count_grams([lone]), table).nnz == 0


def test_min_df_keeps_ngrams_seen_once_out():
    encoded = [Encoded([10, 11], False), Encoded([10, 12], False)]
    table = build_table(count_grams(encoded), 128, min_df=2)
    assert table.grams == 1  # only the unigram 10 is in both messages


def test_two_labels():
    encoded = messages(100)
    y = np.array([e.ids[1] % 2 for e in encoded])
    module = NgramLinear(1024, 2)
    fit_ngrams(module, encoded, y, 2)
    assert (graph_logits(module, encoded).argmax(1) == y).mean() > 0.95


def test_encoder_weight_is_chosen_on_validation():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    perfect = np.eye(3)[y] * 5
    noise = rng.normal(size=(200, 3))
    weight, scores = choose_encoder_weight(noise, perfect, y, 3)
    assert weight == 0.0 and scores["0.0"] == 1.0  # n-grams alone win; ties go to less encoder
    weight, scores = choose_encoder_weight(perfect, noise, y, 3)
    assert weight > 0.0 and scores[str(weight)] == 1.0 and scores["0.0"] < 0.6
