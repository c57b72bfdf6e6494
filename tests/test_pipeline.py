"""End to end: train -> export -> load without torch -> predict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from fanzha.modeldir import CHECKSUMMED, load_model_dir


def test_tiny_model_dir_is_complete(tiny_model_dir: Path) -> None:
    model = load_model_dir(tiny_model_dir)
    assert model.labels == ("normal", "marketing", "rebate_task", "impersonate_authority")
    card = json.loads((tiny_model_dir / "card.json").read_text(encoding="utf-8"))
    assert set(card["checksums"]) == set(CHECKSUMMED)
    assert card["evaluation"]["test"]["model"]["n"] > 0
    assert "baseline" in card["evaluation"]["test"]
    versus = card["evaluation"]["test"]["versus_baseline"]
    assert versus["low"] <= versus["difference"] <= versus["high"]
    assert card["parity"]["int8"]["label_agreement"] >= 0.95
    ensemble = card["ensemble"]
    scores = ensemble["validation_macro_f1_by_encoder_weight"]
    assert "0.0" in scores and scores[str(ensemble["encoder_weight"])] == max(scores.values())
    assert ensemble["ngrams"]["grams"] > 0
    report = (tiny_model_dir / "report.html").read_text(encoding="utf-8")
    assert len(report) > 10_000 and "ensemble: n-gram half" in report
    assert "block 0.90 (set by hand)" in report
    assert "macro-F1, model − baseline:" in report
    assert not (tiny_model_dir / ".work").exists()


def test_tiny_model_learns_its_labels(tiny_model_dir: Path) -> None:
    card = json.loads((tiny_model_dir / "card.json").read_text(encoding="utf-8"))
    assert card["evaluation"]["test"]["model"]["macro_f1"] >= 0.9


def test_runtime_loads_without_torch(tiny_model_dir: Path) -> None:
    """A fresh interpreter classifies with the model directory while torch and transformers
    are made unimportable: the serving path must not need them."""
    code = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('torch', 'transformers'):
            raise ImportError('blocked ' + name)
sys.meta_path.insert(0, Block())
from fanzha.classifier import Classifier
c = Classifier.load({str(tiny_model_dir)!r})
out = c.classify(['您的验证码是1234，请勿泄露。', '我是公安局民警，你涉嫌洗钱，请转入安全账户'])
print(out[0].verdict.label, out[1].verdict.label)
assert not any(m.split('.')[0] in ('torch', 'transformers') for m in sys.modules)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["normal", "impersonate_authority"]


def test_pytorch_weights_reload_to_the_same_predictions(tiny_model_dir: Path) -> None:
    """The saved PyTorch weights are the exported model: same logits as the FP32 math."""
    import numpy as np
    import torch

    from fanzha.classifier import Classifier
    from fanzha.tokenizer import pad_batch
    from training.model import load_trained

    classifier = Classifier.load(tiny_model_dir)
    model = load_trained(tiny_model_dir / "pytorch")
    texts = ["您的验证码是1234，请勿泄露。", "【优品】会员日5折，回T退订。", "兼职刷单日结300"]
    encoded = classifier.encoder.encode(texts)
    ids, mask = (torch.from_numpy(a) for a in pad_batch(encoded))
    with torch.inference_mode():
        torch_logits = model(ids, mask).numpy()
    onnx_logits = classifier.logits_in_order(encoded)
    assert (torch_logits.argmax(1) == onnx_logits.argmax(1)).all()
    assert np.abs(torch_logits - onnx_logits).max() < 0.2  # INT8 graph vs FP32 weights


def _warm_started(tiny_model_dir: Path, data: Path, out: Path, **options: Any) -> Path:
    """One quick epoch from the tiny model (same vocabulary), the cheapest real training run."""
    from training.pipeline import TrainOptions, run_training

    return run_training(
        TrainOptions(
            data=[str(data)],
            out=str(out),
            init_from=str(tiny_model_dir),
            max_length=64,
            epochs=1,
            batch_size=16,
            augment=False,
            threads=2,
            **options,
        )
    )


def test_warm_start_from_a_trained_model_directory(tiny_model_dir: Path, tmp_path: Path) -> None:
    """--init-from reuses the tokenizer and encoder; a label subset keeps its head rows."""
    from tests.conftest import tiny_records, write_jsonl

    records = [r for r in tiny_records(seed=11) if r["label"] in ("normal", "rebate_task")]
    data = write_jsonl(tmp_path / "two.jsonl", records)
    out = _warm_started(tiny_model_dir, data, tmp_path / "warm")
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    assert card["architecture"]["init_from"].startswith(str(tiny_model_dir))
    assert load_model_dir(out).labels == ("normal", "rebate_task")
    assert (out / "tokenizer.json").read_bytes() == (tiny_model_dir / "tokenizer.json").read_bytes()
    assert card["evaluation"]["test"]["model"]["accuracy"] >= 0.9


def test_block_threshold_chosen_on_validation_for_a_rate(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    """--block-fpr: the served block threshold is the lowest 0.01 step at which the validation
    data's non-scam messages stay within the rate, measured on the served (INT8) graph."""
    import numpy as np

    from fanzha.classifier import Classifier
    from fanzha.taxonomy import is_scam
    from tests.conftest import tiny_records, write_jsonl

    validation = tiny_records(per_label=40, seed=12)
    out = _warm_started(
        tiny_model_dir,
        write_jsonl(tmp_path / "train.jsonl", tiny_records(seed=11)),
        tmp_path / "chosen",
        validation_data=[str(write_jsonl(tmp_path / "val.jsonl", validation))],
        review_threshold=0.3,
        block_fpr=0.0,
    )
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    block = load_model_dir(out).config.thresholds.block
    choice = card["training"]["thresholds"]["block_choice"]
    assert card["training"]["thresholds"]["block"] == choice["threshold"] == block
    assert choice["chosen_on"] == "validation" and choice["max_fpr"] == 0.0
    classifier = Classifier.load(out)
    risk = np.array([p.verdict.risk for p in classifier.classify([r["text"] for r in validation])])
    non_scam = np.array([not is_scam(r["label"]) for r in validation])
    assert not (risk[non_scam] >= block).any()
    assert block == 0.3 or (risk[non_scam] >= block - 0.01).any()  # the lowest such step
    assert choice["validation_recall"] == np.mean(risk[~non_scam] >= block)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert f"block {block:.2f} (chosen on validation data" in report


