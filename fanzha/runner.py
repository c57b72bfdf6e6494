"""The ONNX runner: the only place a model graph is executed at run time.

Threads are set deliberately. One process on the whole machine wants intra-op threads equal
to its cores with spinning on (lowest latency); several worker processes sharing the cores
want one or two threads each with spinning off, or they burn each other's CPU while idle.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnxruntime as ort


def default_threads() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


class OnnxRunner:
    """`predict(input_ids, attention_mask) -> logits` over one ONNX Runtime session."""

    def __init__(
        self, model_path: str | Path, intra_op_threads: int = 0, allow_spinning: bool = True
    ) -> None:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = intra_op_threads or default_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.add_session_config_entry(
            "session.intra_op.allow_spinning", "1" if allow_spinning else "0"
        )
        self.session = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.threads = options.intra_op_num_threads

    def predict(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": input_ids, "attention_mask": attention_mask}
        if "token_type_ids" in self.input_names:
            feed["token_type_ids"] = np.zeros_like(input_ids)
        (logits,) = self.session.run(["logits"], feed)
        return np.asarray(logits, dtype=np.float32)

    def warmup(self, max_length: int = 64) -> None:
        """Run a few shapes once so the first real request does not pay for allocation."""
        for batch, width in ((1, 8), (8, 32), (32, max_length)):
            ids = np.full((batch, width), 5, dtype=np.int64)
            self.predict(ids, np.ones_like(ids))
