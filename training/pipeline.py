"""`fanzha train`: labelled files in, a ready-to-serve model directory out.

Stages, each in its own module: data (load, validate, split) -> model (build) -> ngrams
(the n-gram half, a convex fit) -> loop (the encoder) -> ensemble (the encoder's share, on
validation) -> calibrate (temperature) -> export (ONNX, INT8, parity) -> evaluate the exported
graph through the serving Classifier, beside the TF-IDF baseline -> card and report.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from fanzha import __version__
from fanzha.classifier import Classifier
from fanzha.errors import UserError
from fanzha.modeldir import (
    CARD_FILE,
    CONFIG_FILE,
    LABELS_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    RuntimeConfig,
    Thresholds,
    checksums,
    sha256_file,
    write_json,
)
from fanzha.normalize import NORMALIZER_VERSION
from fanzha.taxonomy import SLUGS, is_scam
from fanzha.tokenizer import (
    Encoded,
    EncodingConfig,
    TextEncoder,
    build_char_tokenizer,
    build_char_vocab,
)
from training.data import DataError, Labelled, Split, load_labelled, stratified_split
from training.thresholds import BlockChoice, check_block_fpr, choose_block_threshold

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainOptions:
    data: Sequence[str]
    out: str
    eval_data: Sequence[str] = ()
    validation_data: Sequence[
        str
    ] = ()  # replaces the validation split (early stopping, calibration)
    text_column: str = "text"
    label_column: str = "label"
    base_model: str | None = None
    init_from: str | None = None  # a fanzha model directory to warm-start from
    size: str = "tiny"
    max_length: int = 160
    truncation: str = "head_tail"
    epochs: int = 6
    batch_size: int = 32
    learning_rate: float | None = None  # 1e-3 from scratch, 5e-5 for a pretrained encoder
    patience: int = 2
    validation_fraction: float = 0.1
    test_fraction: float = 0.1
    seed: int = 13
    quantize: bool = True
    augment: bool = True
    resume: bool = False
    threads: int = 0
    precision: str = "auto"  # bf16 autocast where the CPU runs it natively, else fp32
    ngram_buckets: int = 262144  # n-gram table slots beside the encoder (from scratch only)
    dropout: float = 0.1
    label_smoothing: float = 0.1
    token_noise: float = 0.15
    weight_average: float = 0.999  # moving average of the weights, validated and kept
    review_threshold: float = 0.5
    block_threshold: float = 0.9
    block_fpr: float | None = None  # choose block on validation for this non-scam FPR instead
    name: str = "fanzha"

    @classmethod
    def from_card(cls, model_dir: str | Path) -> TrainOptions:
        """The options a model directory was trained with, so a measurement can rebuild its
        exact split (options added since it was trained keep their defaults)."""
        card = json.loads((Path(model_dir) / "card.json").read_text(encoding="utf-8"))
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in card["training"]["options"].items() if k in known})


@dataclass
class Prepared:
    data: Labelled
    split: Split
    eval_sets: dict[str, Labelled]
    labels: list[str]

    def y(self, part: Labelled) -> np.ndarray:
        index = {label: i for i, label in enumerate(self.labels)}
        return np.array([index[label] for label in part.labels], dtype=np.int64)


def prepare_data(options: TrainOptions) -> Prepared:
    data = load_labelled(options.data, options.text_column, options.label_column)
    eval_sets = {
        Path(p).stem: load_labelled([p], options.text_column, options.label_column)
        for p in options.eval_data
    }
    validation_fraction = 0.0 if options.validation_data else options.validation_fraction
    split = stratified_split(data, validation_fraction, options.test_fraction, options.seed)
    if options.validation_data:
        # data from the deployment distribution for early stopping and calibration, where the
        # training data is generated or otherwise unlike what will be scored
        validation = load_labelled(
            options.validation_data, options.text_column, options.label_column
        )
        split = Split(split.train, validation, split.test)
    present = set(split.train.labels)
    labels = [slug for slug in SLUGS if slug in present]
    if len(labels) < 2:
        raise DataError(f"training needs at least two labels; the data holds only {labels}")
    for name, part in [("validation", split.validation), ("test", split.test), *eval_sets.items()]:
        unknown = sorted(set(part.labels) - present)
        if unknown:
            raise DataError(
                f"{name} data has label(s) {unknown} that the training data does not; "
                "add training examples for them or remove them from the evaluation data"
            )
    if options.block_fpr is not None:
        non_scam = sum(not is_scam(label) for label in split.validation.labels)
        check_block_fpr(options.block_fpr, non_scam)
    log.info(
        "data: %d train, %d validation, %d test",
        len(split.train),
        len(split.validation),
        len(split.test),
    )
    return Prepared(data, split, eval_sets, labels)


def build_model(
    options: TrainOptions, train: Labelled, labels: list[str]
) -> tuple[Any, TextEncoder, dict[str, Any]]:
    """The network, its text encoder and a description for the card."""
    from training.model import build_scratch_model, load_base_model

    if options.base_model:
        model, hf_tokenizer = load_base_model(options.base_model, len(labels))
        cfg = model.encoder.config
        encoding = EncodingConfig(
            max_length=min(options.max_length, int(cfg.max_position_embeddings)),
            truncation=options.truncation,
            cls_id=int(hf_tokenizer.cls_token_id),
            sep_id=int(hf_tokenizer.sep_token_id),
            pad_id=int(hf_tokenizer.pad_token_id or 0),
        )
        encoder = TextEncoder(hf_tokenizer.backend_tokenizer, encoding)
        arch = {
            "base_model": options.base_model,
            "hidden": int(cfg.hidden_size),
            "layers": int(cfg.num_hidden_layers),
            "heads": int(cfg.num_attention_heads),
        }
        return model, encoder, arch
    if options.init_from:
        return _warm_started(options, labels)
    vocab = build_char_vocab(train.texts)
    encoding = EncodingConfig(max_length=options.max_length, truncation=options.truncation)
    encoder = TextEncoder(build_char_tokenizer(vocab), encoding)
    model, arch = build_scratch_model(
        len(vocab),
        len(labels),
        options.size,
        options.max_length,
        ngram_buckets=options.ngram_buckets,
        dropout=options.dropout,
    )
    return model, encoder, arch


def _warm_started(
    options: TrainOptions, labels: list[str]
) -> tuple[Any, TextEncoder, dict[str, Any]]:
    """Reuse a trained model's tokenizer and encoder (same vocabulary, so the weights fit)."""
    from fanzha.modeldir import ModelDirError, load_model_dir
    from training.model import PYTORCH_DIR, warm_start

    source = load_model_dir(str(options.init_from))
    weights = source.path / PYTORCH_DIR
    if not weights.is_dir():
        raise ModelDirError(
            f"--init-from {source.path}: no {PYTORCH_DIR}/ weights there; warm-starting needs a "
            "model directory written by this version of `fanzha train`"
        )
    model = warm_start(weights, labels, source.labels)
    cfg = model.encoder.config
    old = source.config.encoding
    encoding = EncodingConfig(
        max_length=min(options.max_length, int(cfg.max_position_embeddings)),
        truncation=options.truncation,
        head_share=old.head_share,
        cls_id=old.cls_id,
        sep_id=old.sep_id,
        pad_id=old.pad_id,
    )
    encoder = TextEncoder.from_file(source.tokenizer_path, encoding)
    arch = {
        "init_from": f"{source.path} ({source.version})",
        "hidden": int(cfg.hidden_size),
        "layers": int(cfg.num_hidden_layers),
        "heads": int(cfg.num_attention_heads),
    }
    return model, encoder, arch


