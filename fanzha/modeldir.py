"""The model directory: what `fanzha train` writes and `serve` / `score` / `evaluate` load.

Layout (the contract in DESIGN.md):
    model.onnx       the graph served (INT8 unless trained with --no-quantize)
    tokenizer.json   Hugging Face `tokenizers` file
    labels.json      ordered label slugs, index i = output column i
    config.json      runtime settings: encoding, temperature, thresholds, versions
    card.json        metrics, data summary, versions, parity, checksums of the files above
    report.html      evaluation report with plots

Loading needs neither torch nor transformers, verifies checksums and refuses a directory that
this version of fanzha could not serve correctly, with a message that says what to do.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fanzha.normalize import NORMALIZER_VERSION
from fanzha.taxonomy import SLUGS
from fanzha.tokenizer import EncodingConfig

FORMAT_VERSION = 1
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
LABELS_FILE = "labels.json"
CONFIG_FILE = "config.json"
CARD_FILE = "card.json"
REPORT_FILE = "report.html"
CHECKSUMMED = (MODEL_FILE, TOKENIZER_FILE, LABELS_FILE, CONFIG_FILE)


class ModelDirError(RuntimeError):
    """A model directory that cannot be served; the message says how to fix it."""


@dataclass(frozen=True)
class Thresholds:
    """Risk cut-offs for `suggestion`: risk >= block -> block, >= review -> review, else pass."""

    review: float = 0.5
    block: float = 0.9

    def __post_init__(self) -> None:
        if not 0.0 <= self.review <= self.block <= 1.0:
            raise ValueError(
                f"thresholds must satisfy 0 <= review <= block <= 1, got review={self.review}, "
                f"block={self.block}"
            )


@dataclass(frozen=True)
class RuntimeConfig:
    """Everything the runtime needs beyond the graph and the tokenizer."""

    model_version: str
    encoding: EncodingConfig
    temperature: float = 1.0
    thresholds: Thresholds = field(default_factory=Thresholds)
    normalizer_version: str = NORMALIZER_VERSION
    format_version: int = FORMAT_VERSION
    base_model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "model_version": self.model_version,
            "normalizer_version": self.normalizer_version,
            "base_model": self.base_model,
            "temperature": self.temperature,
            "thresholds": {"review": self.thresholds.review, "block": self.thresholds.block},
            "encoding": self.encoding.to_dict(),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RuntimeConfig:
        return cls(
            model_version=str(raw["model_version"]),
            encoding=EncodingConfig(**raw["encoding"]),
            temperature=float(raw.get("temperature", 1.0)),
            thresholds=Thresholds(**raw.get("thresholds", {})),
            normalizer_version=str(raw["normalizer_version"]),
            format_version=int(raw["format_version"]),
            base_model=raw.get("base_model"),
        )


@dataclass(frozen=True)
class ModelDir:
    path: Path
    labels: tuple[str, ...]
    config: RuntimeConfig
    card: dict[str, Any]

    @property
    def model_path(self) -> Path:
        return self.path / MODEL_FILE

    @property
    def tokenizer_path(self) -> Path:
        return self.path / TOKENIZER_FILE

    @property
    def version(self) -> str:
        return self.config.model_version


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(path: Path) -> dict[str, str]:
    return {name: sha256_file(path / name) for name in CHECKSUMMED}


def write_json(path: Path, data: Any) -> None:
    """Write via a temporary file so a crash never leaves a half-written JSON behind."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelDirError(f"{path} is not valid JSON ({exc}); re-export the model") from exc


def load_model_dir(path: str | Path, verify: bool = True) -> ModelDir:
    """Read and check a model directory; raise ModelDirError saying what is wrong."""
    root = Path(path)
    if not root.is_dir():
        raise ModelDirError(
            f"model directory {root} does not exist; pass a directory written by `fanzha train` "
            "(the default model is models/default)"
        )
    missing = [name for name in (*CHECKSUMMED, CARD_FILE) if not (root / name).is_file()]
    if missing:
        raise ModelDirError(
            f"model directory {root} is incomplete: missing {', '.join(missing)}; "
            "it must be written by `fanzha train` (or copied whole)"
        )
    card = _read_json(root / CARD_FILE)
    if verify:
        expected = card.get("checksums", {})
        for name in CHECKSUMMED:
            if name not in expected:
                raise ModelDirError(f"{root / CARD_FILE} has no checksum for {name}; re-export")
            if sha256_file(root / name) != expected[name]:
                raise ModelDirError(
                    f"{root / name} does not match the checksum in its card: the directory was "
                    "modified or partly copied; copy the whole directory again or retrain"
                )
    raw_config = _read_json(root / CONFIG_FILE)
    try:
        config = RuntimeConfig.from_dict(raw_config)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelDirError(f"{root / CONFIG_FILE} is not a valid fanzha config: {exc}") from exc
    if config.format_version != FORMAT_VERSION:
        raise ModelDirError(
            f"{root} uses model-directory format {config.format_version}, this fanzha reads "
            f"format {FORMAT_VERSION}; retrain the model or install a matching fanzha"
        )
    if config.normalizer_version != NORMALIZER_VERSION:
        raise ModelDirError(
            f"{root} was trained with text normaliser {config.normalizer_version!r} but this "
            f"fanzha normalises with {NORMALIZER_VERSION!r}; serving it would feed the model text "
            "it never saw. Retrain the model with this version, or install the fanzha it was "
            "trained with"
        )
    labels = tuple(_read_json(root / LABELS_FILE))
    unknown = [label for label in labels if label not in SLUGS]
    if unknown or len(labels) < 2 or len(set(labels)) != len(labels):
        raise ModelDirError(
            f"{root / LABELS_FILE} must list at least two distinct taxonomy slugs; "
            f"found {list(labels)}"
        )
    return ModelDir(root, labels, config, card)
