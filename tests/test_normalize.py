"""The shared normaliser: every trick undone, legitimate text left alone, alignment exact."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import opencc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fanzha import normalize as N
from fanzha import variants as V
from fanzha.normalize import NORMALIZER_VERSION, Normalized, normalize, normalize_text

# --- every trick, one case at least -------------------------------------------------------------

TRICKS = [
    # width, case, NFKC
    ("加ＱＱ：１２３４５６７８", "加qq:12345678"),
    ("ＶＸ号ａｂｃ", "微信号abc"),
    ("Call ME Now", "call me now"),
    ("𝐰𝐞𝐜𝐡𝐚𝐭", "微信"),
    ("ⓥⓧ：abc123", "微信:abc123"),
    ("🅥🅧：abc123", "微信:abc123"),
    # invisible and format characters
    ("微\u200b信", "微信"),
    ("加\u200d微\u2060信\ufeff号", "加微信号"),
    ("v\u00adx\u200c123", "微信123"),
    ("转\u200e账\u200f", "转账"),
    # emoji and decoration
    ("加🌹微🌹信", "加微信"),
    ("✨限时✨★特惠★", "限时特惠"),
    ("👍🏻好的❤️", "好的"),
    ("🇨🇳中国👨‍👩‍👧家庭", "中国家庭"),
    ("1️⃣2️⃣3️⃣", "123"),
    # separators inside words and numbers
    ("加 微 信", "加微信"),
    ("微-信号", "微信号"),
    ("支.付.宝", "支付宝"),
    ("加 扣 扣 12345", "加qq 12345"),
    ("银 行 卡", "银行卡"),
    ("1 3 8 0 0 1 3 8 0 0 0", "13800138000"),
    ("1-3-8-0-0-1-3-8-0-0-0", "13800138000"),
    ("电话138 0013 8000", "电话13800138000"),
    ("热线400-123-4567", "热线4001234567"),
    ("w w w . x x . c o m", "www.xx.com"),
    ("Q Q：8 8 7 7 6 6 5 5", "qq:88776655"),
    # contact-word variants
    ("薇信", "微信"),
    ("加徽信", "加微信"),
    ("V信号：abc", "微信号:abc"),
    ("加vx：lz8888", "加微信:lz8888"),
    ("wx：abc123", "微信:abc123"),
    ("加威信：abc", "加微信:abc"),
    ("加v：abc", "加微信:abc"),
    ("+vx 123", "加微信 123"),
    ("加微❤：abc", "加微信:abc"),
    ("加扣扣123456", "加qq123456"),
    ("企鹅号：123456789", "qq号:123456789"),
    ("zfb转账", "支付宝转账"),
    ("吱付宝", "支付宝"),
    ("用付宝付款", "用支付宝付款"),
    ("银行k号", "银行卡号"),
    ("yhk号码", "银行卡号码"),
    ("砖帐", "转账"),
    ("转帐", "转账"),
    ("联系客腹", "联系客服"),
    ("囗令", "口令"),
    # numerals
    ("①③⑧⓪⓪①③⑧⓪⓪⓪", "13800138000"),
    ("⑴⑵⑶", "123"),
    ("❶❷❸", "123"),
    ("一三八零零一三八零零零", "13800138000"),
    ("幺三八〇〇幺三八〇〇〇", "13800138000"),
    ("扣扣：九八七六五四三", "qq:9876543"),
    ("二〇二四年", "2024年"),
    ("壹贰叁肆", "1234"),
    ("一三八 零零一三 八零零零", "13800138000"),
    # links
    ("hxxps://abc[.]com/x", "https://abc.com/x"),
    ("h**p://abc.cn", "http://abc.cn"),
    ("hxxp：//abc.com", "http://abc.com"),
    ("h t t p : / / abc . com", "http://abc.com"),
    ("abc点com", "abc.com"),
    ("abc。cn", "abc.cn"),
    ("abc dot com", "abc.com"),
    ("abc(.)net", "abc.net"),
    ("www点abc点com", "www.abc.com"),
    ("abc[at]qq.com", "abc@qq.com"),
    # traditional
    ("支付寶轉帳", "支付宝转账"),
    ("請聯繫客服領取獎金", "请联系客服领取奖金"),
    ("回覆TD退訂", "回复td退订"),
    ("頭髮", "头发"),
    # whitespace
    ("  多  个   空格  ", "多个空格"),
    ("你好\n\t世界", "你好世界"),
    ("hello\u3000world", "hello world"),
]


@pytest.mark.parametrize(("raw", "expected"), TRICKS)
def test_tricks_are_undone(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


# --- legitimate text is not damaged -------------------------------------------------------------

UNCHANGED = [
    "我们一起去吃饭,等一下再说",
    "三个月后见,十分感谢",
    "合同金额1,000.00元",
    "一万元的预算",
    "会议定在2024-05-01上午10:30",
    "https://mp.weixin.qq.com/s/wx_abc",
    "http://example.com/wx/login?id=wx",
    "请发邮件到wx@163.com",
    "hello world, this is fine.",
    "wxyz and vxlan are words",
    "tv信号不好",
    "扣扣搜搜的人",
    "参加企鹅保护活动",
    "交付宝贵的经验",
    "他在单位很有威信",
    "爱你小薇",
    "【淘宝】您好,请点击链接。",
    "《通知》“你好”、‘再见’",
    "温度30°c,¥100,$5,50%,@me,#话题#",
    "七七八八",
    "每周一三五上课",
    "第一二名",
    "kfc很好吃",
    "稍微等一下",
    "增加微量元素",
    "打坏了东西",
    "乾隆皇帝",
    "+86 13800138000",
    "a-b_c/d:e",
    "3 + 4 = 7",
    "选项 1 2 3",
    "plan a b c",
    "i am at home, see u at 5 pm",
    "2024 05 01",
    "价格100-200元",
]


@pytest.mark.parametrize("text", UNCHANGED)
def test_legitimate_text_is_kept(text: str) -> None:
    assert normalize_text(text) == text


def test_full_width_punctuation_folds_but_cjk_punctuation_stays() -> None:
    assert normalize_text("您好，请回复：是！（谢谢）") == "您好,请回复:是!(谢谢)"
    assert normalize_text("【】《》「」、。") == "【】《》「」、。"


def test_space_between_latin_words_is_kept_and_between_han_dropped() -> None:
    assert normalize_text("hello   world") == "hello world"
    assert normalize_text("你好 世界") == "你好世界"
    assert normalize_text("验证码 123456") == "验证码 123456"


# --- the variant table --------------------------------------------------------------------------


def _in_context(example: str, context: str, canonical: str) -> tuple[str, str]:
    tail = ":12345" if canonical == "qq" else ":abc123"
    if context == "add":
        return "加" + example + ":", "加" + canonical + ":"
    if context == "id":
        return example + tail, canonical + tail
    if context in ("add_or_id", "add_and_id"):
        return "加" + example + tail, "加" + canonical + tail
    return example, canonical


@pytest.mark.parametrize(
    ("example", "context", "canonical"),
    [(ex, v.context, v.canonical) for v in V.VARIANTS for ex in v.examples]
    + [(ex, "add_or_id", "微信") for ex in V.HEART_EXAMPLES],
)
def test_every_variant_example_reads_back(example: str, context: str, canonical: str) -> None:
    raw, expected = _in_context(example, context, canonical)
    if canonical == "加":
        raw, expected = "+vx", "加微信"
    assert normalize_text(raw) == expected


def test_variants_skip_urls_and_emails() -> None:
    text = "详见 https://wx.qq.com/vx/zfb 或 zfb@alipay.com"
    assert normalize_text(text) == text


# --- alignment ----------------------------------------------------------------------------------


def _span_of(n: Normalized, needle: str) -> tuple[int, int]:
    start = n.text.index(needle)
    return n.source_span(start, start + len(needle))


@pytest.mark.parametrize(
    ("raw", "needle", "source"),
    [
        ("请加 V 信:abc123", "微信", "V 信"),
        ("电话:1 3 8 0 0 1 3 8 0 0 0,快", "13800138000", "1 3 8 0 0 1 3 8 0 0 0"),
        ("点击 hxxps://abc[.]com/x 领取", "https://abc.com/x", "hxxps://abc[.]com/x"),
        ("加\u200bQ\u200bQ:12345", "qq:12345", "Q\u200bQ:12345"),
        ("😊联系客腹😊", "客服", "客腹"),
        ("號碼①③⑧⓪⓪①③⑧⓪⓪⓪", "13800138000", "①③⑧⓪⓪①③⑧⓪⓪⓪"),
        ("请用zfb付款", "支付宝", "zfb"),
        ("网址abc dot com哦", "abc.com", "abc dot com"),
    ],
)
def test_span_maps_back_to_the_disguised_text(raw: str, needle: str, source: str) -> None:
    a, b = _span_of(normalize(raw), needle)
    assert raw[a:b] == source


def test_source_span_edges() -> None:
    n = normalize("  ab  ")
    assert n.text == "ab"
    assert n.source_span(0, 2) == (2, 4)
    assert n.source_span(1, 1) == (3, 3)
    assert n.source_span(2, 2) == (4, 4)
    with pytest.raises(ValueError):
        n.source_span(1, 3)
    assert normalize("").source_index == ()
    assert normalize("\u200b").source_span(0, 0) == (0, 0)


# --- properties ---------------------------------------------------------------------------------

# Pieces that exercise the interactions between stages (hypothesis rarely finds them in raw text).
TRICKY = [
    *"微信薇威徽嶶vxwqz扣抠加+ -._·~|*/:@一二三零〇幺两十1380h tp",
    *"点。丶支付宝银行卡转账帐客服腹号群",
    *"企鹅❤♥\u200b\ufe0f🌹①⑴Ｑ乾隆覆後髮號貳囗kyfbacom",
    "  ", "[.]", "(.)", "dot", "www", "http://", "hxxp", "vx", "扣扣", "qq", "七七八八",
    "：", "（.）",
]  # fmt: skip
tricky_text = st.lists(st.sampled_from(TRICKY), max_size=30).map("".join)
any_text = st.text(alphabet=st.characters(codec=None), max_size=60)
texts = st.one_of(tricky_text, any_text)
PROPERTY_SETTINGS = settings(
    max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(texts)
def test_fast_path_equals_aligned_path(text: str) -> None:
    assert normalize_text(text) == normalize(text).text


@PROPERTY_SETTINGS
@given(texts)
def test_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@PROPERTY_SETTINGS
@given(texts)
def test_source_index_is_in_range_and_non_decreasing(text: str) -> None:
    n = normalize(text)
    assert len(n.source_index) == len(n.text)
    assert all(0 <= i < len(text) for i in n.source_index)
    assert all(a <= b for a, b in zip(n.source_index, n.source_index[1:], strict=False))


@PROPERTY_SETTINGS
@given(
    st.lists(st.sampled_from(["您好", "，", "😊", "\u200b", " ", "★", "請", "。"]), max_size=8),
    st.lists(st.sampled_from(["您好", "，", "😊", "\u200b", " ", "★", "請", "。"]), max_size=8),
    st.sampled_from(["abc123@qq.com", "13800138000", "https://x-1.top/a", "6222020200001234"]),
)
def test_indicator_span_points_at_the_original(
    before: list[str], after: list[str], ind: str
) -> None:
    raw = "".join(before) + "，" + ind + "，" + "".join(after)
    n = normalize(raw)
    a, b = _span_of(n, ind)
    assert raw[a:b] == ind


@PROPERTY_SETTINGS
@given(tricky_text)
def test_lead_look_aheads_do_not_change_matches(text: str) -> None:
    folded = text.translate(N._FOLD)
    for stage in (N._HEARTS, N._NUMERALS, N._SPACES, N._LINKS, N._SPACED, N._FINAL_SPACES):
        bare = re.compile(stage.pattern)
        assert [m.span() for m in stage.regex.finditer(folded)] == [
            m.span() for m in bare.finditer(folded)
        ]
    bare = re.compile(N._VARIANT_PATTERN)
    assert [m.span() for m in N._VARIANT_RE.finditer(folded)] == [
        m.span() for m in bare.finditer(folded)
    ]


# --- the character fold -------------------------------------------------------------------------


def test_fold_results_are_fixed_points() -> None:
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF or 0xE000 < cp < 0xF900 or 0x323B0 <= cp < 0xE0000:
            continue  # surrogates, private use and unassigned planes all fold to ""
        ch = chr(cp)
        if ch in V.HEART_CHARS:
            continue
        folded = N._fold_char(ch)
        assert all(N._fold_char(c) == c for c in folded), (hex(cp), folded)


def test_unchanged_class_really_is_unchanged() -> None:
    unchanged = re.compile(f"[{N._UNCHANGED}]")
    for cp in range(0x10000):
        ch = chr(cp)
        if unchanged.match(ch):
            assert N._fold_char(ch) == ch, hex(cp)


def test_kept_symbols_and_dropped_categories() -> None:
    assert normalize_text("¥$%@/:.-_#【】°") == "¥$%@/:.-_#【】°"
    for ch in "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\ufe0f":
        assert normalize_text("a" + ch + "b") == "ab", hex(ord(ch))
    assert unicodedata.category("\U000e0041") == "Cf"
    assert normalize_text("a\U000e0041b") == "ab"


# --- traditional → simplified -------------------------------------------------------------------


def test_traditional_conversion_matches_opencc_on_traditional_text() -> None:
    t2s = opencc.OpenCC("t2s")
    s2t = opencc.OpenCC("s2t")
    for simplified in ["您的快递丢失,请添加客服微信理赔", "回复td退订", "头发干净,发展很快"]:
        traditional = s2t.convert(simplified)
        assert normalize_text(traditional) == t2s.convert(traditional) == simplified


def test_simplified_text_is_never_run_through_phrase_conversion() -> None:
    # OpenCC's phrase table would turn 打坏 into 打坯; a simplified message must stay as it is.
    assert normalize_text("东西打坏了") == "东西打坏了"
    assert normalize_text("東西打坏了") == "东西打坏了"


def test_phrase_tables_match_the_installed_opencc(tmp_path: Path) -> None:
    """Every character a t2s phrase changes is either traditional on its own, a phrase-only
    traditional form, or a simplified character the stage guards (variants.py)."""
    clib = Path(opencc.__file__).parent / "clib"
    tool, phrases = clib / "bin" / "opencc_dict", clib / "share" / "opencc" / "TSPhrases.ocd2"
    if not (tool.exists() and phrases.exists()):
        pytest.skip("this OpenCC build ships no dictionary tool")
    out = tmp_path / "phrases.txt"
    subprocess.run(
        [tool, "-i", phrases, "-o", out, "-f", "ocd2", "-t", "text"], check=True, timeout=60
    )
    changed = set()
    for line in out.read_text(encoding="utf-8").splitlines():
        key, values = line.split("\t")
        changed |= {a for a, b in zip(key, values.split(" ")[0], strict=False) if a != b}
    single = N._t2s().chars
    unexplained = changed - single.keys() - V.PHRASE_ONLY_TRADITIONAL
    assert unexplained == V.SIMPLIFIED_CHANGED_BY_PHRASES


def test_sentence_final_full_stop_after_a_number_is_not_a_domain() -> None:
    assert normalize_text("电话13912345678。CN") == "电话13912345678。cn"
    assert normalize_text("加扣扣(.)2") == "加qq.2"


def test_version_names_the_rules_and_opencc() -> None:
    assert NORMALIZER_VERSION.startswith(V.RULES_VERSION + "+opencc-")
    assert opencc.__version__ in NORMALIZER_VERSION