def run_training(options: TrainOptions) -> Path:
    """Train, calibrate, export and evaluate; returns the model directory."""
    import torch

    from training.baseline import fit_baseline
    from training.calibrate import fit_temperature
    from training.export import export_model, parity
    from training.loop import LoopConfig, bf16_is_fast, fit, predict_logits
    from training.model import PYTORCH_DIR, save_trained
    from training.report import write_report

    if not 0.0 <= options.weight_average < 1.0:
        raise UserError(
            f"--weight-average must be at least 0 (off) and below 1, got {options.weight_average}"
        )
    started = time.perf_counter()
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    work = out / ".work"
    prep = prepare_data(options)
    split = prep.split
    if options.threads:
        torch.set_num_threads(options.threads)
    torch.manual_seed(options.seed)
    model, encoder, arch = build_model(options, split.train, prep.labels)
    ngram_fit = fit_ngram_half(model, encoder, prep, options.seed)
    loop_config = LoopConfig(
        epochs=options.epochs,
        batch_size=options.batch_size,
        learning_rate=options.learning_rate or (5e-5 if options.base_model else 1e-3),
        patience=options.patience,
        seed=options.seed,
        threads=options.threads,
        bf16=options.precision == "bf16" or (options.precision == "auto" and bf16_is_fast()),
        label_smoothing=options.label_smoothing,
        token_noise=options.token_noise,
        weight_average=options.weight_average,
        mask_id=mask_token_id(encoder),
    )
    augment = None
    if options.augment:
        from training.augment import make_augmenter

        augment = make_augmenter(options.seed)
    result = fit(
        model,
        encoder,
        split.train.texts,
        prep.y(split.train),
        split.validation.texts,
        prep.y(split.validation),
        loop_config,
        work,
        resume=options.resume,
        augment=augment,
        fingerprint=run_fingerprint(options),
    )
    pad = encoder.config.pad_id
    val_encoded = encoder.encode(split.validation.texts)
    ensemble = choose_ensemble(model, val_encoded, pad, prep, ngram_fit)
    # calibration on validation, never on a set we report
    val_logits = predict_logits(model, val_encoded, pad)
    temperature = fit_temperature(val_logits, prep.y(split.validation)) if len(val_logits) else 1.0

    model.eval()
    _use_eager_attention(model)
    graphs = export_model(
        model, out, encoder.vocab_size, int(arch["heads"]), int(arch["hidden"]), options.quantize
    )
    reported = [split.test, *prep.eval_sets.values()]
    parity_inputs = encoder.encode([t for part in reported for t in part.texts][:3000])
    parities = {"fp32": parity(model, graphs.fp32, parity_inputs, temperature, pad)}
    if graphs.int8:
        parities["int8"] = parity(model, graphs.int8, parity_inputs, temperature, pad)
    (graphs.int8 or graphs.fp32).replace(out / MODEL_FILE)
    graphs.fp32.unlink(missing_ok=True)

    save_trained(model, out / PYTORCH_DIR)
    thresholds = Thresholds(options.review_threshold, options.block_threshold)
    version = write_runtime_files(out, options, encoder, prep.labels, temperature, thresholds)
    block_choice = None
    if options.block_fpr is not None:
        thresholds, block_choice = choose_block(out, options, prep, options.block_fpr)
        version = write_runtime_files(out, options, encoder, prep.labels, temperature, thresholds)
    baseline = fit_baseline(split.train.texts, prep.y(split.train), len(prep.labels), options.seed)
    evaluation = evaluate_sets(out, prep, baseline, options.threads)
    adversarial = adversarial_sets(out, prep, options.threads)
    card = {
        "model_version": version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "architecture": {
            **arch,
            "vocab_size": encoder.vocab_size,
            "fused_attention": graphs.fused,
            "precision": "int8" if graphs.int8 else "fp32",
            "model_bytes": (out / MODEL_FILE).stat().st_size,
        },
        "training": {
            "options": asdict(options),
            "loop": asdict(loop_config),
            "best_epoch": result.best_epoch,
            "best_validation_macro_f1": result.best_val_macro_f1,
            "history": result.history,
            "train_seconds": round(result.seconds, 1),
            "total_seconds": round(time.perf_counter() - started, 1),
            "temperature": temperature,
            "thresholds": {
                "review": thresholds.review,
                "block": thresholds.block,
                "block_choice": block_choice.to_dict() if block_choice else "fixed",
            },
        },
        "data": data_summary(options, prep, encoder),
        "evaluation": evaluation,
        "adversarial": adversarial,
        "ensemble": ensemble,
        "augmentation": {"enabled": options.augment, "kinds": ["keyword"], "share": 0.3},
        "baseline": {
            "kind": "character 1-3-gram TF-IDF + logistic regression, same split and normaliser",
            "fit_seconds": round(baseline.fit_seconds, 1),
        },
        "parity": parities,
        "versions": versions(),
        "checksums": checksums(out),
    }
    write_json(out / CARD_FILE, card)
    write_report(out, card, prep.labels)
    shutil.rmtree(work, ignore_errors=True)
    return out


