"""Slot fillers and their registry: `{name}` in a template is `SLOTS["name"](rng)`.

Values vary in surface form (¥ or 元 or 万, 3月5日 or 03-05, 王女士 or 王同学) so the model learns
what an amount or a date is, not one spelling of it; phone numbers, IM ids and links live in
`contacts`. `MASKERS` give the redacted forms real archives contain (张**, 138****5678, xxx).
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

from training.corpus import vocab as v
from training.corpus.contacts import (
    any_phone,
    digits,
    hotline,
    landline,
    mask_phone,
    mask_url,
    mobile,
    overseas,
    qq,
    tel400,
    url_any,
    url_legit,
    url_scam,
    url_short,
    wechat_id,
    wechat_word,
)

Slot = Callable[[random.Random], str]


# --- people ---------------------------------------------------------------------------------


def surname(rng: random.Random) -> str:
    return rng.choice(v.SURNAMES)


def fullname(rng: random.Random) -> str:
    return surname(rng) + rng.choice(v.GIVEN_NAMES)


def polite_name(rng: random.Random) -> str:
    """How strangers address the recipient: 王先生, 李女士, 张**."""
    return surname(rng) + rng.choice(("先生", "女士", "先生", "女士", "同学", "老师"))


def leader(rng: random.Random) -> str:
    return surname(rng) + rng.choice(v.LEADER_TITLES)


def mask_name(rng: random.Random) -> str:
    name = fullname(rng)
    return name[0] + rng.choice(("**", "*", "某", "**", "某某"))


# --- money ----------------------------------------------------------------------------------


def _money(rng: random.Random, value: int, *, casual: bool = True) -> str:
    style = rng.random()
    if style < 0.45:
        return f"{value}元"
    if style < 0.6:
        return f"{value:,}.00元" if value >= 1000 else f"{value}.00元"
    if style < 0.7:
        return f"¥{value}"
    if casual and value >= 10000 and value % 1000 == 0 and style < 0.85:
        return f"{value / 10000:g}万" + rng.choice(("", "元", "块"))
    if casual and style < 0.95:
        return f"{value}块"
    return f"人民币{value}元"


def amount_small(rng: random.Random) -> str:
    return _money(rng, rng.choice((5, 8, 10, 18, 20, 29, 36, 50, 66, 88, 99, 100, 128, 168, 200)))


def amount_task(rng: random.Random) -> str:
    """Commission sized amounts: a few yuan to a few hundred."""
    value = rng.choice((rng.randint(3, 60), rng.randint(50, 600), rng.randrange(100, 900, 50)))
    return _money(rng, value)


def amount_daily(rng: random.Random) -> str:
    """What a part-time "job" promises per day."""
    return _money(rng, rng.randrange(100, 1000, 50))


def amount_claim(rng: random.Random) -> str:
    """Compensation and refund sized amounts: a parcel, a recalled product."""
    return _money(rng, rng.randrange(200, 3000, 50))


def amount_price(rng: random.Random) -> str:
    """A too-good price for a pet, a phone or a ticket."""
    return _money(rng, rng.choice((rng.randrange(99, 999, 100), rng.randrange(300, 2000, 100))))


def amount_mid(rng: random.Random) -> str:
    value = rng.choice((rng.randrange(500, 10000, 100), rng.randrange(1000, 50000, 500)))
    return _money(rng, value)


def amount_large(rng: random.Random) -> str:
    value = rng.choice((rng.randrange(50000, 500000, 1000), rng.randrange(100000, 3000000, 10000)))
    return _money(rng, value)


def amount_fee(rng: random.Random) -> str:
    """Fees scammers demand: 验资费, 解冻费, 保证金."""
    value = rng.choice((rng.randrange(200, 5000, 100), rng.choice((498, 688, 1888, 2999, 3600))))
    return _money(rng, value)


def money_exact(rng: random.Random) -> str:
    """Bank-notice style amount with cents, no unit (the notice adds 元)."""
    value = rng.choice((rng.uniform(1, 300), rng.uniform(100, 5000), rng.uniform(1000, 60000)))
    return f"{value:,.2f}"


def percent(rng: random.Random) -> str:
    return rng.choice(("5%", "8%", "10%", "12%", "15%", "20%", "30%", "3%", "6%", "25%"))


def small_int(rng: random.Random) -> str:
    return str(rng.randint(2, 9))


def days(rng: random.Random) -> str:
    return str(rng.choice((1, 2, 3, 5, 7, 15, 30)))


def age(rng: random.Random) -> str:
    return str(rng.randint(19, 72))


# --- dates and times -------------------------------------------------------------------------


def date(rng: random.Random) -> str:
    m, d = rng.randint(1, 12), rng.randint(1, 28)
    style = rng.random()
    if style < 0.6:
        return f"{m}月{d}日"
    if style < 0.8:
        return f"{m:02d}-{d:02d}"
    return f"{rng.choice((2023, 2024, 2025))}年{m}月{d}日"


def clock(rng: random.Random) -> str:
    h, m = rng.randint(8, 21), rng.choice((0, 0, 10, 15, 20, 30, 30, 40, 45, 50))
    if rng.random() < 0.7:
        return f"{h:02d}:{m:02d}"
    part = "上午" if h < 12 else ("下午" if h < 18 else "晚上")
    hh = h if h <= 12 else h - 12
    return f"{part}{hh}点" + ("半" if m == 30 else "")


def weekday(rng: random.Random) -> str:
    return rng.choice(("周一", "周二", "周三", "周四", "周五", "周六", "周日", "本周五", "下周一"))


def deadline(rng: random.Random) -> str:
    return rng.choice(
        ("今天", "今日24点前", "24小时内", "2小时内", "今晚12点前", "3日内", "本周内", "明天中午前")
    )


# --- numbers and ids --------------------------------------------------------------------------


def code6(rng: random.Random) -> str:
    return digits(rng, 6)


def code4(rng: random.Random) -> str:
    return digits(rng, 4)


def card_tail(rng: random.Random) -> str:
    return digits(rng, 4)


def card_masked(rng: random.Random) -> str:
    head = rng.choice(("6222", "6217", "6228", "6214", "6230", "6225", "4367", "6259"))
    return f"{head}{rng.choice(('****', '********', ' **** **** '))}{digits(rng, 4)}"


def order_no(rng: random.Random) -> str:
    return digits(rng, rng.choice((12, 16, 18, 19)), lead_nonzero=True)


def tracking_no(rng: random.Random) -> str:
    prefix = rng.choice(("SF", "YT", "JT", "JD", "75", "77", "43", "DPK", "YD", "1"))
    return prefix + digits(rng, 13 if prefix.isalpha() else 12)


def pickup_code(rng: random.Random) -> str:
    style = rng.random()
    if style < 0.4:
        return f"{rng.randint(1, 30)}-{rng.randint(1, 8)}-{rng.randint(1000, 9999)}"
    if style < 0.7:
        return digits(rng, 6)
    return f"{rng.choice('ABCDEFGH')}{rng.randint(1, 12)}-{digits(rng, 4)}"


def case_no(rng: random.Random) -> str:
    year = rng.choice((2023, 2024, 2025))
    style = rng.random()
    if style < 0.5:
        return (
            f"{year}{rng.choice(('刑', '公刑', '经'))}立字第{digits(rng, 5, lead_nonzero=True)}号"
        )
    return f"{rng.choice(('JX', 'GA', 'XS', 'ZC'))}{year}{digits(rng, 6)}"


def id_masked(rng: random.Random) -> str:
    return f"{digits(rng, 6, lead_nonzero=True)}********{digits(rng, 3)}{rng.choice('0123456789X')}"


def flight(rng: random.Random) -> str:
    return rng.choice(("CZ", "MU", "CA", "HU", "3U", "MF", "9C", "ZH", "HO")) + digits(rng, 4)


def train(rng: random.Random) -> str:
    return rng.choice("GGGDDKZT") + str(rng.randint(10, 2999))


def plate(rng: random.Random) -> str:
    tail = "".join(
        rng.choices(string.ascii_uppercase.replace("I", "").replace("O", "") + string.digits, k=5)
    )
    return rng.choice(v.PLATE_PREFIXES) + rng.choice(("", "·")) + tail


def company(rng: random.Random) -> str:
    return rng.choice(v.CITIES) + rng.choice(v.COMPANY_WORDS) + rng.choice(v.COMPANY_KINDS)


def room(rng: random.Random) -> str:
    return f"{rng.randint(1, 30)}栋{rng.randint(1, 3)}单元{rng.randint(1, 28)}0{rng.randint(1, 6)}"


# --- organisations ------------------------------------------------------------------------------


def _pick(table: tuple[str, ...] | list[str]) -> Slot:
    return lambda rng: rng.choice(table)


def loan_app(rng: random.Random) -> str:
    return rng.choice(v.LOAN_PREFIX) + rng.choice(v.LOAN_SUFFIX)


def invest_app(rng: random.Random) -> str:
    return rng.choice(v.INVEST_PREFIX) + rng.choice(v.INVEST_SUFFIX)


def shop(rng: random.Random) -> str:
    return rng.choice(v.SHOP_PREFIX) + rng.choice(v.SHOP_SUFFIX)


def edu_shop(rng: random.Random) -> str:
    return rng.choice(v.EDU_PREFIX) + rng.choice(v.EDU_SUFFIX)


def hospital(rng: random.Random) -> str:
    return rng.choice(v.CITIES) + "市" + rng.choice(v.HOSPITAL_KINDS)


def school(rng: random.Random) -> str:
    return rng.choice(v.CITIES) + rng.choice(("市", "")) + rng.choice(v.SCHOOL_KINDS)


def police(rng: random.Random) -> str:
    city = rng.choice(v.CITIES)
    unit = rng.choice(v.POLICE_UNITS)
    if unit == "公安分局":
        return f"{city}市公安局{rng.choice(v.BRANCH_AREAS)}分局"
    return f"{city}市{unit}"


def judicial(rng: random.Random) -> str:
    return rng.choice(v.CITIES) + "市" + rng.choice(v.JUDICIAL)


def gov_body(rng: random.Random) -> str:
    return rng.choice(v.CITIES) + rng.choice(("市", "")) + rng.choice(v.GOV_BODIES)


def mask_org(rng: random.Random) -> str:
    return rng.choice(("xxx", "***", "XX", "某"))


SLOTS: dict[str, Slot] = {
    "sur": surname,
    "name": fullname,
    "pname": polite_name,
    "given": _pick(v.GIVEN_NAMES),
    "leader": leader,
    "rel": _pick(v.RELATIONS),
    "amt_s": amount_small,
    "amt_t": amount_task,
    "amt_m": amount_mid,
    "daily": amount_daily,
    "claim": amount_claim,
    "price": amount_price,
    "quarter": _pick(("一", "二", "三", "四", "第一", "第二", "第三", "第四")),
    "fgiven": _pick(v.FEMALE_GIVEN),
    "amt_l": amount_large,
    "fee": amount_fee,
    "money": money_exact,
    "pct": percent,
    "n": small_int,
    "days": days,
    "age": age,
    "date": date,
    "time": clock,
    "wday": weekday,
    "deadline": deadline,
    "phone": mobile,
    "landline": landline,
    "hotline": hotline,
    "overseas": overseas,
    "anyphone": any_phone,
    "qq": qq,
    "wxid": wechat_id,
    "wx": wechat_word,
    "code": code6,
    "code4": code4,
    "tail": card_tail,
    "card": card_masked,
    "order": order_no,
    "track": tracking_no,
    "pickup": pickup_code,
    "case": case_no,
    "idno": id_masked,
    "flight": flight,
    "train": train,
    "room": room,
    "plate": plate,
    "company": company,
    "tel400": tel400,
    "url": url_any,
    "surl": url_scam,
    "short": url_short,
    "lurl": url_legit,
    "ecom": _pick(v.ECOMMERCE),
    "logi": _pick(v.LOGISTICS),
    "station": _pick(v.PICKUP_POINTS),
    "bank": _pick(v.BANKS),
    "pay": _pick(v.PAY_APPS),
    "credit": _pick(v.REAL_CREDIT),
    "loanapp": loan_app,
    "invapp": invest_app,
    "coin": _pick(v.COINS),
    "stock": _pick(v.STOCK_NAMES),
    "chat": _pick(v.CHAT_APPS),
    "xapp": _pick(v.SCAM_CHAT_APPS),
    "meet": _pick(v.MEETING_APPS),
    "game": _pick(v.GAMES),
    "item": _pick(v.GAME_ITEMS),
    "gplat": _pick(v.GAME_PLATFORMS),
    "city": _pick(v.CITIES),
    "district": _pick(v.DISTRICTS),
    "road": _pick(v.ROADS),
    "telco": _pick(v.TELCOS),
    "app": _pick(v.APPS),
    "brand": _pick(v.BRANDS),
    "food": _pick(v.FOOD_BRANDS),
    "retail": _pick(v.RETAIL_BRANDS),
    "travel": _pick(v.TRAVEL_BRANDS),
    "car": _pick(v.CAR_BRANDS),
    "shop": shop,
    "insurer": _pick(v.INSURERS),
    "hotel": _pick(v.HOTELS),
    "edu": edu_shop,
    "hospital": hospital,
    "dept": _pick(v.DEPARTMENTS),
    "school": school,
    "subject": _pick(v.SUBJECTS),
    "police": police,
    "court": judicial,
    "gov": gov_body,
    "crime": _pick(v.CRIMES),
    "airline": _pick(v.AIRLINES),
    "utility": _pick(v.SERVICES_LEGIT),
}

# Slots that archives redact, and what the redacted form looks like.
MASKERS: dict[str, Slot] = {
    "name": mask_name,
    "pname": lambda rng: mask_name(rng)[0] + rng.choice(("先生", "女士", "**")),
    "phone": mask_phone,
    "anyphone": mask_phone,
    "landline": lambda rng: rng.choice(v.AREA_CODES) + "-" + rng.choice(("****", "xxxxxxx")),
    "wxid": lambda rng: rng.choice(("xxx", "***", "wxid_***", "xxxxxx")),
    "qq": lambda rng: digits(rng, 3, lead_nonzero=True) + rng.choice(("***", "xxxx", "*****")),
    "url": mask_url,
    "surl": mask_url,
    "short": mask_url,
    "amt_m": lambda rng: rng.choice(("xxx元", "***元", "xx万", "xxxx元")),
    "amt_l": lambda rng: rng.choice(("xx万元", "***元", "xxx万")),
    "fee": lambda rng: rng.choice(("xxx元", "***元", "xxxx元")),
    "order": lambda rng: digits(rng, 4, lead_nonzero=True) + "********" + digits(rng, 4),
    "card": lambda rng: "****" + digits(rng, 4),
    "tail": lambda rng: rng.choice(("xxxx", "****")),
    "bank": lambda rng: rng.choice(("xx银行", "***银行", "某银行")),
    "ecom": mask_org,
    "logi": mask_org,
    "invapp": mask_org,
    "loanapp": mask_org,
    "police": lambda rng: rng.choice(("xx市公安局", "***公安局", "某市公安局")),
    "city": lambda rng: rng.choice(("xx", "某", "***")),
    "case": lambda rng: rng.choice(("xxxx号", "****", "第xxx号")),
    "idno": lambda rng: "******************",
}
