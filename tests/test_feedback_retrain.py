"""The loop the feature exists for: analysts correct messages the model got wrong (a scam script
it has never seen, passed as normal), export the corrections, retrain with
`fanzha train --data corpus --data feedback.jsonl`, and the new model classifies the corrected
messages as corrected. Runs the real commands on the tiny model (about ten seconds)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import httpx
import pytest

from fanzha.classifier import Classifier
from fanzha.cli import main as fanzha
from tests.conftest import tiny_records
from tests.service_helpers import thread_server

CITIES = ("杭州", "成都", "南京", "武汉")
AMOUNTS = (88, 168, 299)
NEW_SCRIPT = [
    f"亲，您在{city}购买的包裹运输途中破损，快递公司同意三倍理赔{amount}元，请点击链接填写退款信息"
    for city in CITIES
    for amount in AMOUNTS
]
# the tiny model's recipe (tests/conftest.py), as command-line flags
TRAIN_FLAGS = shlex.split(
    "--size micro --max-length 64 --epochs 6 --batch-size 16 --learning-rate 3e-3 --patience 6 "
    "--no-augment --threads 2"
)


def test_corrections_retrain_the_model(
    tiny_model_dir: Path, tiny_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = f"sqlite:///{tmp_path}/feedback.sqlite3"
    with thread_server(tiny_model_dir, database_url=database) as srv:
        messages = [{"id": f"gw-{i}", "text": t} for i, t in enumerate(NEW_SCRIPT)]
        served = httpx.post(srv.url + "/v1/classify", json={"messages": messages}).json()
        assert all(r["label"] != "impersonate_customer_service" for r in served["results"])
        for i, message in enumerate(messages):
            # half by the id the gateway used, half by text, with the official Chinese name
            key = {"id": message["id"]} if i % 2 else {"text": message["text"]}
            body = {
                **key,
                "label": "冒充电商物流客服类",
                "analyst": "张三",
                "note": "快递理赔新话术",
            }
            response = httpx.post(srv.url + "/v1/feedback", json=body)
            assert response.status_code == 201, response.text

    exported = tmp_path / "feedback.jsonl"
    from service.feedback_cli import main as feedback

    assert feedback(["export", "--database-url", database, "--out", str(exported)]) == 0
    rows = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["text"] for r in rows) == sorted(NEW_SCRIPT)
    assert {r["label"] for r in rows} == {"impersonate_customer_service"}
    assert {r["served_label"] for r in rows} <= {"normal", "marketing", "rebate_task"}

    new_dir = tmp_path / "retrained"
    args = ["train", "--data", str(tiny_data), "--data", str(exported), "--out", str(new_dir)]
    assert fanzha([*args, *TRAIN_FLAGS]) == 0
    assert "longer than --max-length (64 tokens) and were cut" in capsys.readouterr().out

    retrained = Classifier.load(new_dir, threads=2)
    assert "impersonate_customer_service" in retrained.labels
    verdicts = [p.verdict for p in retrained.classify(NEW_SCRIPT)]
    assert [v.label for v in verdicts] == ["impersonate_customer_service"] * len(NEW_SCRIPT)
    assert all(v.is_scam for v in verdicts)
    # and it still knows what it knew
    sample = tiny_records(per_label=10, seed=99)
    predicted = [p.verdict.label for p in retrained.classify([r["text"] for r in sample])]
    agreement = sum(p == r["label"] for p, r in zip(predicted, sample, strict=True)) / len(sample)
    assert agreement >= 0.9