def fit_ngram_half(model: Any, encoder: TextEncoder, prep: Prepared, seed: int) -> Any:
    """The n-gram half, fitted on the training split before the encoder trains beside it
    (training.ngrams); None for a model without one."""
    from training.ngrams import fit_ngrams

    if model.ngrams is None:
        return None
    split = prep.split
    return fit_ngrams(
        model.ngrams,
        encoder.encode(split.train.texts),
        prep.y(split.train),
        len(prep.labels),
        seed=seed,
    )


def choose_ensemble(
    model: Any, val_encoded: Sequence[Encoded], pad_id: int, prep: Prepared, ngram_fit: Any
) -> dict[str, Any]:
    """The encoder's share of the ensemble, chosen on validation (training.ensemble)."""
    import torch

    from training.ensemble import choose_encoder_weight
    from training.loop import predict_parts

    if model.ngrams is None:
        return {"kind": "encoder only"}
    validation = prep.split.validation
    weight = 1.0
    scores: dict[str, float] = {}
    if len(validation):
        enc, ngr = predict_parts(model, val_encoded, pad_id)
        weight, scores = choose_encoder_weight(enc, ngr, prep.y(validation), len(prep.labels))
    with torch.no_grad():
        model.encoder_weight.fill_(weight)
    log.info("ensemble: encoder weight %s (validation macro-F1 by weight: %s)", weight, scores)
    return {
        "kind": "encoder + character 1-3-gram TF-IDF linear model",
        "encoder_weight": weight,
        "validation_macro_f1_by_encoder_weight": scores,
        "ngrams": {
            "table_slots": model.ngrams.buckets,
            "grams": ngram_fit.grams,
            "left_out": ngram_fit.dropped,
            "fit_seconds": round(ngram_fit.seconds, 1),
        },
    }


