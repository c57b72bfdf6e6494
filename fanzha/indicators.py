"""Evidence extraction: the URLs, numbers, IM ids, amounts and requests an analyst looks at.

Gateways act on the verdict and show the evidence, so every indicator carries the exact span of
the text the caller sent. Scammers disguise contact details (微 信, ＱＱ１２３, ①②③, hxxp), so the
patterns run on `normalize(text).text` and spans are mapped back with `source_span`; the patterns
themselves only assume NFKC + lower case, so the plain forms work whatever else the normaliser
does or does not undo.

Overlaps: entity kinds (url, phone, qq, wechat, bank_card, money) never overlap each other, the
more specific one wins (a phone inside a URL is part of the URL; a phone after 微信 is a WeChat
id). Request phrases (app_download, screen_share) never overlap each other but may contain an
entity, because they answer a different question ("what is the victim asked to do").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from fanzha.normalize import Normalized, normalize

__all__ = ["KINDS", "Indicator", "extract_indicators"]

KINDS: tuple[str, ...] = (
    "url",
    "phone",
    "qq",
    "wechat",
    "bank_card",
    "money",
    "app_download",
    "screen_share",
)


@dataclass(frozen=True, slots=True)
class Indicator:
    """One piece of evidence; `text == original[start:end]` of the text the caller sent."""

    kind: str
    text: str
    value: str
    start: int
    end: int

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "text": self.text,
            "value": self.value,
            "start": self.start,
            "end": self.end,
        }


# Lower number wins an overlap between entity kinds: the keyword-introduced and structural
# readings are more specific than a bare number.
_PRIORITY = {"url": 0, "wechat": 1, "qq": 2, "bank_card": 3, "phone": 4, "money": 5}
_PHRASE_KINDS = frozenset({"app_download", "screen_share"})

# A match on the normalised text: (kind, value, start, end) in normalised coordinates.
_Hit = tuple[str, str, int, int]

# ---------------------------------------------------------------------------------------------
# Performance note: every pattern that scans a whole message starts with a literal or a
# character class (no leading lookbehind, optional group or `x+`), which lets `re` skip ahead to
# candidate positions instead of trying the pattern at every character; the few lookbehinds
# needed are checked in code, and the costly URL pattern only runs inside dotted ASCII words.
# ---------------------------------------------------------------------------------------------


def _after_letter(t: str, i: int, chars: str = "abcdefghijklmnopqrstuvwxyz") -> bool:
    return i > 0 and t[i - 1] in chars


# ---------------------------------------------------------------------------------------------
# Numbers: phone, bank card. Digits may be grouped by spaces, dashes or invisible characters
# (138-0013-8000, 6222 0212 ...); a chunk is read as a whole or as a partition into whole
# entities, never by picking digits out of a longer run, so order numbers and codes stay quiet.
# ---------------------------------------------------------------------------------------------

_SEP = "[ \\-\u2010-\u2015\u200b-\u200d\u2060\ufeff]"
_CHUNK = re.compile(rf"[+0-9][0-9]*(?:{_SEP}[0-9]+)*")
_GROUP = re.compile(r"[0-9]+")
_ANY_DIGIT = re.compile(r"[0-9]")
_MOBILE = re.compile(r"(?:0086|86)?(1[3-9][0-9]{9})")
_SERVICE = re.compile(r"[48]00[0-9]{7}")
# Area codes: 010 and 02x take 8-digit numbers, the rest are 0[3-9]xx; local numbers start 2-9.
_LANDLINE = re.compile(r"0(?:10|2[0-9])[2-9][0-9]{7}|0[3-9][0-9]{2}[2-9][0-9]{6,7}")
_SHORT = re.compile(r"9[56][0-9]{3,4}")
_MAX_GROUPS = 16  # more groups than this is a list or a digit wall: read long groups only

# Context that turns a number into something else (amount, code, order id).
_AMOUNT_AFTER = re.compile(r"\s?(?:[元块万千亿%@]|美元|rmb|usd)")
_AMOUNT_BEFORE = ("¥", "$", "rmb", "usd", "人民币")
_CODE_BEFORE = re.compile(r"验证码|校验码|动态码|密码|口令|code|取件码|提货码|识别码|激活码")
_DIAL_BEFORE = re.compile(r"电话|致电|拨打|热线|客服|联系|咨询|回拨|呼叫|call|tel|详询")
_ORDER_BEFORE = re.compile(r"订单|单号|编号|流水|运单|快递|工单|批次|序列|账单|票号")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _read_number(digits: str) -> tuple[str, str, str] | None:
    """(kind, value, subtype) for a digit string read as one number, or None."""
    n = len(digits)
    if n >= 16:
        if n <= 19 and digits[0] in "3456789" and _luhn_ok(digits):
            return "bank_card", digits, "card"
        return None
    if n in (11, 13, 15) and (m := _MOBILE.fullmatch(digits)):
        return "phone", m.group(1), "mobile"
    if n == 10 and _SERVICE.fullmatch(digits):
        return "phone", digits, "service"
    if n in (11, 12) and _LANDLINE.fullmatch(digits):
        return "phone", digits, "landline"
    if n in (5, 6) and _SHORT.fullmatch(digits):
        return "phone", digits, "short"
    return None


def _context_ok(t: str, start: int, end: int, kind: str, subtype: str, ndigits: int) -> bool:
    """Reject numbers whose surroundings say they are amounts, decimals, codes or order ids."""
    if _AMOUNT_AFTER.match(t, end):
        return False
    if end + 1 < len(t) and t[end] == "." and t[end + 1].isdigit():
        return False
    if start >= 2 and t[start - 1] == "." and t[start - 2].isdigit():
        return False
    before = t[max(0, start - 8) : start]
    if before.rstrip(" :=").endswith(_AMOUNT_BEFORE):
        return False
    if kind == "bank_card":
        return not _ORDER_BEFORE.search(before)
    if subtype == "short":
        # 95xxx service numbers look like verification codes; only context tells them apart.
        if _CODE_BEFORE.search(before):
            return False
        return ndigits == 5 or bool(_DIAL_BEFORE.search(before))
    return True


def _read_chunk(t: str, s: int, e: int, digits: str) -> _Hit | None:
    read = _read_number(digits)
    if read and _context_ok(t, s, e, read[0], read[2], len(digits)):
        return read[0], read[1], s, e
    return None


def _find_numbers(t: str) -> list[_Hit]:
    hits: list[_Hit] = []
    for chunk in _CHUNK.finditer(t):
        c_start, c_end = chunk.span()
        if c_end - c_start < 5:
            continue
        text = chunk.group()
        if text.isdigit():
            if hit := _read_chunk(t, c_start, c_end, text):
                hits.append(hit)
            continue
        groups = [(g.start(), g.end(), g.group()) for g in _GROUP.finditer(t, c_start, c_end)]
        if text[0] == "+":
            groups[0] = (c_start, *groups[0][1:])
        if len(groups) == 1:
            if hit := _read_chunk(t, *groups[0]):
                hits.append(hit)
        else:
            hits.extend(_partition(t, groups))
    return hits


def _partition(t: str, groups: list[tuple[int, int, str]]) -> list[_Hit]:
    """Read grouped digits as the fewest whole entities, or failing that as long single groups."""
    n = len(groups)
    if n > _MAX_GROUPS:
        return _long_groups(t, groups)
    # cover[i]: the fewest hits that read groups[i:] completely, or None if there is no reading.
    cover: list[list[_Hit] | None] = [None] * n + [[]]
    for i in range(n - 1, -1, -1):
        digits = ""
        for j in range(i, n):
            digits += groups[j][2]
            if len(digits) > 19:
                break
            rest = cover[j + 1]
            if rest is None or len(digits) < 5:
                continue
            hit = _read_chunk(t, groups[i][0], groups[j][1], digits)
            best = cover[i]
            if hit and (best is None or len(rest) + 1 < len(best)):
                cover[i] = [hit, *rest]
    return cover[0] if cover[0] is not None else _long_groups(t, groups)


def _long_groups(t: str, groups: list[tuple[int, int, str]]) -> list[_Hit]:
    """Groups long enough to be a number by themselves (a code, a space, then a phone)."""
    return [h for g in groups if len(g[2]) >= 10 and (h := _read_chunk(t, *g))]


# ---------------------------------------------------------------------------------------------
# URLs. A bare host must end in a known TLD, so amounts (1.5万), decimals and versions never
# look like links; a host directly after @ (an e-mail domain) is not a link either. The full
# pattern only runs inside ASCII words that contain a dot.
# ---------------------------------------------------------------------------------------------

# fmt: off
_TLDS = (
    "cn", "com", "net", "org", "top", "xyz", "vip", "cc", "shop", "club", "icu", "site", "online",
    "info", "biz", "me", "io", "co", "tk", "ml", "ga", "cf", "gq", "ink", "pw", "wang", "ren",
    "fun", "live", "store", "tech", "app", "link", "win", "bid", "loan", "men", "work", "asia",
    "tv", "hk", "tw", "mo", "xin", "love", "pro", "cloud", "life", "space", "website", "fit",
    "run", "cyou", "buzz", "bar", "ltd", "group", "red", "kim", "plus", "cool", "today", "world",
    "ai", "us", "uk", "jp", "kr", "ru", "vn",
)
# fmt: on
_TLD = "|".join(sorted(_TLDS, key=len, reverse=True))
_URL_CHARS = r"[a-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
_URL_WORD = re.compile(r"[a-z0-9][a-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_URL = re.compile(
    rf"""
    (?P<scheme>(?:https?|hxxps?|h\*\*ps?)://{_URL_CHARS}+)
  | (?<![a-z0-9@._%+\-])
    (?:
      (?P<ip>{_OCTET}(?:\.{_OCTET}){{3}})(?![0-9]|\.[0-9])
      (?P<ip_tail>(?::[0-9]{{1,5}})?(?:/{_URL_CHARS}*)?)
    | (?:www\.(?:[a-z0-9\-]+\.)*[a-z0-9\-]+
        |(?:[a-z0-9](?:[a-z0-9\-]{{0,61}}[a-z0-9])?\.)+(?:{_TLD}))
      (?![a-z0-9@\-]|\.[a-z0-9])
      (?::[0-9]{{1,5}})?(?:/{_URL_CHARS}*)?
    )
    """,
    re.VERBOSE,
)
_TRAILING = ".,;:!?'\"*"


def _find_urls(t: str) -> list[_Hit]:
    hits: list[_Hit] = []
    for word in _URL_WORD.finditer(t):
        if "." in word.group():
            hits.extend(_urls_in(t, *word.span()))
    return hits


def _urls_in(t: str, start: int, end: int) -> list[_Hit]:
    hits: list[_Hit] = []
    for m in _URL.finditer(t, start, end):
        ip = m.group("ip")
        # A bare dotted quad with no port or path is as likely a version number as a host.
        if ip and not m.group("ip_tail") and int(ip.split(".", 1)[0]) < 20:
            continue
        raw = m.group()
        while raw and (
            raw[-1] in _TRAILING
            or (raw[-1] == ")" and raw.count("(") < raw.count(")"))
            or (raw[-1] == "]" and raw.count("[") < raw.count("]"))
        ):
            raw = raw[:-1]
        if raw.endswith("://") or "." not in raw:
            continue
        if m.group("scheme"):
            scheme, rest = raw.split("://", 1)
            value = ("https" if scheme.endswith("s") else "http") + "://" + rest
        else:
            value = "http://" + raw
        hits.append(("url", value.lower(), m.start(), m.start() + len(raw)))
    return hits


# ---------------------------------------------------------------------------------------------
# IM ids: only after a keyword, because a bare 9-digit number or a bare word is not evidence.
# The span is the id itself; the keyword is what told us how to read it.
# ---------------------------------------------------------------------------------------------

_INTRO = r"(?:号码?|id)?[\s:=]{0,3}(?:是|为)?[\s:=]{0,3}"
_QQ = re.compile(
    r"(?:qq|扣扣|抠抠|蔻蔻|企鹅|加q|q(?=[号群]))(?:群号?)?"
    + _INTRO
    + r"(?P<id>[1-9][0-9]{4,10})(?![0-9])"
)
_WECHAT = re.compile(
    r"(?:微信|威信|薇信|徽信|维信|v信|vx|wx(?!id_)|weixin|wechat|加微|加薇|加v|\+v)"
    + _INTRO
    + r"(?:(?P<phone>1[3-9][0-9](?:[ \-]?[0-9]{4}){2})(?![0-9])"
    r"|(?P<id>[a-z][a-z0-9_\-]{5,19})(?![a-z0-9_\-]))"
)
_WXID = re.compile(r"wxid_[a-z0-9]{4,20}(?![a-z0-9_\-])")
_QQ_GATE = ("q", "扣", "企鹅", "抠", "蔻")
_WECHAT_GATE = ("微", "信", "vx", "wx", "we", "加v", "+v")
_NOT_WECHAT_IDS = frozenset({"download", "account", "wechat", "weixin", "official", "service"})
_ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-"


def _find_im(t: str, has_digit: bool) -> list[_Hit]:
    hits: list[_Hit] = []
    if has_digit and any(k in t for k in _QQ_GATE):
        for m in _QQ.finditer(t):
            if not _after_letter(t, m.start()):
                hits.append(("qq", m.group("id"), *m.span("id")))
    if any(k in t for k in _WECHAT_GATE):
        for m in _WECHAT.finditer(t):
            if _after_letter(t, m.start()):
                continue
            if (phone := m.group("phone")) is not None:
                digits = phone.replace(" ", "").replace("-", "")
                hits.append(("wechat", digits, *m.span("phone")))
            elif (ident := m.group("id")) not in _NOT_WECHAT_IDS:
                hits.append(("wechat", ident, *m.span("id")))
    if "wxid_" in t:
        for m in _WXID.finditer(t):
            if not _after_letter(t, m.start(), _ID_CHARS):
                hits.append(("wechat", m.group(), *m.span()))
    return hits


# ---------------------------------------------------------------------------------------------
# Money. Arabic amounts need a currency mark or unit; Chinese numerals need 万/亿/元/块钱, and a
# bare multiplier followed by a counter (10万人, 3千米) is a quantity, not money.
# ---------------------------------------------------------------------------------------------

_MUL = r"千万|百万|万|亿|千|百"
_CUR = r"元|块钱|块|人民币|rmb|美元|美金|usdt|usd"
_MONEY = re.compile(
    rf"(?P<num>[0-9][0-9]*(?:,[0-9]{{3}})*(?:\.[0-9]+)?)(?:\s?(?P<mul>{_MUL}))?(?:\s?(?P<cur>{_CUR}))?"
)
_MONEY_CN = re.compile(
    r"[一二两三四五六七八九十][零〇一二两三四五六七八九十百千]*"
    r"(?:(?P<mul>万|亿)(?P<cur>元|块钱)?|(?P<cur2>元|块钱))"
)
_MONEY_PREFIX = re.compile(r"(?:¥|\$|rmb|人民币|usdt|usd)\s?$")
_PREFIX_ENDS = frozenset("¥$bdt币 ")  # last characters of the prefixes, to skip the search
_FACTOR = {"千万": 10**7, "百万": 10**6, "万": 10**4, "亿": 10**8, "千": 1000, "百": 100}
_CURRENCY = {"$": "USD", "美元": "USD", "美金": "USD", "usd": "USD", "usdt": "USDT"}
_COUNTERS = frozenset("人名个次位件条份家户台辆只天年月日岁米里克斤吨字步票粉赞股手张间遍分火众物+")
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_CN_DIGIT |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}


def _cn_int(s: str) -> int | None:
    """Value of a Chinese numeral below 10,000, reading 三千五 the colloquial way as 3500."""
    total, num, prev = 0, 0, ""
    for ch in s:
        if ch in _CN_DIGIT:
            if prev in _CN_DIGIT and prev not in "零〇" and ch not in "零〇":
                return None  # 一二三 is a digit string, not a numeral
            num = _CN_DIGIT[ch]
        else:
            unit = _CN_UNIT[ch]
            total += (num or 1) * unit
            num = 0
        prev = ch
    if num and prev in _CN_DIGIT and len(s) >= 2 and s[-2] in _CN_UNIT and s[-2] != "十":
        return total + num * _CN_UNIT[s[-2]] // 10
    return total + num


def _money_value(amount: Decimal | None, mul: str | None, cur: str | None, raw: str) -> str:
    if amount is None:
        return raw
    text = format((amount * _FACTOR.get(mul or "", 1)).normalize(), "f")
    code = _CURRENCY.get(cur or "")
    return f"{text} {code}" if code else text


def _is_quantity(t: str, end: int, mul: str | None, cur: str | None) -> bool:
    """10万人 or 5百 are counts, not money; 2024元旦 is a date."""
    nxt = t[end : end + 1]
    if nxt in ("多", "余"):  # 10万多人 vs 10万多元: the word after decides
        nxt = t[end + 1 : end + 2]
    if cur is None:
        return mul is None or mul == "百" or nxt in _COUNTERS
    return cur == "元" and nxt in ("旦", "宵")


def _find_money(t: str, has_digit: bool) -> list[_Hit]:
    hits: list[_Hit] = []
    for m in _MONEY.finditer(t) if has_digit else ():
        start = m.start()
        if start and (t[start - 1] in ".," and start >= 2 and t[start - 2].isdigit()):
            continue  # the tail of a number the pattern did not read as money
        pre = None
        if start and t[start - 1] in _PREFIX_ENDS:
            pre = _MONEY_PREFIX.search(t, max(0, start - 5), start)
        mul, cur = m.group("mul"), m.group("cur")
        if pre is None and _is_quantity(t, m.end(), mul, cur):
            continue
        currency = cur or (pre.group().strip() if pre else None)
        amount = Decimal(m.group("num").replace(",", ""))
        first = pre.start() if pre else start
        hits.append(("money", _money_value(amount, mul, currency, m.group()), first, m.end()))
    if "万" in t or "亿" in t or "元" in t or "块钱" in t:
        for m in _MONEY_CN.finditer(t):
            mul, cur = m.group("mul"), m.group("cur") or m.group("cur2")
            if _is_quantity(t, m.end(), mul, cur):
                continue
            cn = _cn_int(t[m.start() : m.start("mul") if mul else m.start("cur2")])
            value = _money_value(None if cn is None else Decimal(cn), mul, cur, m.group())
            hits.append(("money", value, *m.span()))
    return hits


# ---------------------------------------------------------------------------------------------
# Requests: what the victim is asked to do. The span is the whole phrase.
# ---------------------------------------------------------------------------------------------

_TARGET = (
    r"(?:并(?:安装|注册|登录))?[^\n,.。!?;:]{0,12}?"
    r"(?:app|apk|软件|客户端|应用|程序|描述文件|证书|testflight|插件)"
)
_ASKS = ("点击", "立即", "马上", "尽快", "请", "先", "需", "前往", "去")
_ASK_MORE = r"(?:您|要|立即|马上|尽快|先|点击|前往)?"
_WHERE = r"(?:下方|以下|上方|图中|图片|此|这个)?的?"
_APP = re.compile(
    "|".join(
        [rf"{ask}{_ASK_MORE}(?:下载|安装)(?:{_TARGET})?" for ask in _ASKS]
        + [
            rf"下载(?:{_TARGET}|链接|地址|包)",
            rf"安装(?:{_TARGET}|链接|地址|包)",
            rf"扫描{_WHERE}二维码",
            rf"扫{_WHERE}二维码",
            "扫码",
            "扫一扫",
            r"长按识别(?:图中)?的?二维码",
            r"识别(?:图中)?的?二维码",
            "testflight",
            "应用商店",
            "应用市场",
            r"app\s?store",
            "苹果商店",
            "应用宝",
        ]
    )
)
_APK = re.compile(r"[a-z0-9_\-.]{1,40}\.apk(?![a-z0-9])")
_APP_GATE = ("下", "安", "扫", "识别", "testflight", "应用", "store", "苹果")
_SCREEN = re.compile(
    "|".join(
        [
            "屏幕共享",
            r"共享(?:你的|您的)?屏幕",
            "屏幕分享",
            r"分享(?:你的|您的)?屏幕",
            r"开启屏幕(?:共享|分享|录制)?",
            "共享桌面",
            r"远程(?:协助|控制|操控|桌面)",
            "腾讯会议",
            "钉钉会议",
            "飞书会议",
            r"zoom(?![a-z])(?:会议)?",
            r"会议(?:号码?|id)(?:[\s:=]{0,3}[0-9](?:[0-9 \-]{4,14}[0-9])?)?",
            r"向日葵(?:远程|app|软件|客户端)",
            "todesk",
            "teamviewer",
        ]
    )
)
_SCREEN_GATE = ("屏", "共享", "远程", "会议", "zoom", "向日葵", "todesk", "teamviewer")


def _phrase(kind: str, m: re.Match[str]) -> _Hit:
    return kind, "".join(m.group().split()), m.start(), m.end()


def _find_phrases(t: str) -> list[_Hit]:
    hits: list[_Hit] = []
    if any(k in t for k in _APP_GATE):
        hits.extend(_phrase("app_download", m) for m in _APP.finditer(t))
    if "apk" in t:
        for m in _APK.finditer(t):
            if not _after_letter(t, m.start(), _ID_CHARS + "."):
                hits.append(_phrase("app_download", m))
    if any(k in t for k in _SCREEN_GATE):
        for m in _SCREEN.finditer(t):
            if not (m.group().startswith("zoom") and _after_letter(t, m.start())):
                hits.append(_phrase("screen_share", m))
    return hits


# ---------------------------------------------------------------------------------------------
# Orchestration
# ---------------------------------------------------------------------------------------------


def _find_hits(t: str) -> list[_Hit]:
    has_digit = _ANY_DIGIT.search(t) is not None
    hits: list[_Hit] = []
    if "." in t:
        hits.extend(_find_urls(t))
    if has_digit:
        hits.extend(_find_numbers(t))
    hits.extend(_find_im(t, has_digit))
    hits.extend(_find_money(t, has_digit))
    hits.extend(_find_phrases(t))
    return hits


def _resolve(hits: list[_Hit]) -> list[_Hit]:
    """Keep the most specific entity where entities overlap; phrases are kept as found."""
    entities = [h for h in hits if h[0] not in _PHRASE_KINDS]
    kept = [h for h in hits if h[0] in _PHRASE_KINDS]
    if len(entities) > 1:
        entities.sort(key=lambda h: (_PRIORITY[h[0]], h[2], h[2] - h[3]))
        accepted: list[_Hit] = []
        for h in entities:
            if all(h[3] <= a[2] or a[3] <= h[2] for a in accepted):
                accepted.append(h)
        entities = accepted
    kept.extend(entities)
    kept.sort(key=lambda h: (h[2], h[3]))
    return kept


def extract_indicators(text: str, normalized: Normalized | None = None) -> list[Indicator]:
    """Indicators in `text`, sorted by start, with spans into `text` itself.

    Pass `normalized` when the caller already has `normalize(text)`, so serving normalises once.
    """
    if not text:
        return []
    norm = normalized if normalized is not None else normalize(text)
    hits = _find_hits(norm.text)
    if not hits:
        return []
    out: list[Indicator] = []
    for kind, value, s, e in _resolve(hits):
        a, b = norm.source_span(s, e)
        out.append(Indicator(kind, text[a:b], value, a, b))
    return out
