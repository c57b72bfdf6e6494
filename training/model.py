"""The network: a BERT-family encoder with a classification head over its tokens.

From scratch (the default) a small BERT over the character vocabulary; with `--base-model`
any pretrained BERT-family checkpoint and its own tokenizer. Either way the exported graph
is this module, so `input_ids, attention_mask -> logits` is the one interface ONNX sees.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from fanzha.errors import UserError
from fanzha.tokenizer import Encoded, pad_batch


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


class NgramLinear(nn.Module):
    """A linear model over hashed character 1/2/3-grams (their mean weight per label): the
    TF-IDF baseline's view of a message, inside the graph. Trained with its own loss beside
    the encoder's (see `SequenceClassifier.parts`), it stays a good classifier on its own, and
    the sum of the two is an ensemble: the encoder for context, the n-grams for robustness
    to rephrasing that a small encoder trained on generated text lacks. Hashing runs on token
    ids in the graph, so the tokenizer and the runtime need nothing extra."""

    PRIME = 1_000_003
    idf: torch.Tensor

    def __init__(self, buckets: int, num_labels: int) -> None:
        super().__init__()
        self.buckets = buckets
        self.weight = nn.Embedding(buckets, num_labels)
        nn.init.zeros_(self.weight.weight)
        # inverse document frequency per bucket, fitted on the training set (`fit_idf`): rare
        # n-grams say more about a scheme than 的 or 您好 do, as in TF-IDF
        self.register_buffer("idf", torch.ones(buckets))

    def grams(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(bucket ids, mask) for the 1-, 2- and 3-grams of each message."""
        m1 = attention_mask.to(torch.float32)
        m2 = m1[:, :-1] * m1[:, 1:]
        m3 = m2[:, :-1] * m1[:, 2:]
        uni = input_ids % self.buckets
        bi = (input_ids[:, :-1] * self.PRIME + input_ids[:, 1:]) % self.buckets
        tri = (
            (input_ids[:, :-2] * self.PRIME + input_ids[:, 1:-1]) * self.PRIME + input_ids[:, 2:]
        ) % self.buckets
        return [(uni, m1), (bi, m2), (tri, m3)]

    @torch.no_grad()
    def fit_idf(self, batches: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> None:
        df = torch.zeros(self.buckets)
        docs = 0
        for input_ids, attention_mask in batches:
            docs += len(input_ids)
            for grams, m in self.grams(input_ids, attention_mask):
                rows = torch.arange(len(grams)).unsqueeze(1).expand_as(grams)
                keys = torch.unique((rows * self.buckets + grams)[m > 0])  # once per message
                df += torch.bincount(keys % self.buckets, minlength=self.buckets)
        self.idf.copy_(torch.log((1 + docs) / (1 + df)) + 1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        # sums of per-order terms, never a zeros(batch, ...) start: ONNX export would freeze the
        # traced batch size into the graph
        totals, norms = [], []
        for grams, m in self.grams(input_ids, attention_mask):
            w = self.idf[grams] * m
            totals.append((self.weight(grams) * w.unsqueeze(-1)).sum(1))
            norms.append(w.sum(1))
        total = torch.stack(totals).sum(0)
        norm = torch.stack(norms).sum(0)
        return total / norm.clamp(min=1e-6).unsqueeze(-1)


class SequenceClassifier(nn.Module):
    """Encoder, masked mean pooling, dropout and a linear layer; plus, when there is one, the
    n-gram linear model, whose logits are added.

    Mean pooling rather than the [CLS] pooler: a model trained from scratch on tens of
    thousands of messages learns a usable average far sooner than a [CLS] summary.
    """

    encoder: Any  # a transformers encoder; its config is read for export and cards
    ngrams: NgramLinear | None
    head: nn.Linear

    def __init__(
        self,
        encoder: nn.Module,
        hidden: int,
        num_labels: int,
        dropout: float = 0.1,
        ngrams: NgramLinear | None = None,
    ):
        super().__init__()
        self.encoder = encoder
        self.ngrams = ngrams
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, num_labels)

    def parts(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Encoder logits and n-gram logits (None without n-grams), trained each with a loss."""
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        encoder_logits = self.head(self.dropout(pooled))
        if self.ngrams is None:
            return encoder_logits, None
        return encoder_logits, self.ngrams(input_ids, attention_mask).to(encoder_logits.dtype)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        encoder_logits, ngram_logits = self.parts(input_ids, attention_mask)
        return encoder_logits if ngram_logits is None else encoder_logits + ngram_logits

    @property
    def hidden(self) -> int:
        return self.head.in_features


def build_scratch_model(
    vocab_size: int,
    num_labels: int,
    size: str,
    max_length: int,
    ngram_buckets: int = 0,
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
    ngrams = NgramLinear(ngram_buckets, num_labels) if ngram_buckets else None
    model = SequenceClassifier(encoder, s.hidden, num_labels, dropout, ngrams)
    arch = {"size": size, **asdict(s), "ngram_buckets": ngram_buckets, "dropout": dropout}
    return model, arch


class BaseModelError(UserError):
    """A --base-model that cannot be loaded; the message says what to pass instead."""


def load_base_model(base_model: str, num_labels: int) -> tuple[SequenceClassifier, Any]:
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
    warm-starting a retrain. The runtime never reads them. Stored as float16 (read back as
    float32): a warm start does not need more, and it halves what a model directory ships."""
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    model.encoder.config.save_pretrained(directory)
    head = {
        "hidden": model.hidden,
        "num_labels": model.head.out_features,
        "ngram_buckets": model.ngrams.buckets if model.ngrams is not None else 0,
    }
    (directory / "head.json").write_text(json.dumps(head), encoding="utf-8")
    state = {
        k: (v.half() if v.is_floating_point() else v).contiguous()
        for k, v in model.state_dict().items()
    }
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
    ngrams = NgramLinear(buckets, head["num_labels"]) if buckets else None
    model = SequenceClassifier(encoder, head["hidden"], head["num_labels"], ngrams=ngrams)
    state = load_file(str(directory / "model.safetensors"))
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    return model.eval()


def warm_start(
    directory: Path, labels: list[str], old_labels: tuple[str, ...]
) -> SequenceClassifier:
    """A trained fanzha model's encoder with a head for `labels`; rows of labels the old model
    already knew are copied, so a retrain on related data starts from what it learned."""
    old = load_trained(directory)
    ngrams = NgramLinear(old.ngrams.buckets, len(labels)) if old.ngrams is not None else None
    model = SequenceClassifier(old.encoder, old.hidden, len(labels), ngrams=ngrams)
    with torch.no_grad():
        if ngrams is not None and old.ngrams is not None:
            ngrams.idf.copy_(old.ngrams.idf)  # same tokenizer, same n-gram statistics
        for i, label in enumerate(labels):
            if label in old_labels:
                j = old_labels.index(label)
                model.head.weight[i] = old.head.weight[j]
                model.head.bias[i] = old.head.bias[j]
                if ngrams is not None and old.ngrams is not None:
                    ngrams.weight.weight[:, i] = old.ngrams.weight.weight[:, j]
    return model


def fit_ngram_idf(
    model: SequenceClassifier, encoded: Sequence[Encoded], batch_size: int = 256
) -> None:
    """Document frequencies of the n-gram buckets over the training messages."""
    if model.ngrams is None:
        return
    batches = (
        tuple(torch.from_numpy(a) for a in pad_batch(encoded[i : i + batch_size]))
        for i in range(0, len(encoded), batch_size)
    )
    model.ngrams.fit_idf(batches)  # type: ignore[arg-type]