def choose_block(
    out: Path, options: TrainOptions, prep: Prepared, max_fpr: float
) -> tuple[Thresholds, BlockChoice]:
    """The block threshold for --block-fpr (training.thresholds), chosen on the risk the
    exported graph gives the validation data through the serving code: the INT8 graph's
    probabilities differ from PyTorch's by up to about 0.001, enough to put a message that
    sits just below the threshold above it."""
    classifier = Classifier.load(out, threads=options.threads)
    validation = prep.split.validation
    risk = np.array([p.verdict.risk for p in classifier.classify(validation.texts)])
    scam = np.array([is_scam(label) for label in validation.labels])
    choice = choose_block_threshold(risk, scam, max_fpr, options.review_threshold)
    log.info(
        "block threshold %.2f: validation non-scam FPR %.4f (at most %g asked), scam recall %.4f",
        choice.threshold,
        choice.validation_fpr,
        choice.max_fpr,
        choice.validation_recall,
    )
    return Thresholds(options.review_threshold, choice.threshold), choice


def write_runtime_files(
    out: Path,
    options: TrainOptions,
    encoder: TextEncoder,
    labels: list[str],
    temperature: float,
    thresholds: Thresholds,
) -> str:
    """Tokenizer, labels and runtime config beside the graph, plus a card holding only the
    checksums, so the directory loads (and is evaluated) exactly as `serve` will load it."""
    encoder.tokenizer.save(str(out / TOKENIZER_FILE))
    write_json(out / LABELS_FILE, labels)
    version = f"{options.name}-{datetime.now(UTC):%Y%m%d}-{sha256_file(out / MODEL_FILE)[:12]}"
    config = RuntimeConfig(
        model_version=version,
        encoding=encoder.config,
        temperature=round(temperature, 6),
        thresholds=thresholds,
        base_model=options.base_model,
    )
    write_json(out / CONFIG_FILE, config.to_dict())
    write_json(out / CARD_FILE, {"model_version": version, "checksums": checksums(out)})
    return version


