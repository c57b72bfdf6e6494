"""How a message says "contact me": phone numbers, IM ids and links, in their real spellings.

Scams and legitimate senders both print numbers and links; what differs is the kind (a
look-alike domain on a throwaway TLD, an overseas number, a WeChat id spelled 薇信) and the
request around it, so every form here appears in both kinds of message.
"""

from __future__ import annotations

import random
import string

from training.corpus import vocab as v

_ALNUM = string.ascii_lowercase + string.digits
_ALNUM_MIXED = string.ascii_letters + string.digits


def digits(rng: random.Random, n: int, *, lead_nonzero: bool = False) -> str:
    first = rng.choice("123456789") if lead_nonzero else rng.choice(string.digits)
    return first + "".join(rng.choices(string.digits, k=n - 1))


def alnum(rng: random.Random, n: int, alphabet: str = _ALNUM) -> str:
    return "".join(rng.choices(alphabet, k=n))


def mobile(rng: random.Random) -> str:
    head, mid, tail = rng.choice(v.MOBILE_PREFIXES), digits(rng, 4), digits(rng, 4)
    style = rng.random()
    if style < 0.75:
        return head + mid + tail
    if style < 0.85:
        return f"{head}-{mid}-{tail}"
    if style < 0.95:
        return f"{head} {mid} {tail}"
    return f"+86{head}{mid}{tail}"


def tel400(rng: random.Random) -> str:
    return f"400-{digits(rng, 3)}-{digits(rng, 4)}"


def landline(rng: random.Random) -> str:
    code = rng.choice(v.AREA_CODES)
    return f"{code}-{digits(rng, 8 if len(code) == 3 else 7, lead_nonzero=True)}"


def hotline(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return f"400-{digits(rng, 3)}-{digits(rng, 4)}"
    return rng.choice(v.HOTLINES)


def overseas(rng: random.Random) -> str:
    code = rng.choice(("+852", "00852", "+855", "+63", "+95", "00853", "+60"))
    return code + digits(rng, 8)


def any_phone(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.6:
        return mobile(rng)
    if r < 0.8:
        return landline(rng)
    if r < 0.92:
        return hotline(rng)
    return overseas(rng)


def mask_phone(rng: random.Random) -> str:
    return rng.choice(v.MOBILE_PREFIXES) + rng.choice(("****", "****", "xxxx")) + digits(rng, 4)


def qq(rng: random.Random) -> str:
    return digits(rng, rng.randint(6, 11), lead_nonzero=True)


def wechat_id(rng: random.Random) -> str:
    style = rng.random()
    if style < 0.3:
        return rng.choice(v.PINYIN) + digits(rng, rng.randint(2, 6))
    if style < 0.45:
        return "wxid_" + alnum(rng, 14)
    if style < 0.6:
        return rng.choice(v.EN_NAMES) + rng.choice(("_", "", "-")) + digits(rng, 3)
    if style < 0.75:
        return rng.choice(v.MOBILE_PREFIXES) + digits(rng, 8)
    return alnum(rng, 2, string.ascii_lowercase) + rng.choice(v.PINYIN) + digits(rng, 3)


def wechat_word(rng: random.Random) -> str:
    """The spellings scams use to say 'WeChat' past keyword filters."""
    return rng.choice(
        ("微信", "微信", "微信", "VX", "vx", "V信", "薇信", "威信", "徽信", "wx", "+V")
    )


def _scheme(rng: random.Random, host: str, *, www: bool = True) -> str:
    r = rng.random()
    if r < 0.35:
        return "https://" + host
    if r < 0.6:
        return "http://" + host
    if r < 0.7 and www and host.count(".") == 1:  # only a bare site domain takes "www."
        return "www." + host
    return host


def _path(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        return "/" + alnum(rng, rng.randint(4, 8), _ALNUM_MIXED)
    if r < 0.6:
        return f"/?id={digits(rng, 6)}"
    if r < 0.7:
        return "/" + rng.choice(("h5", "m", "index.html", "login", "vip", "app"))
    return ""


def url_short(rng: random.Random) -> str:
    return (
        _scheme(rng, rng.choice(v.SHORT_HOSTS), www=False)
        + "/"
        + alnum(rng, rng.randint(5, 8), _ALNUM_MIXED)
    )


def url_scam(rng: random.Random) -> str:
    """Look-alike and throwaway domains: etc-gov.top, icbc95588.cc, 47.103.22.18:8080."""
    words, tld = v.DOMAIN_WORDS, rng.choice(v.TLDS_SCAM + v.TLDS_PLAIN)
    style = rng.random()
    if style < 0.3:
        host = f"{rng.choice(words)}-{rng.choice(words)}.{tld}"
    elif style < 0.5:
        host = f"{rng.choice(words)}{digits(rng, rng.randint(2, 5))}.{tld}"
    elif style < 0.65:
        host = f"{rng.choice(('m', 'h5', 'wap', 'www'))}.{rng.choice(words)}{alnum(rng, 3)}.{tld}"
    elif style < 0.8:
        host = f"{rng.choice(words)}{rng.choice(words)}.{tld}"
    elif style < 0.9:
        host = f"{alnum(rng, rng.randint(4, 7))}.{tld}"
    else:
        ip = ".".join(str(rng.randint(1, 223)) for _ in range(4))
        host = ip + rng.choice(("", ":8080", ":8888", ":443"))
    return _scheme(rng, host) + _path(rng)


def url_legit(rng: random.Random) -> str:
    host = rng.choice(v.LEGIT_DOMAINS)
    if rng.random() < 0.4:
        host = rng.choice(("m.", "h5.", "www.", "a.")) + host
    return _scheme(rng, host) + (_path(rng) or "/" + alnum(rng, 6, _ALNUM_MIXED))


def url_any(rng: random.Random) -> str:
    return url_scam(rng) if rng.random() < 0.6 else url_short(rng)


def mask_url(rng: random.Random) -> str:
    return rng.choice(("xxx.com", "http://xxx", "www.***.com", "https://***.cn/***", "xx.xx/xx"))
