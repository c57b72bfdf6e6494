"""Data tables for the normaliser: disguised spellings and the characters they hide behind.

Kept apart from the algorithm so an analyst can extend a table without reading regex plumbing.
Every pattern is written against *folded* text (NFKC, lower-case ASCII, invisibles removed,
traditional converted), so full-width or upper-case spellings need no entry of their own.
Changing anything here is a behaviour change: bump ``RULES_VERSION``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RULES_VERSION = "1"

# --- character classes shared by several stages ---------------------------------------------

# Han ideographs, CJK punctuation, kana and bopomofo: Chinese is written without spaces, so a
# space between two of these is a disguise or a typo, never meaningful.
CJK = (
    "\u2e80-\u2fff\u3001-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\U00020000-\U0003134f"
)

# Separators scammers put inside a contact word ("微-信", "支.付.宝"). Deliberately excludes
# , 、 : ; because those separate real words ("情节轻微、信息…").
SEP = r"[ \-_.·•*~|/\\^=丶]"

# Top-level domains the "点com"/"dot com" rules accept. Kept to ones that do not read as words or
# times in Chinese text ("8点me", "3点tv" would otherwise turn into domains).
LINK_TLDS = (
    "com", "cn", "net", "org", "top", "xyz", "vip", "cc", "info", "link", "site", "club",
    "shop", "app", "wang", "ltd", "hk", "tw", "online", "store", "live", "pro", "biz", "fun",
    "icu", "ink", "work", "tech", "asia", "mobi",
)  # fmt: skip

# Wider list used only to *protect* URL-like tokens from variant rewriting.
URL_TLDS = (*LINK_TLDS, "co", "io", "me", "tv", "us", "uk", "jp", "kr", "ru", "de", "in", "so")

# --- characters mapped one to one before anything else --------------------------------------

# "微❤" reads 微信 (❤ ≈ 心 ≈ 信): hearts survive folding as a marker until that rule has run.
HEART_CHARS = "❤♥♡❣❥💗💓💕💖💘💝💞💟🧡💛💚💙💜🖤🤍🤎"
# Spellings with a heart, accepted in the same contexts as 威信 (add or id).
HEART_EXAMPLES = ("微❤", "v❤", "薇♥")


def _range_map(first: str, last: str, values: list[str]) -> dict[str, str]:
    return {chr(c): v for c, v in zip(range(ord(first), ord(last) + 1), values, strict=True)}


_ONE_TO_TEN = [str(n) for n in range(1, 11)]
_ELEVEN_TO_TWENTY = [str(n) for n in range(11, 21)]
_LETTERS = [chr(c) for c in range(ord("a"), ord("z") + 1)]

# Overrides applied instead of NFKC for single characters NFKC leaves decorated or expands into
# punctuation. Each is a number or letter written in a box, circle or brackets.
CHAR_OVERRIDES: dict[str, str] = {
    **_range_map("⑴", "⒇", _ONE_TO_TEN + _ELEVEN_TO_TWENTY),  # NFKC gives "(1)"
    **_range_map("❶", "❿", _ONE_TO_TEN),  # dingbat circled digits: no NFKC decomposition
    **_range_map("➀", "➉", _ONE_TO_TEN),
    **_range_map("➊", "➓", _ONE_TO_TEN),
    **_range_map("⓫", "⓴", _ELEVEN_TO_TWENTY),
    **_range_map("⓵", "⓾", _ONE_TO_TEN),
    "⓿": "0",
    "🔟": "10",
    **_range_map("⒜", "⒵", _LETTERS),  # NFKC gives "(a)"
    **_range_map("🅐", "🅩", _LETTERS),  # negative circled / squared letters: no decomposition
    **_range_map("🅰", "🆉", _LETTERS),
    # Look-alikes. 囗 (enclosure radical) is used for 口 in 口令/扣口; as a standalone word it is
    # archaic. ○/◯ are how 〇 (zero) is typed on most keyboards.
    "囗": "口",
    "○": "〇",
    "◯": "〇",
    # Cyrillic letters that render like Latin ones ("ѵх" for vx). Russian text does not occur in
    # this domain; merging them is what lets the Latin rules see the disguise.
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ԛ": "q", "ԝ": "w", "ѵ": "v",
}  # fmt: skip

# Symbols (category So) that carry meaning and survive the emoji/decoration purge.
KEEP_SYMBOLS = frozenset("°")

# Emoji skin-tone modifiers are category Sk, unlike the rest of the emoji.
EMOJI_MODIFIERS = range(0x1F3FB, 0x1F400)

# --- numerals -------------------------------------------------------------------------------

# Digits spelled in Chinese. 两 is left out on purpose: it is a counting word (两个) and never
# dictates a phone digit; 十/百/千/万 are amount words, so a run containing them is an amount.
CHINESE_DIGITS: dict[str, str] = {
    "零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "三": "3", "四": "4", "五": "5",
    "六": "6", "七": "7", "八": "8", "九": "9", "壹": "1", "贰": "2", "叁": "3", "肆": "4",
    "伍": "5", "陆": "6", "柒": "7", "捌": "8", "玖": "9",
}  # fmt: skip

# Idioms that are runs of four digit-characters; never converted.
NUMERAL_IDIOMS = frozenset({"七七八八", "三三五五", "一一二二"})

# --- traditional → simplified ---------------------------------------------------------------

# Characters OpenCC converts only inside a traditional phrase (回覆→回复, 明瞭→明了), never alone.
# Accepted from a phrase conversion when the message is traditional. 坏 (坏→坯 in "打坏") and 么
# are left out: the phrases that change them damage simplified text.
PHRASE_ONLY_TRADITIONAL = frozenset("藉沈哩瞭覆衹甦俱彷")
# Simplified characters some t2s phrases rewrite anyway (捏坏 → 捏坯, 么麼 → 幺麽); a message
# holding one is converted character by character. tests/test_normalize.py re-derives this set
# from the installed OpenCC dictionary.
SIMPLIFIED_CHANGED_BY_PHRASES = frozenset("坏么")

# --- contact-word variants ------------------------------------------------------------------

# Placeholders usable in Variant.pattern:
#   {S}   zero or more separators inside a word           {ADD} right after 加 or + (one space ok)
#   {L}   Latin left boundary (not inside a word, id, path, query or e-mail)
#   {R}   Latin right boundary (digits may follow: "vx123456")
#   {RS}  strict Latin right boundary (no digit, _ or - either: codes that collide with ids)
#   {ID}  followed by 号, 群, ':' or an id       {QID} the same with a numeric (QQ) id
PLACEHOLDERS = {
    "S": SEP + "*",
    "L": r"(?<![a-z0-9_@./\\#%&=?])",
    "R": r"(?![a-z@]|\.[a-z0-9])",
    "RS": r"(?![a-z0-9@_\-]|\.[a-z0-9])",
    "ADD": r"(?:(?<=[加+])|(?<=[加+] ))",
    "ID": r"(?=号|群|:| ?[0-9a-z])",
    "QID": r"(?=号|群|:| ?[0-9])",
}

# 付宝 alone is read as 支付宝 unless a neighbour makes it part of another word (交付宝贵, 付宝物).
NOT_BEFORE_CLIPPED_ALIPAY = "支吱交偿应对垫预兑"
NOT_AFTER_CLIPPED_ALIPAY = "贵藏物石剑马典玉座库箱盒贝"

Context = Literal["none", "add", "id", "add_or_id", "add_and_id"]


@dataclass(frozen=True)
class Variant:
    """One family of disguised spellings of a canonical word.

    ``examples`` are spellings the pattern must undo; the tests check each one and the perturbation
    generator draws from them. ``context`` says where the pattern accepts them: ``add`` after
    加/+, ``id`` before 号/群/:/an id (a numeric one for qq), ``add_or_id`` either,
    ``add_and_id`` both, ``none`` anywhere (Latin spellings still need Latin boundaries).
    """

    canonical: str
    pattern: str
    examples: tuple[str, ...]
    context: Context
    why: str


VARIANTS: tuple[Variant, ...] = (
    Variant(
        "微信",
        r"[微薇徽嶶]{S}(?:信|亻言)",
        ("薇信", "徽信", "嶶信", "微亻言", "微-信", "微.信", "薇 信"),
        "none",
        "薇信/徽信/嶶信/微亻言 are not words; nothing legitimate puts a separator inside 微信.",
    ),
    Variant(
        "微信",
        r"{ADD}威{S}信|威{S}信{ID}",
        ("威信",),
        "add_or_id",
        "威信 (prestige) is a real word: only rewritten as the object of 加 or before an id.",
    ),
    Variant(
        "微信",
        r"{L}v{S}(?:信|亻言)",
        ("v信", "V信", "v 信"),
        "none",
        "A lone v before 信 is not Chinese; {L} keeps 'tv信号' intact.",
    ),
    Variant(
        "微信",
        r"{L}(?:v ?x|w ?x|weixin|wechat|vchat){R}",
        ("vx", "VX", "wx", "WX", "weixin", "wechat", "v x"),
        "none",
        "Latin abbreviations; boundaries keep 'wxyz', paths and e-mails like wx@163.com.",
    ),
    Variant(
        "微信",
        r"{ADD}v(?![a-z])",
        ("v", "V"),
        "add",
        "加v/+v: a bare v is only read as WeChat when it is what one adds.",
    ),
    Variant(
        "微信",
        r"{ADD}微{ID}",
        ("微",),
        "add_and_id",
        "加微 followed by an id; 增加微量 is followed by Han characters and left alone.",
    ),
    Variant(
        "qq",
        r"{L}q{S}q{R}",
        ("q q", "Q Q", "q-q", "Q.Q"),
        "none",
        "Split qq; boundaries keep qq.com and words.",
    ),
    Variant(
        "qq",
        r"{ADD}q(?![a-z])",
        ("q", "Q"),
        "add",
        "加q: a bare q is only read as QQ when it is what one adds.",
    ),
    Variant(
        "qq",
        r"{ADD}(?:扣{S}扣|抠{S}抠|叩{S}叩|蔻{S}蔻)|(?:扣{S}扣|抠{S}抠|叩{S}叩|蔻{S}蔻){QID}",
        ("扣扣", "抠抠", "叩叩", "蔻蔻"),
        "add_or_id",
        "扣扣 also means buttoning up and 扣扣搜搜 stingy: only as an add target or before an id.",
    ),
    Variant(
        "qq",
        r"{ADD}企鹅{QID}|企鹅(?=号? ?:? ?[0-9]{{5}})",
        ("企鹅",),
        "add_and_id",
        "企鹅 is a penguin: only rewritten when a QQ-like number follows.",
    ),
    Variant(
        "支付宝",
        r"{L}(?:zfb|alipay){R}|[支吱]{S}付{S}宝",
        ("zfb", "ZFB", "alipay", "吱付宝", "支-付-宝", "支.付宝"),
        "none",
        "zfb/alipay are only this; 吱付宝 is not a word; separators never split 支付宝.",
    ),
    Variant(
        "支付宝",
        f"(?<![{NOT_BEFORE_CLIPPED_ALIPAY}])付宝(?![{NOT_AFTER_CLIPPED_ALIPAY}])",
        ("付宝",),
        "none",
        "付宝 alone is 支付宝 clipped; guards keep 交付宝贵, 偿付, 付宝物 and the like.",
    ),
    Variant(
        "银行卡",
        r"银{S}行{S}(?:卡|k(?![a-z]))|{L}yhk{RS}",
        ("银行k", "银行K", "yhk", "银-行-卡"),
        "none",
        "银行k/yhk are only this; separators never split 银行卡.",
    ),
    Variant(
        "转账",
        r"[转砖]{S}[账帐]|{L}zz{RS}",
        ("转帐", "砖帐", "砖账", "zz", "转-账"),
        "none",
        "转帐 is the old spelling of the same word; 砖帐 is not a word; zz strictly bounded.",
    ),
    Variant(
        "客服",
        r"客{S}[服腹]|{L}kf{RS}",
        ("客腹", "kf", "客-服"),
        "none",
        "客腹 is not a word; kf strictly bounded (kfc stays).",
    ),
    Variant(
        "加",
        r"\+ ?(?=(?:v ?x|w ?x|v|q ?q|q)(?![a-z])|weixin|wechat|vchat|v信|[微薇徽嶶威扣抠叩蔻企])",
        ("+",),
        "none",
        "+ before a contact word means 加 (+86 and sums are followed by digits). The look-ahead "
        "covers every spelling another entry turns into 微信/qq, so no '+微信' is left behind.",
    ),
)


# Every character a VARIANTS match can start with (the tests check the list is complete).
VARIANT_FIRST_CHARS = "微薇徽嶶威vwqaz扣抠叩蔻企支吱付银y转砖客k+"


def expand(pattern: str) -> str:
    """Substitute the {placeholders} of a Variant pattern ({{ and }} stay literal braces)."""
    return pattern.format(**PLACEHOLDERS)
