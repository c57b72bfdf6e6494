"""The pretrained path: `--base-model` fine-tunes a BERT-family checkpoint with its own
tokenizer. A tiny checkpoint is built here with `save_pretrained`, so the real loading code
(AutoTokenizer / AutoModel from a directory) runs without any download."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fanzha.classifier import Classifier
from tests.conftest import tiny_records
from training.model import BaseModelError
from training.pipeline import TrainOptions, run_training


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import BertConfig, BertModel, BertTokenizerFast

    path = tmp_path_factory.mktemp("ckpt") / "tiny-bert-zh"
    path.mkdir()
    chars = sorted({c for r in tiny_records() for c in r["text"].lower() if not c.isspace()})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast.from_pretrained(path)  # reads vocab.txt, writes tokenizer.json
    assert tokenizer.backend_tokenizer.get_vocab_size() == len(vocab)
    tokenizer.save_pretrained(path)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(path)
    return path


def test_fine_tune_from_a_saved_checkpoint(
    tmp_path: Path, tiny_data: Path, tiny_checkpoint: Path
) -> None:
    out = run_training(
        TrainOptions(
            data=[str(tiny_data)],
            out=str(tmp_path / "model"),
            base_model=str(tiny_checkpoint),
            max_length=64,
            epochs=3,
            batch_size=16,
            learning_rate=3e-3,
            augment=False,
            threads=2,
        )
    )
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    assert card["architecture"]["base_model"] == str(tiny_checkpoint)
    assert card["architecture"]["hidden"] == 32
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["base_model"] == str(tiny_checkpoint)
    # the checkpoint's own WordPiece tokenizer travels with the model
    tokenizer = json.loads((out / "tokenizer.json").read_text(encoding="utf-8"))
    assert tokenizer["model"]["type"] == "WordPiece"
    assert card["parity"]["int8"]["label_agreement"] >= 0.95
    classifier = Classifier.load(out)
    (prediction,) = classifier.classify(["您的验证码是5678，5分钟内有效，请勿泄露给他人。"])
    assert prediction.verdict.label in classifier.labels
    assert card["evaluation"]["test"]["model"]["accuracy"] > 0.5


def test_a_checkpoint_that_does_not_exist_is_a_clear_error(tmp_path: Path, tiny_data: Path) -> None:
    with pytest.raises(BaseModelError, match=r"nope: no config\.json there"):
        run_training(
            TrainOptions(
                data=[str(tiny_data)], out=str(tmp_path / "m"), base_model=str(tmp_path / "nope")
            )
        )
