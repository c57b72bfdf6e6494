"""The training loop: an interrupted run resumes to exactly the weights of an uninterrupted one,
and with `weight_average` the moving average of the weights is what is validated and kept."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import torch

from fanzha.errors import UserError
from tests.conftest import tiny_records
from training.data import Labelled
from training.loop import LoopConfig, WeightAverage, fit
from training.pipeline import TrainOptions, build_model, run_training


class Interrupted(Exception):
    pass


def _setup() -> tuple[torch.nn.Module, object, list[str], np.ndarray, list[str]]:
    records = tiny_records(per_label=12, seed=3)
    labels = sorted({r["label"] for r in records})
    texts = [r["text"] for r in records]
    y = np.array([labels.index(r["label"]) for r in records])
    options = TrainOptions(data=["unused"], out="unused", size="micro", max_length=48)
    torch.manual_seed(5)
    model, encoder, _ = build_model(options, Labelled(texts, [r["label"] for r in records]), labels)
    return model, encoder, texts, y, labels


def _train(
    checkpoints: Path,
    weight_average: float,
    stop_at: int | None = None,
    resume: bool = False,
    epochs: int = 3,
) -> tuple[dict[str, torch.Tensor], list[float]]:
    model, encoder, texts, y, _ = _setup()
    config = LoopConfig(
        epochs=epochs, batch_size=8, patience=9, seed=2, threads=1, weight_average=weight_average
    )

    def augment(batch: Sequence[str], epoch: int) -> list[str]:
        if epoch == stop_at:  # an interruption at the start of this epoch, as Ctrl-C would be
            raise Interrupted
        return list(batch)

    result = fit(model, encoder, texts, y, texts[:16], y[:16], config, checkpoints, resume, augment)
    return model.state_dict(), [h["val_macro_f1"] for h in result.history]


@pytest.mark.parametrize("weight_average", [0.0, 0.9])
def test_a_resumed_run_ends_with_the_uninterrupted_runs_weights(
    tmp_path: Path, weight_average: float
) -> None:
    straight, history = _train(tmp_path / "straight", weight_average)
    with pytest.raises(Interrupted):
        _train(tmp_path / "broken", weight_average, stop_at=3)
    resumed, resumed_history = _train(tmp_path / "broken", weight_average, resume=True)
    assert resumed_history == history
    for name, tensor in straight.items():
        assert torch.equal(tensor, resumed[name]), name


def test_the_kept_weights_are_the_average(tmp_path: Path) -> None:
    weights, _ = _train(tmp_path / "run", 0.9, epochs=1)  # one epoch: the best, and the last
    saved = torch.load(tmp_path / "run" / "last.pt", weights_only=False)
    shadow = saved["average"]["shadow"]
    assert shadow and all(torch.equal(weights[k], v) for k, v in shadow.items())
    # training goes on from its own weights, not from the average it validated
    assert any(not torch.equal(weights[k], saved["model"][k]) for k in shadow)


def test_weight_average_follows_the_weights() -> None:
    layer = torch.nn.Linear(2, 1)
    average = WeightAverage(layer, decay=0.5)
    start = layer.weight.detach().clone()
    with torch.no_grad():
        layer.weight.add_(1.0)
    for _ in range(20):
        average.update(layer)
    # after many steps the average has caught up with weights that stopped moving
    assert torch.allclose(average.shadow["weight"], start + 1.0, atol=1e-4)
    with torch.no_grad():
        layer.weight.add_(1.0)
    raw = average.swap_in(layer)
    assert torch.allclose(layer.weight, start + 1.0, atol=1e-4)
    layer.load_state_dict(raw)
    assert torch.allclose(layer.weight, start + 2.0)


def test_weight_average_needs_a_decay_below_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        WeightAverage(torch.nn.Linear(2, 1), decay=1.0)
    options = TrainOptions(data=["unused"], out=str(tmp_path / "out"), weight_average=1.0)
    with pytest.raises(UserError, match="--weight-average must be at least 0"):
        run_training(options)  # refused before any data is read or directory made
    assert not (tmp_path / "out").exists()
