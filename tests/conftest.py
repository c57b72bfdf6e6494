"""Shared fixtures: a tiny labelled data set and a tiny model trained from it in seconds.

The tiny model goes through the real pipeline (train -> ONNX export -> INT8 -> model
directory), so every test that serves or scores it exercises the real runtime.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

TINY_TEMPLATES = {
    "normal": [
        "您的验证码是{n4}，5分钟内有效，请勿泄露给他人。",
        "妈，我周末回家吃饭，帮我留点{food}。",
        "您尾号{n4}的储蓄卡{m}月{d}日支出{amt}元，余额{amt2}元。",
        "快递已到{city}驿站，取件码{n4}，请及时领取。",
    ],
    "marketing": [
        "【{shop}】会员日全场{k}折起，满{amt}减{k}0，回T退订。",
        "【{shop}】新品上市，领{k}0元优惠券，详情见App，拒收请回复R。",
        "【{shop}】双十一预售开启，定金翻倍，退订回TD。",
    ],
    "impersonate_authority": [
        "我是{city}公安局民警，你的账户涉嫌洗钱，请将资金转入安全账户{n4}配合调查。",
        "{city}检察院通知：你名下银行卡涉嫌违法，已被冻结，请立即联系办案人员{n4}。",
        "社保局通知：您的社保卡异常将被停用，请点击链接{url}进行资金核查。",
    ],
    "rebate_task": [
        "招聘兼职，点赞关注一单佣金{k}元，日结{amt}元，加微信{n4}领任务。",
        "刷单返利，先垫付{amt}元，完成任务返本金加{k}0%佣金，联系客服{n4}。",
        "在家动动手指就能赚钱，做任务返佣金，每天轻松{amt}元，详询QQ{n4}{n4}。",
    ],
}
FILL = {
    "food": ["饺子", "红烧肉", "汤圆"],
    "city": ["杭州", "成都", "南京", "武汉"],
    "shop": ["优品", "鲜果坊", "悦读书城"],
    "url": ["http://a1b.cn/x", "www.sb-kz.top", "t.cn/AbC9"],
}


def _fill(template: str, rng: random.Random) -> str:
    values = {
        "n4": str(rng.randint(1000, 9999)),
        "m": str(rng.randint(1, 12)),
        "d": str(rng.randint(1, 28)),
        "k": str(rng.randint(2, 9)),
        "amt": str(rng.randint(50, 5000)),
        "amt2": f"{rng.randint(100, 99999)}.{rng.randint(10, 99)}",
        **{key: rng.choice(options) for key, options in FILL.items()},
    }
    return template.format(**values)


def tiny_records(per_label: int = 100, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    records = []
    for label, templates in TINY_TEMPLATES.items():
        seen: set[str] = set()
        while len(seen) < per_label:
            text = _fill(rng.choice(templates), rng)
            if text not in seen:
                seen.add(text)
                records.append({"text": text, "label": label})
    rng.shuffle(records)
    return records


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("data") / "tiny.jsonl", tiny_records())


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, tiny_data: Path) -> Path:
    """A micro model trained for a few epochs: enough to learn the four tiny labels."""
    from training.pipeline import TrainOptions, run_training

    out = tmp_path_factory.mktemp("models") / "tiny"
    options = TrainOptions(
        data=[str(tiny_data)],
        out=str(out),
        size="micro",
        max_length=64,
        epochs=6,
        batch_size=16,
        learning_rate=3e-3,
        patience=6,
        augment=False,
        threads=2,
    )
    return run_training(options)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One PostgreSQL server for the session (skips with a hint where none can be started)."""
    from tests.feedback_helpers import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each feedback-store test runs on SQLite and on an emptied PostgreSQL database."""
    from tests.feedback_helpers import reset_database

    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/feedback.sqlite3"
    url: str = request.getfixturevalue("postgres_url")
    reset_database(url)
    return url
