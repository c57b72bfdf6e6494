"""The training loop: length-bucketed batches, class-weighted loss, early stopping on
validation macro-F1, and a checkpoint after every epoch so an interrupted run resumes.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from fanzha.tokenizer import Encoded, TextEncoder, length_sorted_batches, pad_batch
from training.metrics import macro_f1
from training.model import SequenceClassifier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoopConfig:
    epochs: int = 8
    batch_size: int = 32
    learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    patience: int = 2
    label_smoothing: float = 0.0
    class_weighting: str = "balanced"  # or "none"
    seed: int = 13
    threads: int = 0
    bf16: bool = False  # bfloat16 autocast for the forward pass; see `bf16_is_fast`
    token_noise: float = 0.0  # share of content tokens replaced by the mask token
    mask_id: int = 1
    weight_average: float = 0.0  # decay of the weights' moving average (0: off)


@dataclass
class FitResult:
    best_epoch: int
    best_val_macro_f1: float
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0


def bf16_is_fast() -> bool:
    """bfloat16 matmuls run natively (AVX512-BF16 or AMX) only on recent CPUs; elsewhere
    they are emulated and slower than float32."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def mask_tokens(
    ids: np.ndarray, mask: np.ndarray, share: float, mask_id: int, rng: np.random.Generator
) -> np.ndarray:
    """Hide a random share of each message's content tokens: a model trained on generated text
    otherwise leans on a few template words and misses the same scheme said differently."""
    content = mask.astype(bool)
    content[:, 0] = False  # [CLS]
    content[np.arange(len(ids)), mask.sum(axis=1) - 1] = False  # [SEP]
    hide = content & (rng.random(ids.shape) < share)
    out = ids.copy()
    out[hide] = mask_id
    return out


def class_weights(y: np.ndarray, n_labels: int, mode: str) -> torch.Tensor | None:
    """`balanced`: weight each label by n / (k * count), so a rare scam type counts as much
    as a common one in the loss; labels absent from training get weight 0."""
    if mode == "none":
        return None
    if mode != "balanced":
        raise ValueError(f"class_weighting must be 'balanced' or 'none', not {mode!r}")
    counts = np.bincount(y, minlength=n_labels).astype(np.float64)
    present = counts > 0
    weights = np.zeros(n_labels)
    weights[present] = len(y) / (present.sum() * counts[present])
    return torch.tensor(weights, dtype=torch.float32)


def length_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffle, sort within pools of 50 batches by length, then shuffle the batches: batches
    hold similar lengths (little padding) while each epoch still sees a new order."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches.extend(chunk[k : k + batch_size] for k in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


@torch.inference_mode()
def predict_logits(
    model: SequenceClassifier,
    encoded: Sequence[Encoded],
    pad_id: int = 0,
    batch_size: int = 128,
) -> np.ndarray:
    """Logits in input order (batches sorted by length internally)."""
    model.eval()
    return _in_order(encoded, pad_id, batch_size, model.head.out_features, model)[0]


@torch.inference_mode()
def predict_parts(
    model: SequenceClassifier, encoded: Sequence[Encoded], pad_id: int = 0, batch_size: int = 128
) -> tuple[np.ndarray, np.ndarray]:
    """Encoder and n-gram logits apart, in input order, for choosing the ensemble's weights."""
    if model.ngrams is None:
        raise ValueError("the model has no n-gram part")
    model.eval()
    enc, ngr = _in_order(
        encoded, pad_id, batch_size, model.head.out_features, model.encoder_logits, model.ngrams
    )
    return enc, ngr


def _in_order(
    encoded: Sequence[Encoded], pad_id: int, batch_size: int, width: int, *forwards: Callable
) -> tuple[np.ndarray, ...]:
    outs = tuple(np.zeros((len(encoded), width), dtype=np.float32) for _ in forwards)
    for idx in length_sorted_batches(encoded, batch_size):
        ids, mask = pad_batch([encoded[i] for i in idx], pad_id)
        tensors = torch.from_numpy(ids), torch.from_numpy(mask)
        for out, forward in zip(outs, forwards, strict=True):
            out[idx] = forward(*tensors).float().numpy()
    return outs


