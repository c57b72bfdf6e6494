"""Export to ONNX: dynamic batch and sequence axes, ONNX Runtime graph fusion, dynamic INT8
quantisation, and a parity check against PyTorch recorded in the model card.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from fanzha.decision import softmax
from fanzha.runner import OnnxRunner
from fanzha.tokenizer import Encoded, length_sorted_batches, pad_batch
from training.loop import predict_logits
from training.model import SequenceClassifier

log = logging.getLogger(__name__)
OPSET = 17


@dataclass(frozen=True)
class ExportedGraphs:
    fp32: Path
    int8: Path | None
    fused: bool


def export_onnx(model: nn.Module, path: Path, vocab_size: int) -> None:
    model.eval()
    ids = torch.randint(5, vocab_size, (2, 16), dtype=torch.long)
    mask = torch.ones_like(ids)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's tracer warnings are about shapes we fix
        torch.onnx.export(
            model,
            (ids, mask),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "logits": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )


def fuse_transformer(src: Path, dst: Path, num_heads: int, hidden: int) -> bool:
    """ONNX Runtime's transformer fusions (attention, layer norm, GELU): fewer, larger kernels.
    Returns False, leaving an unfused copy, if the graph does not match the BERT patterns."""
    from onnxruntime.transformers.optimizer import optimize_model

    for name in ("onnx_model", "onnx_model_bert", "fusion_base", "fusion_utils", "fusion_options"):
        logging.getLogger(name).setLevel(logging.WARNING)  # per-fusion INFO lines are noise
    try:
        optimized = optimize_model(
            str(src), model_type="bert", num_heads=num_heads, hidden_size=hidden, opt_level=1
        )
        optimized.save_model_to_file(str(dst))
        fused = optimized.get_fused_operator_statistics()
        return bool(fused.get("Attention", 0) or fused.get("MultiHeadAttention", 0))
    except Exception as exc:  # fusion is an optimisation: never fail the export for it
        log.warning("transformer fusion skipped (%s); exporting the unfused graph", exc)
        dst.write_bytes(src.read_bytes())
        return False


def quantize_int8(src: Path, dst: Path) -> None:
    """Dynamic INT8: weights stored as int8, activations quantised on the fly; no calibration
    data needed and it stays accurate for small text encoders."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger("root").setLevel(logging.ERROR)  # quantize_dynamic's pre-processing hint
    import onnx

    quantize_dynamic(
        str(src),
        str(dst),
        weight_type=QuantType.QInt8,
        per_channel=True,
        # fused contrib ops defeat ONNX shape inference; their outputs are float
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def export_model(
    model: nn.Module, out_dir: Path, vocab_size: int, num_heads: int, hidden: int, quantize: bool
) -> ExportedGraphs:
    raw, fp32, int8 = out_dir / "raw.onnx", out_dir / "model.fp32.onnx", out_dir / "model.int8.onnx"
    export_onnx(model, raw, vocab_size)
    fused = fuse_transformer(raw, fp32, num_heads, hidden)
    raw.unlink()
    if quantize:
        quantize_int8(fp32, int8)
    return ExportedGraphs(fp32, int8 if quantize else None, fused)


def parity(
    model: SequenceClassifier,
    graph: Path,
    encoded: Sequence[Encoded],
    temperature: float,
    pad_id: int,
) -> dict[str, Any]:
    """How far the ONNX graph strays from PyTorch on the same inputs."""
    torch_probs = softmax(predict_logits(model, encoded, pad_id), temperature)
    runner = OnnxRunner(graph)
    onnx_logits = np.zeros_like(torch_probs)
    for idx in length_sorted_batches(encoded, 64):
        onnx_logits[idx] = runner.predict(*pad_batch([encoded[i] for i in idx], pad_id))
    onnx_probs = softmax(onnx_logits, temperature)
    return {
        "n": len(encoded),
        "label_agreement": float((torch_probs.argmax(1) == onnx_probs.argmax(1)).mean()),
        "max_abs_prob_diff": float(np.abs(torch_probs - onnx_probs).max()),
        "mean_abs_prob_diff": float(np.abs(torch_probs - onnx_probs).mean()),
    }