def test_bad_block_fpr_setups_fail_before_training(tmp_path: Path) -> None:
    from dataclasses import replace

    import pytest

    from fanzha.errors import UserError
    from tests.conftest import tiny_records, write_jsonl
    from training.data import DataError
    from training.pipeline import TrainOptions, run_training

    records = tiny_records(per_label=20, seed=5)
    scams = [r for r in records if r["label"] not in ("normal", "marketing")]
    options = TrainOptions(
        data=[str(write_jsonl(tmp_path / "train.jsonl", records))],
        validation_data=[str(write_jsonl(tmp_path / "val.jsonl", scams))],
        out=str(tmp_path / "never"),
        block_fpr=0.01,
    )
    with pytest.raises(DataError, match="--block-fpr"):
        run_training(options)
    every_label = [str(write_jsonl(tmp_path / "all.jsonl", records))]
    with pytest.raises(UserError, match="--block-fpr must be"):
        run_training(replace(options, validation_data=every_label, block_fpr=1.5))
    assert not (tmp_path / "never" / "model.onnx").exists()


def test_training_options_come_back_from_the_card(tiny_model_dir: Path, tmp_path: Path) -> None:
    from training.pipeline import TrainOptions

    options = TrainOptions.from_card(tiny_model_dir)
    assert (options.size, options.max_length, options.epochs, options.augment) == (
        "micro",
        64,
        6,
        False,
    )
    assert options.out == str(tiny_model_dir)
    # a card written by another version may carry options this one does not know
    card = json.loads((tiny_model_dir / "card.json").read_text(encoding="utf-8"))
    card["training"]["options"]["option_of_a_later_version"] = 1
    (tmp_path / "card.json").write_text(json.dumps(card), encoding="utf-8")
    assert TrainOptions.from_card(tmp_path) == options