def fit(
    model: SequenceClassifier,
    encoder: TextEncoder,
    train_texts: Sequence[str],
    train_y: np.ndarray,
    val_texts: Sequence[str],
    val_y: np.ndarray,
    config: LoopConfig,
    checkpoint_dir: Path,
    resume: bool = False,
    augment: Callable[[Sequence[str], int], list[str]] | None = None,
    fingerprint: str = "",
) -> FitResult:
    """Train `model` in place and leave it holding the best validation weights."""
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    n_labels = int(max(train_y.max(), val_y.max() if len(val_y) else 0)) + 1
    n_labels = max(n_labels, model.head.out_features)
    loss_fn = nn.CrossEntropyLoss(
        weight=class_weights(train_y, n_labels, config.class_weighting),
        label_smoothing=config.label_smoothing,
    )
    steps_per_epoch = math.ceil(len(train_texts) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    warmup = max(1, int(total_steps * config.warmup_ratio))
    decay_steps = max(1, total_steps - warmup)
    trained = [p for name, p in model.named_parameters() if not name.startswith("ngrams.")]
    optimizer = torch.optim.AdamW(
        trained, lr=config.learning_rate, weight_decay=config.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / warmup, max(0.0, (total_steps - step) / decay_steps)),
    )
    val_encoded = encoder.encode(val_texts)
    state = _initial_state()
    average = WeightAverage(model, config.weight_average) if config.weight_average else None
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    last, best = checkpoint_dir / "last.pt", checkpoint_dir / "best.pt"
    if resume and last.is_file():
        state = _restore(last, model, optimizer, scheduler, fingerprint, average)
        log.info("resumed from %s after epoch %d", last, state["epoch"])
    elif resume:
        log.info("no checkpoint in %s: starting from scratch", checkpoint_dir)
    started = time.perf_counter() - state["seconds"]
    for epoch in range(state["epoch"] + 1, config.epochs + 1):
        if state["bad_epochs"] >= config.patience:
            break
        # seeding per epoch makes a resumed run take the same path as an uninterrupted one
        torch.manual_seed(config.seed * 1000 + epoch)
        rng = random.Random(config.seed * 1000 + epoch)
        noise_rng = np.random.default_rng(config.seed * 1000 + epoch)
        texts = augment(train_texts, epoch) if augment else list(train_texts)
        encoded = encoder.encode(texts)
        model.train()
        batches = length_batches([len(e.ids) for e in encoded], config.batch_size, rng)
        bar = tqdm(batches, desc=f"epoch {epoch}/{config.epochs}", unit="batch", leave=False)
        running = 0.0
        for step, idx in enumerate(bar, start=1):
            ids, mask = pad_batch([encoded[i] for i in idx], encoder.config.pad_id)
            if config.token_noise:
                ids = mask_tokens(ids, mask, config.token_noise, config.mask_id, noise_rng)
            targets = torch.from_numpy(train_y[idx])
            inputs = torch.from_numpy(ids), torch.from_numpy(mask)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16):
                logits = model.encoder_logits(*inputs).float()
            loss = loss_fn(logits, targets)
            if model.ngrams is not None:
                # the n-gram half is already fitted and stays fixed: the encoder learns to
                # classify alone and to correct the n-grams where they fail (on masked and
                # rephrased text, as the augmentation makes it)
                with torch.no_grad():
                    ngram_logits = model.ngrams(*inputs)
                loss = (loss + loss_fn(logits + ngram_logits, targets)) / 2
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trained, 1.0)
            optimizer.step()
            scheduler.step()
            if average is not None:
                average.update(model)
            running += loss.item()
            if step % 20 == 0:
                bar.set_postfix(loss=f"{running / step:.4f}")
        # validated (and kept as best) with the averaged weights, when averaging
        raw = average.swap_in(model) if average is not None else None
        val_pred = (
            predict_logits(model, val_encoded, encoder.config.pad_id).argmax(axis=1)
            if len(val_y)
            else None
        )
        score = macro_f1(val_y, val_pred, n_labels) if val_pred is not None else 0.0
        state["history"].append(
            {"epoch": epoch, "train_loss": running / max(1, len(batches)), "val_macro_f1": score}
        )
        improved = val_pred is None or score > state["best_f1"]
        if improved:
            state.update(best_f1=score, best_epoch=epoch, bad_epochs=0)
            torch.save(model.state_dict(), best)
        else:
            state["bad_epochs"] += 1
        if raw is not None:
            model.load_state_dict(raw)
        state["epoch"] = epoch
        state["seconds"] = time.perf_counter() - started
        _save(last, model, optimizer, scheduler, state, fingerprint, average)
        tqdm.write(
            f"epoch {epoch}: train loss {running / max(1, len(batches)):.4f}, "
            f"validation macro-F1 {score:.4f}{' (best)' if improved else ''}"
        )
    if best.is_file():
        model.load_state_dict(torch.load(best, weights_only=True))
    return FitResult(
        state["best_epoch"], state["best_f1"], state["history"], time.perf_counter() - started
    )


