"""The network: a BERT-family encoder with a classification head over its tokens.

From scratch (the default) a small BERT over the character vocabulary; with `--base-model`
any pretrained BERT-family checkpoint and its own tokenizer. Either way the exported graph
is this module, so `input_ids, attention_mask -> logits` is the one interface ONNX sees.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from fanzha.errors import UserError


@dataclass(frozen=True)
class EncoderSize:
    hidden: int
    layers: int
    heads: int
    intermediate: int


# Sizes compared in the README (accuracy against messages/s); `small` is the default.
SIZES: dict[str, EncoderSize] = {
    "micro": EncoderSize(hidden=32, layers=1, heads=2, intermediate=64),  # tests, smoke runs
    "tiny": EncoderSize(hidden=128, layers=2, heads=2, intermediate=512),
    "small": EncoderSize(hidden=192, layers=3, heads=3, intermediate=768),
    "base": EncoderSize(hidden=256, layers=4, heads=4, intermediate=1024),
}


class NgramBag(nn.Module):
    """A bag of hashed character bigrams and trigrams, averaged: the fastText idea inside the
    graph. It gives the classifier the n-gram view that makes a linear TF-IDF model robust to
    rephrasing, which a small encoder trained on generated text otherwise lacks. Hashing runs
    on token ids in the graph, so the tokenizer and the runtime need nothing extra."""

    PRIME = 1_000_003

    def __init__(self, buckets: int, dim: int) -> None:
        super().__init__()
        self.buckets = buckets
        self.embedding = nn.Embedding(buckets, dim)
        nn.init.normal_(self.embedding.weight, std=0.02)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        a, b, c = input_ids[:, :-2], input_ids[:, 1:-1], input_ids[:, 2:]
        m = attention_mask.to(torch.float32)
        m2 = m[:, :-1] * m[:, 1:]
        m3 = m2[:, :-1] * m[:, 2:]
        bigrams = (input_ids[:, :-1] * self.PRIME + input_ids[:, 1:]) % self.buckets
        trigrams = ((a * self.PRIME + b) * self.PRIME + c) % self.buckets
        total = (self.embedding(bigrams) * m2.unsqueeze(-1)).sum(1) + (
            self.embedding(trigrams) * m3.unsqueeze(-1)
        ).sum(1)
        return total / (m2.sum(1) + m3.sum(1)).clamp(min=1.0).unsqueeze(-1)


class SequenceClassifier(nn.Module):
    """Encoder, then masked mean pooling (joined by the n-gram bag when there is one), dropout
    and a linear layer.

    Mean pooling rather than the [CLS] pooler: a model trained from scratch on tens of
    thousands of messages learns a usable average far sooner than a [CLS] summary.
    """

    def __init__(
        self,
        encoder: nn.Module,
        hidden: int,
        num_labels: int,
        dropout: float = 0.1,
        ngrams: NgramBag | None = None,
    ):
        super().__init__()
        self.encoder = encoder
        self.ngrams = ngrams
        self.dropout = nn.Dropout(dropout)
        extra = ngrams.embedding.embedding_dim if ngrams is not None else 0
        self.head = nn.Linear(hidden + extra, num_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        if self.ngrams is not None:
            pooled = torch.cat(
                [pooled, self.ngrams(input_ids, attention_mask).to(pooled.dtype)], -1
            )
        return self.head(self.dropout(pooled))

    @property
    def hidden(self) -> int:
        extra = self.ngrams.embedding.embedding_dim if self.ngrams is not None else 0
        return self.head.in_features - extra


def build_scratch_model(
    vocab_size: int,
    num_labels: int,
    size: str,
    max_length: int,
    ngram_buckets: int = 0,
    ngram_dim: int = 64,
    dropout: float = 0.1,
) -> tuple[SequenceClassifier, dict[str, object]]:
    from transformers import BertConfig, BertModel

    if size not in SIZES:
        raise ValueError(f"unknown model size {size!r}; choose one of {', '.join(SIZES)}")
    s = SIZES[size]
    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=s.hidden,
        num_hidden_layers=s.layers,
        num_attention_heads=s.heads,
        intermediate_size=s.intermediate,
        max_position_embeddings=max_length,
        type_vocab_size=1,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
        pad_token_id=0,
    )
    encoder = BertModel(config, add_pooling_layer=False)
    ngrams = NgramBag(ngram_buckets, ngram_dim) if ngram_buckets else None
    model = SequenceClassifier(encoder, s.hidden, num_labels, dropout, ngrams)
    arch = {"size": size, **asdict(s), "ngram_buckets": ngram_buckets, "dropout": dropout}
    return model, arch


class BaseModelError(UserError):
    """A --base-model that cannot be loaded; the message says what to pass instead."""


def load_base_model(base_model: str, num_labels: int) -> tuple[SequenceClassifier, object]:
    """A pretrained encoder and its tokenizer, from a local directory or a hub id."""
    from transformers import AutoModel, AutoTokenizer

    local = Path(base_model).expanduser()
    looks_local = base_model.startswith((".", "/", "~")) or local.exists()
    if looks_local and not (local / "config.json").is_file():
        raise BaseModelError(
            f"--base-model {base_model}: no config.json there; pass a directory written by "
            "save_pretrained (config.json, weights, tokenizer files) or a hub id"
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(base_model)
        try:
            encoder = AutoModel.from_pretrained(base_model, add_pooling_layer=False)
        except TypeError:  # architectures without a pooler take no such argument
            encoder = AutoModel.from_pretrained(base_model)
    except OSError as exc:
        raise BaseModelError(
            f"--base-model {base_model} could not be loaded ({exc}). Pass a local directory "
            "holding a BERT-family checkpoint, or a hub id on a machine with hub access"
        ) from exc
    if not getattr(tokenizer, "is_fast", False):
        raise BaseModelError(
            f"{base_model} has no fast tokenizer (tokenizer.json); fanzha serves with the "
            "`tokenizers` library and needs one"
        )
    hidden = int(encoder.config.hidden_size)
    return SequenceClassifier(encoder, hidden, num_labels), tokenizer


PYTORCH_DIR = "pytorch"


def save_trained(model: SequenceClassifier, directory: Path) -> None:
    """The PyTorch weights beside the ONNX graph: for the PyTorch side of benchmarks and for
    warm-starting a retrain. The runtime never reads them."""
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    model.encoder.config.save_pretrained(directory)  # type: ignore[union-attr]
    head = {
        "hidden": model.hidden,
        "num_labels": model.head.out_features,
        "ngram_buckets": model.ngrams.buckets if model.ngrams is not None else 0,
        "ngram_dim": model.ngrams.embedding.embedding_dim if model.ngrams is not None else 0,
    }
    (directory / "head.json").write_text(json.dumps(head), encoding="utf-8")
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(directory / "model.safetensors"))


def load_trained(directory: Path) -> SequenceClassifier:
    """Rebuild the trained network from `save_trained` output, without any download."""
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(directory)
    try:
        encoder = AutoModel.from_config(config, add_pooling_layer=False)
    except TypeError:
        encoder = AutoModel.from_config(config)
    head = json.loads((directory / "head.json").read_text(encoding="utf-8"))
    buckets = head.get("ngram_buckets", 0)
    ngrams = NgramBag(buckets, head["ngram_dim"]) if buckets else None
    model = SequenceClassifier(encoder, head["hidden"], head["num_labels"], ngrams=ngrams)
    model.load_state_dict(load_file(str(directory / "model.safetensors")))
    return model.eval()


def warm_start(
    directory: Path, labels: list[str], old_labels: tuple[str, ...]
) -> SequenceClassifier:
    """A trained fanzha model's encoder with a head for `labels`; rows of labels the old model
    already knew are copied, so a retrain on related data starts from what it learned."""
    old = load_trained(directory)
    model = SequenceClassifier(old.encoder, old.hidden, len(labels), ngrams=old.ngrams)
    with torch.no_grad():
        for i, label in enumerate(labels):
            if label in old_labels:
                j = old_labels.index(label)
                model.head.weight[i] = old.head.weight[j]
                model.head.bias[i] = old.head.bias[j]
    return model
