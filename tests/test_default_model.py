"""The shipped model: it loads as the service loads it, gets plain cases right, gives a
disguised message the verdict of its plain form, and its card tells the truth about it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from fanzha.classifier import Classifier
from fanzha.modeldir import CARD_FILE, checksums
from training.perturb import ADVERSARIAL_KINDS, applicable, perturb

DEFAULT = Path(__file__).resolve().parents[1] / "models" / "default"

OBVIOUS = [
    ("您的验证码为483920，用于登录，5分钟内有效，请勿泄露给他人。", "normal"),
    ("【京东】会员日满299减50，今晚8点开抢，退订回T", "marketing"),
    (
        "我是市公安局民警，你的身份证涉嫌洗钱，需要把资金转入安全账户配合调查，不要告诉家人。",
        "impersonate_authority",
    ),
    ("招聘兼职，在家点赞关注，一单3元，日结，加微信jz8866领任务，先垫付后返佣", "rebate_task"),
    ("您的ETC已失效，请点击 etc-renew.cn 重新认证，逾期将停用", "phishing_prize"),
]

SCAMS = [
    "我是市公安局民警，你的身份证涉嫌洗钱，需要把资金转入安全账户配合调查，不要告诉家人。",
    "招聘兼职，在家点赞关注，一单3元，日结，加微信jz8866领任务，先垫付后返佣",
    "您好，我是淘宝客服，您购买的商品质量有问题，给您办理双倍退款，请下载会议软件共享屏幕。",
    "内部消息，老师带单稳赚不赔，加QQ 583920117进群，收益翻倍",
    "无抵押无担保，身份证就能贷款20万，秒批到账，先交1000元解冻费",
    "恭喜您的手机号获得积分兑换大礼，请登录 https://jf-10086.top 领取，今日过期",
]


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load(DEFAULT, threads=2)


def test_loads_with_its_checksums_and_a_truthful_card(classifier: Classifier) -> None:
    card = json.loads((DEFAULT / CARD_FILE).read_text(encoding="utf-8"))
    assert card["checksums"] == checksums(DEFAULT)
    assert card["model_version"] == classifier.version
    assert len(classifier.labels) == 13
    assert card["parity"]["int8"]["label_agreement"] >= 0.995
    assert (DEFAULT / "report.html").stat().st_size > 0


@pytest.mark.parametrize(("text", "label"), OBVIOUS)
def test_obvious_cases(classifier: Classifier, text: str, label: str) -> None:
    verdict = classifier.classify([text])[0].verdict
    assert verdict.label == label
    assert verdict.is_scam == (label not in ("normal", "marketing"))


@pytest.mark.parametrize("kind", ADVERSARIAL_KINDS)
def test_disguised_scams_keep_their_verdict(classifier: Classifier, kind: str) -> None:
    rng = random.Random(7)
    plain = [p.verdict for p in classifier.classify(SCAMS)]
    texts = [t for t in SCAMS if applicable(t, kind)]
    assert texts, f"no example for {kind}"
    disguised = [perturb(t, kind, rng) for t in texts]
    assert disguised != texts
    got = [p.verdict for p in classifier.classify(disguised)]
    want = [v for t, v in zip(SCAMS, plain, strict=True) if applicable(t, kind)]
    assert [v.is_scam for v in got] == [True] * len(texts)
    if kind != "keyword":  # tricks the normaliser undoes: exactly the plain form's label
        assert [v.label for v in got] == [v.label for v in want]
