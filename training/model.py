"""The network: a BERT-family encoder with a classification head over its tokens.

From scratch (the default) a small BERT over the character vocabulary; with `--base-model`
any pretrained BERT-family checkpoint and its own tokenizer. Either way the exported graph
is this module, so `input_ids, attention_mask -> logits` is the one interface ONNX sees.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from fanzha.errors import UserError
from training.ngrams import KEY_BASE, NgramLinear


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


class SequenceClassifier(nn.Module):
    """Encoder, masked mean pooling, dropout and a linear layer; plus, when there is one, the
    n-gram linear model, whose logits are added: an ensemble of the encoder (context) and the
    n-grams (robust to rephrasing, which a small encoder trained on generated text is not).
    The n-grams are fitted first as a convex problem and stay fixed; the encoder then trains
    alone and on top of them, and its share is chosen on validation (`training.ensemble`).

    Mean pooling rather than the [CLS] pooler: a model trained from scratch on tens of
    thousands of messages learns a usable average far sooner than a [CLS] summary.
    """

    encoder: Any  # a transformers encoder; its config is read for export and cards
    ngrams: NgramLinear | None
    head: nn.Linear
    encoder_weight: torch.Tensor

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
        # the encoder's share of the ensemble, a buffer so checkpoints and the graph carry it
        self.register_buffer("encoder_weight", torch.tensor(1.0))

    def encoder_logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.head(self.dropout(pooled))

    def parts(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Encoder logits and n-gram logits (None without n-grams)."""
        encoder_logits = self.encoder_logits(input_ids, attention_mask)
        if self.ngrams is None:
            return encoder_logits, None
        return encoder_logits, self.ngrams(input_ids, attention_mask).to(encoder_logits.dtype)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        encoder_logits, ngram_logits = self.parts(input_ids, attention_mask)
        if ngram_logits is None:
            return encoder_logits
        return self.encoder_weight * encoder_logits + ngram_logits

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
    if ngram_buckets and vocab_size > KEY_BASE:
        raise ValueError(f"the n-gram part needs a vocabulary below {KEY_BASE} tokens")
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
    state = _pack_ngram_table(model.state_dict())
    state = {
        k: (v.half() if v.is_floating_point() and v.dim() else v).contiguous()
        for k, v in state.items()
    }
    save_file(state, str(directory / "model.safetensors"))


_TABLE = ("ngrams.keys", "ngrams.idf", "ngrams.weight.weight")


def _pack_ngram_table(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Only the used slots of the n-gram table (under half of them): the weights stay well
    inside the model directory's 20 MB."""
    if "ngrams.keys" not in state:
        return dict(state)
    used = torch.nonzero(state["ngrams.keys"] >= 0).squeeze(1)
    packed = {k: v for k, v in state.items() if k not in _TABLE}
    packed["ngrams.used_slots"] = used
    for name in _TABLE:
        packed[f"{name}.used"] = state[name][used]
    return packed


def _unpack_ngram_table(state: dict[str, torch.Tensor], buckets: int) -> dict[str, torch.Tensor]:
    if "ngrams.used_slots" not in state:
        return state
    used = state.pop("ngrams.used_slots")
    keys = torch.full((buckets,), -1, dtype=torch.int64)
    idf = torch.zeros(buckets)
    weight = torch.zeros(buckets, state["ngrams.weight.weight.used"].shape[1])
    for name, dense in zip(_TABLE, (keys, idf, weight), strict=True):
        dense[used] = state.pop(f"{name}.used").to(dense.dtype)
        state[name] = dense
    return state


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
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    model.load_state_dict(_unpack_ngram_table(state, buckets))
    return model.eval()


def warm_start(
    directory: Path, labels: list[str], old_labels: tuple[str, ...]
) -> SequenceClassifier:
    """A trained fanzha model's encoder with a head for `labels`; rows of labels the old model
    already knew are copied, so a retrain on related data starts from what it learned."""
    old = load_trained(directory)
    ngrams = NgramLinear(old.ngrams.buckets, len(labels)) if old.ngrams is not None else None
    model = SequenceClassifier(old.encoder, old.hidden, len(labels), ngrams=ngrams)
    with torch.no_grad():  # the n-gram part is refitted on the new data (convex, seconds)
        for i, label in enumerate(labels):
            if label in old_labels:
                j = old_labels.index(label)
                model.head.weight[i] = old.head.weight[j]
                model.head.bias[i] = old.head.bias[j]
    return model
