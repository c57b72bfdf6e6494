"""Indicator extraction: what is found, what is not, and that every span points into the input.

Cases marked `needs_normaliser` depend on work the real `fanzha.normalize` does (numerals to
digits, separators inside keywords, emoji and invisible characters removed, 点com). Each is
skipped while the normaliser in the tree does not yet produce the form the case needs, and runs
as soon as it does.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fanzha.indicators import KINDS, Indicator, extract_indicators
from fanzha.normalize import normalize

ENTITY_KINDS = {"url", "phone", "qq", "wechat", "bank_card", "money"}


def luhn_complete(prefix: str) -> str:
    """`prefix` plus the check digit that makes it pass Luhn."""
    for check in "0123456789":
        digits = prefix + check
        total = 0
        for i, ch in enumerate(reversed(digits)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def luhn_break(digits: str) -> str:
    """The same number with a wrong check digit."""
    return digits[:-1] + str((int(digits[-1]) + 1) % 10)


CARD_19 = luhn_complete("622202123456789012")
CARD_16 = luhn_complete("438808012345678")
CARD_BAD = luhn_break(CARD_19)
ORDER_LUHN = luhn_complete("623110512345678")  # passes Luhn, but it is written as an order id


def needs_normaliser(message: str, normalised: str, what: str) -> pytest.MarkDecorator:
    """Skip unless `normalize(message).text` already contains the form the case relies on."""
    return pytest.mark.skipif(
        normalised not in normalize(message).text,
        reason=f"needs the real fanzha.normalize ({what}); runs once it lands",
    )


def found(text: str, kind: str) -> list[Indicator]:
    return [i for i in extract_indicators(text) if i.kind == kind]


def check_spans(text: str, result: list[Indicator]) -> None:
    starts = [(i.start, i.end) for i in result]
    assert starts == sorted(starts)
    for ind in result:
        assert ind.kind in KINDS
        assert 0 <= ind.start < ind.end <= len(text)
        assert text[ind.start : ind.end] == ind.text
    entities = [i for i in result if i.kind in ENTITY_KINDS]
    for a, b in itertools.pairwise(entities):
        assert a.end <= b.start, f"entities overlap: {a} {b}"


# --------------------------------------------------------------------------------------------
# Positive cases: (message, kind, exact text in the message, canonical value)
# --------------------------------------------------------------------------------------------

POSITIVE = [
    # url
    ("点击 https://t.cn/AbC12x 领取", "url", "https://t.cn/AbC12x", "https://t.cn/abc12x"),
    ("详情见HTTP://Example.COM/Path", "url", "HTTP://Example.COM/Path", "http://example.com/path"),
    ("官网www.icbc-vip.com，请登录", "url", "www.icbc-vip.com", "http://www.icbc-vip.com"),
    ("登录abc.cn/x1领取补贴", "url", "abc.cn/x1", "http://abc.cn/x1"),
    ("短链t.cn/AbC点开", "url", "t.cn/AbC", "http://t.cn/abc"),
    ("进群x7k.top稳赚", "url", "x7k.top", "http://x7k.top"),
    ("下载地址xxx.com/app。", "url", "xxx.com/app", "http://xxx.com/app"),
    ("访问 47.100.23.5:8080/login 验证", "url", "47.100.23.5:8080/login", None),
    ("打开http://121.41.12.3/a.html", "url", "http://121.41.12.3/a.html", None),
    ("网址：jd-kf.vip/r?id=9,尽快", "url", "jd-kf.vip/r?id=9", "http://jd-kf.vip/r?id=9"),
    ("hxxp://evil.xyz/a 勿点", "url", "hxxp://evil.xyz/a", "http://evil.xyz/a"),
    ("链接(见 gov-etc.icu )", "url", "gov-etc.icu", "http://gov-etc.icu"),
    (
        "ｈｔｔｐｓ：／／ｂａｄ．ｓｈｏｐ／１",
        "url",
        "ｈｔｔｐｓ：／／ｂａｄ．ｓｈｏｐ／１",
        "https://bad.shop/1",
    ),
    ("官网abc.com.cn请收藏", "url", "abc.com.cn", "http://abc.com.cn"),
    # phone
    ("请致电13800138000处理", "phone", "13800138000", "13800138000"),
    ("客服138-0013-8000", "phone", "138-0013-8000", "13800138000"),
    ("号码 138 0013 8000 。", "phone", "138 0013 8000", "13800138000"),
    ("境外来电+86 139 1234 5678", "phone", "+86 139 1234 5678", "13912345678"),
    ("回拨8613912345678", "phone", "8613912345678", "13912345678"),
    ("座机010-62345678联系", "phone", "010-62345678", "01062345678"),
    ("座机0755-83456789联系", "phone", "0755-83456789", "075583456789"),
    ("热线 400-820-8820", "phone", "400-820-8820", "4008208820"),
    ("热线8008208820", "phone", "8008208820", "8008208820"),
    ("【工商银行】详询95588", "phone", "95588", "95588"),
    ("反诈专线96110提醒您", "phone", "96110", "96110"),
    ("客服电话955880", "phone", "955880", "955880"),
    ("电话１３８００１３８０００", "phone", "１３８００１３８０００", "13800138000"),
    ("电话①③⑧⓪⓪①③⑧⓪⓪⓪", "phone", "①③⑧⓪⓪①③⑧⓪⓪⓪", "13800138000"),
    ("电话138\u200b0013\u200b8000", "phone", "138\u200b0013\u200b8000", "13800138000"),
    ("电话 1 3 8 0 0 1 3 8 0 0 0 速回", "phone", "1 3 8 0 0 1 3 8 0 0 0", "13800138000"),
    # qq
    ("加QQ：123456789领取", "qq", "123456789", "123456789"),
    ("扣扣 88886666", "qq", "88886666", "88886666"),
    ("企鹅号10001联系", "qq", "10001", "10001"),
    ("进q群：70011223", "qq", "70011223", "70011223"),
    ("加q 3344556677", "qq", "3344556677", "3344556677"),
    ("ＱＱ１２３４５６", "qq", "１２３４５６", "123456"),
    ("抠抠①②③④⑤⑥", "qq", "①②③④⑤⑥", "123456"),
    # wechat
    ("加微信：zhang_san88 详聊", "wechat", "zhang_san88", "zhang_san88"),
    ("vx: Lucky-2024", "wechat", "Lucky-2024", "lucky-2024"),
    ("V信abc12345领红包", "wechat", "abc12345", "abc12345"),
    ("微信号是 shop_jd0909", "wechat", "shop_jd0909", "shop_jd0909"),
    ("加微13800138000", "wechat", "13800138000", "13800138000"),
    ("wx 139-1234-5678", "wechat", "139-1234-5678", "13912345678"),
    ("搜wxid_a1b2c3d4加我", "wechat", "wxid_a1b2c3d4", "wxid_a1b2c3d4"),
    # bank_card
    (f"转至卡号{CARD_19}", "bank_card", CARD_19, CARD_19),
    (f"卡号 {CARD_16} 户名张三", "bank_card", CARD_16, CARD_16),
    (
        "安全账户 " + " ".join(CARD_19[i : i + 4] for i in range(0, 19, 4)) + " 请转入",
        "bank_card",
        " ".join(CARD_19[i : i + 4] for i in range(0, 19, 4)),
        CARD_19,
    ),
    # money
    ("请转账5万元", "money", "5万元", "50000"),
    ("支出3000元", "money", "3000元", "3000"),
    ("订单金额￥1,288.00", "money", "￥1,288.00", "1288"),
    ("额度2.5万，秒批", "money", "2.5万", "25000"),
    ("借我五万元周转", "money", "五万元", "50000"),
    ("中奖三千五百元", "money", "三千五百元", "3500"),
    ("日赚300块", "money", "300块", "300"),
    ("充值1000USDT返利", "money", "1000USDT", "1000 USDT"),
    ("佣金$500", "money", "$500", "500 USD"),
    ("赔偿RMB 2000", "money", "RMB 2000", "2000"),
    ("保证金5千，明天退", "money", "5千", "5000"),
    ("投资200美元", "money", "200美元", "200 USD"),
    ("贷款1.2亿", "money", "1.2亿", "120000000"),
    ("还差两千块钱", "money", "两千块钱", "2000"),
    # app_download
    ("请下载安全防护APP进行验证", "app_download", "请下载安全防护APP", "请下载安全防护app"),
    ("安装以下软件后登录", "app_download", "安装以下软件", "安装以下软件"),
    ("扫描下方二维码加群", "app_download", "扫描下方二维码", "扫描下方二维码"),
    ("请扫码领取", "app_download", "扫码", "扫码"),
    ("长按识别图中二维码", "app_download", "长按识别图中二维码", "长按识别图中二维码"),
    ("通过TestFlight安装", "app_download", "TestFlight", "testflight"),
    ("在应用商店搜索好运来", "app_download", "应用商店", "应用商店"),
    ("打开 haoyun_v2.apk 即可", "app_download", "haoyun_v2.apk", "haoyun_v2.apk"),
    ("点击下载，马上到账", "app_download", "点击下载", "点击下载"),
    # screen_share
    ("请开启屏幕共享", "screen_share", "开启屏幕共享", "开启屏幕共享"),
    ("需要共享屏幕给客服", "screen_share", "共享屏幕", "共享屏幕"),
    ("下载腾讯会议后加入", "screen_share", "腾讯会议", "腾讯会议"),
    ("用钉钉会议沟通", "screen_share", "钉钉会议", "钉钉会议"),
    ("join our Zoom now", "screen_share", "Zoom", "zoom"),
    ("会议号：123 456 789", "screen_share", "会议号：123 456 789", "会议号:123456789"),
    ("我们远程协助您操作", "screen_share", "远程协助", "远程协助"),
]


@pytest.mark.parametrize(("message", "kind", "text", "value"), POSITIVE)
def test_finds(message: str, kind: str, text: str, value: str | None) -> None:
    hits = found(message, kind)
    assert [h.text for h in hits] == [text], extract_indicators(message)
    if value is not None:
        assert hits[0].value == value
    check_spans(message, extract_indicators(message))


# --------------------------------------------------------------------------------------------
# Negative cases: (message, kind that must NOT be reported)
# --------------------------------------------------------------------------------------------

NEGATIVE = [
    # not URLs: amounts, decimals, versions, e-mail addresses, file names
    ("额度1.5万，利息3.14%", "url"),
    ("请升级到v1.2.3版本", "url"),
    ("版本 1.2.3.4 已发布", "url"),
    ("简历发到zhang.san@qq.com", "url"),
    ("联系 service@abc-pay.cn 退款", "url"),
    ("附件report.pdf请查收", "url"),
    ("时间2023.11.05，地点", "url"),
    # not phones: codes, order numbers, dates, amounts, card runs, longer digit runs
    ("您的验证码是958312，5分钟有效", "phone"),
    ("验证码95588，请勿泄露", "phone"),
    ("取件码 96321", "phone"),
    ("订单号2023110513800138000已发货", "phone"),
    ("运单号 1380013800012 已签收", "phone"),
    ("日期2023-11-05 13:45到期", "phone"),
    ("20231105 截止", "phone"),
    ("余额95588.50元", "phone"),
    ("合计95588元", "phone"),
    ("共13800138000.5分", "phone"),
    (f"卡号{CARD_BAD}", "phone"),
    ("座机010-12345678", "phone"),  # local numbers never start with 1
    ("编号951234的包裹", "phone"),  # six-digit 95 numbers need a dialling context
    ("发送13800138000@163.com", "phone"),
    # not bank cards
    (f"卡号{CARD_BAD}", "bank_card"),
    (f"订单号{ORDER_LUHN}", "bank_card"),
    ("流水号 2023110512345678 已入账", "bank_card"),
    ("13800138000138001", "bank_card"),
    # not QQ / WeChat
    ("QQ音乐会员已到期", "qq"),
    ("我的号码123456789", "qq"),
    ("faq 123456", "qq"),
    ("微信支付收款500元", "wechat"),
    ("微信公众号搜索好运", "wechat"),
    ("请用微信扫码", "wechat"),
    ("mywx abc12345", "wechat"),
    # not money
    ("已有10万人参加", "money"),
    ("跑了3千米", "money"),
    ("千万不要转账给陌生人", "money"),
    ("祝2024元旦快乐", "money"),
    ("您的验证码是123456", "money"),
    ("第5百名", "money"),
    # not requests
    ("下载量突破一亿", "app_download"),
    ("安装师傅明天上门", "app_download"),
    ("会议改到下午三点", "screen_share"),
    ("zoomin 模式", "screen_share"),
]


@pytest.mark.parametrize(("message", "kind"), NEGATIVE)
def test_does_not_find(message: str, kind: str) -> None:
    result = extract_indicators(message)
    assert not [i for i in result if i.kind == kind], result
    check_spans(message, result)


# --------------------------------------------------------------------------------------------
# Disguised forms that rely on the real normaliser
# --------------------------------------------------------------------------------------------

OBFUSCATED = [
    pytest.param(
        "联系一三八零零一三八零零零",
        "phone",
        "一三八零零一三八零零零",
        "13800138000",
        marks=needs_normaliser("联系一三八零零一三八零零零", "13800138000", "numerals → digits"),
    ),
    pytest.param(
        "微 信：abc12345",
        "wechat",
        "abc12345",
        "abc12345",
        marks=needs_normaliser("微 信：abc12345", "微信", "separators inside words collapsed"),
    ),
    pytest.param(
        "加微\u200b信 abc12345",
        "wechat",
        "abc12345",
        "abc12345",
        marks=needs_normaliser("加微\u200b信 abc12345", "微信", "invisible characters removed"),
    ),
    pytest.param(
        "电话138🔥0013🔥8000",
        "phone",
        "138🔥0013🔥8000",
        "13800138000",
        marks=needs_normaliser("电话138🔥0013🔥8000", "13800138000", "emoji removed"),
    ),
    pytest.param(
        "登录 fanli点com 领取",
        "url",
        "fanli点com",
        "http://fanli.com",
        marks=needs_normaliser("登录 fanli点com 领取", "fanli.com", "点com → .com"),
    ),
    pytest.param(
        "加威 信 lucky888",
        "wechat",
        "lucky888",
        "lucky888",
        marks=needs_normaliser("加威 信 lucky888", "微信", "variant words → 微信"),
    ),
    pytest.param(
        "扣 扣 12345678",
        "qq",
        "12345678",
        "12345678",
        marks=needs_normaliser("扣 扣 12345678", "qq", "扣扣 → qq with separators collapsed"),
    ),
]


@pytest.mark.parametrize(("message", "kind", "text", "value"), OBFUSCATED)
def test_finds_disguised(message: str, kind: str, text: str, value: str) -> None:
    hits = found(message, kind)
    assert [(h.text, h.value) for h in hits] == [(text, value)], extract_indicators(message)
    check_spans(message, extract_indicators(message))


@dataclass(frozen=True)
class _Squeezed:
    """A stand-in normaliser view that drops characters, as the real one drops separators and
    invisible characters, so span mapping back through `source_span` is tested today."""

    text: str
    source_index: tuple[int, ...]

    @classmethod
    def of(cls, original: str, drop: str) -> _Squeezed:
        kept = [
            (out, i)
            for i, ch in enumerate(original)
            if ch not in drop
            for out in unicodedata.normalize("NFKC", ch).lower()
        ]
        return cls("".join(c for c, _ in kept), tuple(i for _, i in kept))

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        return self.source_index[start], self.source_index[end - 1] + 1


@pytest.mark.parametrize(
    ("original", "drop", "kind", "text", "value"),
    [
        ("微 信：abc12345", " ", "wechat", "abc12345", "abc12345"),
        ("电话 138 😀 0013 😀 8000 速回", "😀 ", "phone", "138 😀 0013 😀 8000", "13800138000"),
        (
            "Q\u200bQ 1\u200b2\u200b3\u200b4\u200b5",
            "\u200b",
            "qq",
            "1\u200b2\u200b3\u200b4\u200b5",
            "12345",
        ),
        ("下 载 安 全 A P P", " ", "app_download", "下 载 安 全 A P P", "下载安全app"),
    ],
)
def test_spans_map_through_the_normaliser(
    original: str, drop: str, kind: str, text: str, value: str
) -> None:
    view = _Squeezed.of(original, drop)
    result = extract_indicators(original, normalized=cast(Any, view))
    hits = [i for i in result if i.kind == kind]
    assert [(h.text, h.value) for h in hits] == [(text, value)], result
    check_spans(original, result)


# --------------------------------------------------------------------------------------------
# Whole messages, conflicts, API shape
# --------------------------------------------------------------------------------------------

LONG_SCRIPT = (
    "【北京市公安局】您好，您名下银行卡涉嫌洗钱，涉案金额50万元。请立即下载安全防护APP "
    "https://t.cn/Ab9x 并开启屏幕共享，通过腾讯会议（会议号：888 123 456）配合调查。"
    f"请将资金转入安全账户{CARD_19}，如有疑问联系王警官13912345678或座机010-62345678，"
    "微信号police_wang01，QQ 2233445566。清查后退还￥1,288.00手续费。"
)


def test_long_script_finds_every_kind() -> None:
    result = extract_indicators(LONG_SCRIPT)
    check_spans(LONG_SCRIPT, result)
    got = {(i.kind, i.value) for i in result}
    expected = {
        ("money", "500000"),
        ("app_download", "请立即下载安全防护app"),
        ("url", "https://t.cn/ab9x"),
        ("screen_share", "开启屏幕共享"),
        ("screen_share", "腾讯会议"),
        ("screen_share", "会议号:888123456"),
        ("bank_card", CARD_19),
        ("phone", "13912345678"),
        ("phone", "01062345678"),
        ("wechat", "police_wang01"),
        ("qq", "2233445566"),
        ("money", "1288"),
    }
    assert expected <= got, expected - got
    assert {i.kind for i in result} == set(KINDS)


def test_several_numbers_separated_by_spaces() -> None:
    text = "电话13900139000 13700137000 或 138 0013 8000 139 0013 9000"
    values = [i.value for i in found(text, "phone")]
    assert values == ["13900139000", "13700137000", "13800138000", "13900139000"]


def test_phone_inside_url_belongs_to_the_url() -> None:
    result = extract_indicators("打开 http://x.cn/13800138000 查看")
    assert [i.kind for i in result] == ["url"]


def test_phone_after_wechat_keyword_is_a_wechat_id() -> None:
    result = extract_indicators("微信13800138000")
    assert [(i.kind, i.value) for i in result] == [("wechat", "13800138000")]


def test_apk_link_is_both_a_url_and_a_download_request() -> None:
    result = extract_indicators("下载 http://x.cn/a.apk")
    assert {i.kind for i in result} == {"url", "app_download"}


def test_to_dict_shape() -> None:
    (ind,) = extract_indicators("拨打13800138000")
    assert ind.to_dict() == {
        "kind": "phone",
        "text": "13800138000",
        "value": "13800138000",
        "start": 2,
        "end": 13,
    }
    assert list(ind.to_dict()) == ["kind", "text", "value", "start", "end"]


def test_indicator_is_frozen_and_slotted() -> None:
    ind = Indicator("phone", "95588", "95588", 0, 5)
    with pytest.raises(AttributeError):
        ind.kind = "url"  # type: ignore[misc]
    assert not hasattr(ind, "__dict__")


def test_kinds_are_the_contract() -> None:
    assert KINDS == (
        "url",
        "phone",
        "qq",
        "wechat",
        "bank_card",
        "money",
        "app_download",
        "screen_share",
    )


@pytest.mark.parametrize("text", ["", "   ", "你好，明天见。", "ok", "\u200b\u200b", "🙂🙂"])
def test_nothing_to_find(text: str) -> None:
    assert extract_indicators(text) == []


def test_precomputed_normalisation_gives_the_same_result() -> None:
    assert extract_indicators(LONG_SCRIPT, normalized=normalize(LONG_SCRIPT)) == (
        extract_indicators(LONG_SCRIPT)
    )


def test_core_does_not_import_torch() -> None:
    code = (
        "import sys, fanzha.indicators as m; m.extract_indicators('加QQ123456');"
        "bad = {'torch', 'transformers'} & set(sys.modules); assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------------------------
# Properties on random text
# --------------------------------------------------------------------------------------------

_ALPHABET = st.sampled_from(
    list("0123456789０１２①②一三八万元块.:/-+@ _\u200b")
    + list("abcqvxwHTPSckmnopQV")
    + list("微信扣企鹅号群下载安装扫码二维屏幕共享会议¥￥$，。：")
    + ["http://", "www.", ".cn", ".com", "138", "0013", "8000", "qq", "vx", "95588", "\U0001f600"]
)
_RANDOM_TEXT = st.lists(_ALPHABET, max_size=60).map("".join) | st.text(max_size=80)


@settings(max_examples=400, deadline=None)
@given(_RANDOM_TEXT)
def test_random_text_never_crashes_and_spans_are_valid(text: str) -> None:
    check_spans(text, extract_indicators(text))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30), st.text(max_size=30))
def test_phone_found_in_any_surroundings(before: str, after: str) -> None:
    # Surroundings that glue onto the number legitimately change its reading; keep them apart.
    text = f"{before}，电话13912345678。{after}"
    offset = len(before) + 3
    phones = [i for i in extract_indicators(text) if i.kind == "phone"]
    assert any(i.start == offset and i.value == "13912345678" for i in phones), phones