def evaluate_sets(out: Path, prep: Prepared, baseline: Any, threads: int) -> dict[str, Any]:
    """Served graph and baseline on the held-out test split and every evaluation file, with a
    paired bootstrap of their macro-F1 difference."""
    from training.evaluate import evaluate_part, part_logits
    from training.metrics import classification_report, paired_bootstrap

    classifier = Classifier.load(out, threads=threads)
    results = {}
    for name, part in [("test", prep.split.test), *prep.eval_sets.items()]:
        if not len(part):
            continue
        logits = part_logits(classifier, part)
        baseline_probs = baseline.predict_proba(part.texts)
        y = prep.y(part)
        results[name] = {
            "model": evaluate_part(classifier, part, name, logits),
            "baseline": classification_report(
                baseline_probs, y, prep.labels, classifier.thresholds
            ),
            "versus_baseline": paired_bootstrap(
                y, logits.argmax(axis=1), baseline_probs.argmax(axis=1), len(prep.labels)
            ),
        }
    return results


def adversarial_sets(out: Path, prep: Prepared, threads: int) -> dict[str, Any]:
    """Evasion robustness on the evaluation files (the test split when there are none)."""
    from training.adversarial import adversarial_report

    classifier = Classifier.load(out, threads=threads)
    sets = prep.eval_sets or {"test": prep.split.test}
    return {name: adversarial_report(classifier, part, name) for name, part in sets.items()}


def data_summary(options: TrainOptions, prep: Prepared, encoder: TextEncoder) -> dict[str, Any]:
    lengths = np.array([len(t) for t in prep.data.texts])
    return {
        "files": file_summary(options.data),
        "eval_files": file_summary(options.eval_data),
        "validation_files": file_summary(options.validation_data),
        "rows": len(prep.data),
        "distinct_texts": len(set(prep.data.texts)),
        "splits": {
            "train": prep.split.train.label_counts(),
            "validation": prep.split.validation.label_counts(),
            "test": prep.split.test.label_counts(),
            **{name: part.label_counts() for name, part in prep.eval_sets.items()},
        },
        "text_length": {
            "mean": float(lengths.mean()),
            "p50": float(np.percentile(lengths, 50)),
            "p90": float(np.percentile(lengths, 90)),
            "max": int(lengths.max()),
        },
        "truncated_share": float(np.mean([e.truncated for e in encoder.encode(prep.data.texts)])),
    }


def file_summary(paths: Sequence[str]) -> list[dict[str, Any]]:
    return [{"file": Path(p).name, "sha256": sha256_file(Path(p))} for p in paths]


def run_fingerprint(options: TrainOptions) -> str:
    """Identifies a run for resuming: the same files (by content) and the same settings."""
    settings = {k: v for k, v in asdict(options).items() if k not in ("resume", "out", "threads")}
    payload = json.dumps(
        {"settings": settings, "files": file_summary(options.data)}, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def mask_token_id(encoder: TextEncoder) -> int:
    for token in ("[MASK]", "<mask>", "[UNK]", "<unk>"):
        token_id = encoder.tokenizer.token_to_id(token)
        if token_id is not None:
            return int(token_id)
    return encoder.config.pad_id


def _use_eager_attention(model: Any) -> None:
    """Export the explicit attention so ONNX Runtime can fuse it into one kernel."""
    config = getattr(model.encoder, "config", None)
    if config is not None and hasattr(config, "_attn_implementation"):
        config._attn_implementation = "eager"


def versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import tokenizers
    import torch
    import transformers

    return {
        "fanzha": __version__,
        "normalizer": NORMALIZER_VERSION,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "tokenizers": tokenizers.__version__,
        "numpy": np.__version__,
    }
