from __future__ import annotations

import pytest

from fanzha.taxonomy import LABELS, SCAM_SLUGS, SLUGS, UnknownLabelError, is_scam, to_slug


def test_thirteen_labels_and_scam_flags() -> None:
    assert len(SLUGS) == 13 == len(set(SLUGS))
    assert set(SLUGS) - {"normal", "marketing"} == SCAM_SLUGS
    assert all(is_scam(label.slug) == label.is_scam for label in LABELS)


@pytest.mark.parametrize(
    ("alias", "slug"),
    [
        ("冒充公检法及政府机关类", "impersonate_authority"),
        ("贷款、代办信用卡类", "loan_credit"),
        ("冒充客服服务", "impersonate_customer_service"),
        ("冒充电商物流客服类", "impersonate_customer_service"),
        ("冒充领导、熟人类", "impersonate_acquaintance"),
        ("刷单返利类", "rebate_task"),
        ("虚假网络投资理财类", "investment"),
        ("虚假贷款类", "loan_credit"),
        ("虚假征信类", "loan_credit"),
        ("虚假信用服务类", "loan_credit"),
        ("虚假购物、服务类", "fake_shopping_service"),
        ("冒充军警购物类诈骗", "fake_shopping_service"),
        ("网络游戏产品虚假交易类", "game_trade"),
        ("网络婚恋、交友类", "romance"),
        ("0", "normal"),
        (0, "normal"),
        ("正常", "normal"),
        ("无风险", "normal"),
        (" 刷单返利类 ", "rebate_task"),
        ("冒充领导，熟人类", "impersonate_acquaintance"),
        ("营销推广", "marketing"),
        ("中奖、积分、补贴退税钓鱼", "phishing_prize"),
        ("赌博、色情推广", "gambling_porn"),
        ("Impersonate_Authority", "impersonate_authority"),
    ],
)
def test_aliases_map_to_slugs(alias: object, slug: str) -> None:
    assert to_slug(alias) == slug


@pytest.mark.parametrize("slug", SLUGS)
def test_slugs_and_chinese_names_map_to_themselves(slug: str) -> None:
    label = next(label for label in LABELS if label.slug == slug)
    assert to_slug(slug) == slug
    assert to_slug(label.zh) == slug


@pytest.mark.parametrize("bad", ["诈骗", "scam", "1", 1, "", None, True, "类"])
def test_unknown_labels_are_errors_not_guesses(bad: object) -> None:
    with pytest.raises(UnknownLabelError, match="not a slug or a known alias"):
        to_slug(bad)
