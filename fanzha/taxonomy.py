"""The label taxonomy: slugs are the contract; official Chinese case names are accepted aliases.

Analysts label data the way their centre labels it (公安部 fraud types, CCL23 case classes),
so every entry point maps those names to slugs here, and an unknown label is an error rather
than a guess.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Label:
    slug: str
    zh: str
    is_scam: bool


LABELS: tuple[Label, ...] = (
    Label("normal", "正常", False),
    Label("marketing", "营销推广", False),
    Label("rebate_task", "刷单返利", True),
    Label("investment", "虚假网络投资理财", True),
    Label("loan_credit", "虚假贷款、代办信用卡、虚假征信", True),
    Label("impersonate_customer_service", "冒充电商物流客服", True),
    Label("impersonate_authority", "冒充公检法及政府机关", True),
    Label("impersonate_acquaintance", "冒充领导、熟人", True),
    Label("fake_shopping_service", "虚假购物、服务", True),
    Label("game_trade", "网络游戏产品虚假交易", True),
    Label("romance", "网络婚恋、交友", True),
    Label("phishing_prize", "中奖、积分、补贴退税钓鱼", True),
    Label("gambling_porn", "赌博、色情推广", True),
)

SLUGS: tuple[str, ...] = tuple(label.slug for label in LABELS)
BY_SLUG: dict[str, Label] = {label.slug: label for label in LABELS}
SCAM_SLUGS: frozenset[str] = frozenset(label.slug for label in LABELS if label.is_scam)

# Official and common names as centres write them. Keys are compared after `_alias_key`, so
# a trailing 类 / 诈骗 / 类诈骗 and full-width punctuation need not be listed twice.
_ALIASES: dict[str, str] = {
    "0": "normal",
    "正常": "normal",
    "无风险": "normal",
    "正常短信": "normal",
    "营销": "marketing",
    "营销推广": "marketing",
    "广告": "marketing",
    "刷单返利": "rebate_task",
    "刷单": "rebate_task",
    "虚假网络投资理财": "investment",
    "投资理财": "investment",
    "虚假投资理财": "investment",
    "贷款、代办信用卡": "loan_credit",
    "虚假贷款、代办信用卡、虚假征信": "loan_credit",
    "虚假贷款": "loan_credit",
    "虚假征信": "loan_credit",
    "虚假信用服务": "loan_credit",
    "代办信用卡": "loan_credit",
    "冒充客服服务": "impersonate_customer_service",
    "冒充电商物流客服": "impersonate_customer_service",
    "冒充客服": "impersonate_customer_service",
    "冒充公检法及政府机关": "impersonate_authority",
    "冒充公检法": "impersonate_authority",
    "冒充领导、熟人": "impersonate_acquaintance",
    "冒充领导熟人": "impersonate_acquaintance",
    "冒充熟人": "impersonate_acquaintance",
    "虚假购物、服务": "fake_shopping_service",
    "虚假购物服务": "fake_shopping_service",
    "冒充军警购物": "fake_shopping_service",
    "网络游戏产品虚假交易": "game_trade",
    "游戏交易": "game_trade",
    "网络婚恋、交友": "romance",
    "网络婚恋交友": "romance",
    "婚恋交友": "romance",
    "中奖、积分、补贴退税钓鱼": "phishing_prize",
    "中奖": "phishing_prize",
    "积分兑换": "phishing_prize",
    "补贴退税": "phishing_prize",
    "赌博、色情推广": "gambling_porn",
    "赌博色情": "gambling_porn",
    "赌博": "gambling_porn",
    "色情": "gambling_porn",
}

_SUFFIXES = ("类诈骗", "诈骗", "类")


def _alias_key(value: str) -> str:
    key = unicodedata.normalize("NFKC", value).strip().lower()
    key = re.sub(r"\s+", "", key).replace(",", "、")
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


_ALIAS_INDEX: dict[str, str] = {_alias_key(k): v for k, v in _ALIASES.items()}
_ALIAS_INDEX.update({_alias_key(label.zh): label.slug for label in LABELS})
_ALIAS_INDEX.update({slug: slug for slug in SLUGS})


class UnknownLabelError(ValueError):
    """A label that is neither a slug nor a known alias."""


def to_slug(value: object) -> str:
    """Map a slug or an official Chinese alias to its slug; anything else is an error."""
    if isinstance(value, bool) or value is None:
        raise UnknownLabelError(f"label {value!r} is not a slug or a known alias")
    if isinstance(value, int | float):
        if value == 0:
            return "normal"
        raise UnknownLabelError(f"label {value!r} is not a slug or a known alias")
    text = str(value)
    slug = _ALIAS_INDEX.get(_alias_key(text))
    if slug is None:
        raise UnknownLabelError(
            f"label {text!r} is not a slug or a known alias; use one of: {', '.join(SLUGS)}"
            " (or an official Chinese case name such as 冒充公检法及政府机关类)"
        )
    return slug


def is_scam(slug: str) -> bool:
    return slug in SCAM_SLUGS


def label_zh(slug: str) -> str:
    return BY_SLUG[slug].zh