class WeightAverage:
    """An exponential moving average of the trained weights. From-scratch training on generated
    text swings from epoch to epoch (validation macro-F1 on hand-written text moves by 1-3
    points between neighbouring epochs, and a rerun differing only in thread count by as much
    between runs); the average of the recent steps sits between those swings and is what is
    validated and kept."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"weight_average must be between 0 and 1 (exclusive), not {decay}")
        self.decay = decay
        self.steps = 0
        self.shadow = {
            name: p.detach().float().clone()
            for name, p in model.named_parameters()
            if p.requires_grad and not name.startswith("ngrams.")
        }

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.steps += 1
        # short memory at first, so the random initial weights fade out quickly
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        for name, p in model.named_parameters():
            if name in self.shadow:
                self.shadow[name].lerp_(p.detach().float(), 1.0 - decay)

    def swap_in(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """Load the averaged weights into `model`; returns its own weights, to load back."""
        raw = {k: v.detach().clone() for k, v in model.state_dict().items()}
        model.load_state_dict(self.shadow, strict=False)
        return raw

    def state_dict(self) -> dict[str, Any]:
        return {"steps": self.steps, "shadow": self.shadow}

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        self.steps, self.shadow = saved["steps"], saved["shadow"]


def _initial_state() -> dict[str, Any]:
    return {
        "epoch": 0,
        "best_f1": -1.0,
        "best_epoch": 0,
        "bad_epochs": 0,
        "history": [],
        "seconds": 0.0,
    }


def _save(
    path: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    state: dict[str, Any],
    fingerprint: str,
    average: WeightAverage | None = None,
) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "state": state,
            "fingerprint": fingerprint,
            "average": average.state_dict() if average is not None else None,
        },
        tmp,
    )
    tmp.replace(path)  # never leave a torn checkpoint behind if killed while saving


def _restore(
    path: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    fingerprint: str,
    average: WeightAverage | None = None,
) -> dict[str, Any]:
    saved = torch.load(path, weights_only=False)
    if saved.get("fingerprint") != fingerprint:
        raise RuntimeError(
            f"{path} was written for different data or settings; resuming would mix two "
            "runs. Use the same --data and options, or start over without --resume"
        )
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    if average is not None and saved.get("average") is not None:
        average.load_state_dict(saved["average"])
    return dict(saved["state"])


def loop_config_dict(config: LoopConfig) -> dict[str, Any]:
    return asdict(config)
