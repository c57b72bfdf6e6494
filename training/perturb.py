"""Perturbation generators: the filter-evasion tricks scammers use, one at a time or mixed.

Used to augment training data and to build the adversarial evaluation ("does a disguised scam
get the verdict of its plain form?"). Each generator only writes disguises the shared normaliser
(:mod:`fanzha.normalize`) is meant to undo, so a perturbed message and its source normalise to
the same text up to a small, documented residue (see tests/test_perturb.py).

All functions are pure: the randomness comes from the ``random.Random`` passed in.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache

import opencc

from fanzha import variants as V
from training.keywords import disguise_keywords, has_keywords

# Tricks the normaliser undoes (so the model never sees them) ...
PERTURBATIONS: tuple[str, ...] = (
    "space_split",
    "homophone",
    "fullwidth",
    "zero_width",
    "emoji",
    "numerals",
    "link",
    "traditional",
    "combined",
)
# ... and tricks it deliberately leaves to the model (see training/keywords.py).
MODEL_PERTURBATIONS: tuple[str, ...] = ("keyword",)
ADVERSARIAL_KINDS: tuple[str, ...] = PERTURBATIONS + MODEL_PERTURBATIONS

# The order `combined` applies tricks in: script conversion needs clean text, and invisible
# characters go last so they do not break the targets the other tricks look for.
_COMBINE_ORDER = (
    "traditional",
    "homophone",
    "link",
    "numerals",
    "space_split",
    "fullwidth",
    "emoji",
    "zero_width",
)

ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u2063")
# Emoji and decorations the normaliser drops. Hearts are kept apart: after 微/v they read as 信.
EMOJI = (
    "🌹", "🎉", "💰", "🔥", "👍🏻", "😊", "✨", "🎁", "⭐", "☎️", "📱", "💯", "🧧", "👉", "✅",
    "🇨🇳", "👨‍👩‍👧", "★", "☆", "🆗", "🌟", "💎", "🀄", "🎈", "♻️",
)  # fmt: skip
HEARTS = ("❤️", "♥", "💕", "💖")
_HEART_TRIGGERS = frozenset("微薇威徽嶶v")

_CONTACT_WORDS = ("微信", "支付宝", "银行卡", "转账", "客服")
_SPLIT_SEPARATORS = (" ", "-", ".", "*", "·", "~", "|", "/", "_", " - ")
_DIGIT_SEPARATORS = (" ", "-", ".", " - ")
_HAN_DIGITS = {
    "0": ("零", "〇"), "1": ("一", "一", "幺"), "2": ("二",), "3": ("三",), "4": ("四",),
    "5": ("五",), "6": ("六",), "7": ("七",), "8": ("八",), "9": ("九",),
}  # fmt: skip
_CIRCLED = dict(zip("0123456789", "⓪①②③④⑤⑥⑦⑧⑨", strict=True))
_LINK_DOTS = ("[.]", "(.)", "{.}")
_LINK_WORD_DOTS = ("点", "。", " dot ", "[.]", "(.)")

_LATIN_BEFORE = re.compile(r"[A-Za-z0-9_@./\\#%&=?]")
_LATIN_AFTER = re.compile(r"[A-Za-z0-9@]|\.[A-Za-z0-9]")
_URL = re.compile(r"(?:https?://)?(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,}(?:/[!-~]*)?")
_HOST = re.compile(r"(?:https?://)?(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,}")
_DIGIT_RUN = re.compile(r"[0-9]+")
_GLUE = re.compile(r"[0-9A-Za-z.,]")  # a number touching these is part of an id or an amount

Span = tuple[int, int, str]  # replace text[start:end] with str


def _splice(text: str, spans: list[Span]) -> str:
    out, pos = [], 0
    for a, b, r in sorted(spans):
        out.append(text[pos:a])
        out.append(r)
        pos = b
    out.append(text[pos:])
    return "".join(out)


def _pick(rng: random.Random, items: list[Span], p: float = 0.8) -> list[Span]:
    """Each candidate with probability p, but at least one: a perturbation must change text."""
    if not items:
        return []
    chosen = [it for it in items if rng.random() < p]
    return chosen or [rng.choice(items)]


# --- context checks mirroring the normaliser's variant contexts --------------------------------


def _after_add(text: str, start: int) -> bool:
    return text[start - 1 : start] in ("加", "+", "＋") or text[max(0, start - 2) : start] in (
        "加 ",
        "+ ",
    )


def _before_id(text: str, end: int, numeric: bool) -> bool:
    return text[end : end + 1] in ("号", "群", ":", "：") or bool(
        re.match(r" ?[0-9]" if numeric else r" ?[0-9A-Za-z]", text[end : end + 2])
    )


def _latin_fits(text: str, start: int, end: int, spelling: str) -> bool:
    """Latin spellings need the boundaries the normaliser checks (and no digit right after)."""
    if _is_latin(spelling[0]) and _LATIN_BEFORE.match(text[start - 1 : start]):
        return False
    return not (_is_latin(spelling[-1]) and _LATIN_AFTER.match(text[end : end + 2]))


def _is_latin(c: str) -> bool:
    return c.isascii() and c.isalpha()


def _context_ok(text: str, start: int, end: int, context: V.Context, numeric: bool) -> bool:
    if context == "add":
        return _after_add(text, start) and not re.match(r"[A-Za-z]", text[end : end + 1])
    if context == "id":
        return _before_id(text, end, numeric)
    if context == "add_or_id":
        return _after_add(text, start) or _before_id(text, end, numeric)
    if context == "add_and_id":
        return _after_add(text, start) and _before_id(text, end, numeric)
    return True


@cache
def _spellings() -> dict[str, tuple[tuple[str, V.Context], ...]]:
    """Disguised spellings per canonical word, from the normaliser's own table."""
    table: dict[str, list[tuple[str, V.Context]]] = {}
    for v in V.VARIANTS:
        for ex in v.examples:
            if ex.lower() != v.canonical and not re.search(V.SEP, ex):
                table.setdefault(v.canonical, []).append((ex, v.context))
    table["微信"] += [(h, "add_or_id") for h in V.HEART_EXAMPLES]
    return {k: tuple(x) for k, x in table.items()}


# --- the individual tricks ----------------------------------------------------------------------


def _clipped_alipay_ok(text: str, start: int, end: int) -> bool:
    before, after = text[start - 1 : start], text[end : end + 1]
    return not (
        (before and before in V.NOT_BEFORE_CLIPPED_ALIPAY)
        or (after and after in V.NOT_AFTER_CLIPPED_ALIPAY)
    )


def _homophone_spans(text: str, rng: random.Random) -> list[Span]:
    spellings = _spellings()
    spans: list[Span] = []
    prev_end, prev_last = -1, ""  # so two disguises side by side keep their Latin boundaries
    pattern = "|".join([*_CONTACT_WORDS, "(?i:qq)", "口", "加(?=微信|(?i:qq))"])
    for m in re.finditer(pattern, text):
        start, end, word = m.start(), m.end(), m.group()
        if word == "加":
            spans.append((start, end, "+"))
            continue
        if word == "口":
            spans.append((start, end, "囗"))
            continue
        options = [
            s
            for s, ctx in spellings.get(word.lower(), ())
            if _context_ok(text, start, end, ctx, numeric=word.lower() == "qq")
            and _latin_fits(text, start, end, s)
            and not (prev_end == start and _is_latin(prev_last) and _is_latin(s[0]))
        ]
        if word == "支付宝" and not _clipped_alipay_ok(text, start, end):
            options = [s for s in options if s != "付宝"]
        if options:
            spans.append((start, end, rng.choice(options)))
            prev_end, prev_last = end, spans[-1][2][-1]
    return spans


def _homophone(text: str, rng: random.Random) -> str:
    return _splice(text, _pick(rng, _homophone_spans(text, rng)))


def _split(word: str, sep: str) -> str:
    return sep.join(word)


def _space_split_spans(text: str, rng: random.Random) -> list[Span]:
    """Contact words, QQ, free-standing numbers (phone, QQ, card) and link hosts, spelled out."""
    spans: list[Span] = []
    for m in re.finditer("|".join(_CONTACT_WORDS), text):
        spans.append((m.start(), m.end(), _split(m.group(), rng.choice(_SPLIT_SEPARATORS))))
    for m in re.finditer(r"(?i:qq)", text):
        if _latin_fits(text, m.start(), m.end(), "qq"):
            sep = rng.choice((" ", "-", "."))
            spans.append((m.start(), m.end(), _split(m.group(), sep)))
    urls = [m.span() for m in _URL.finditer(text)]
    for m in _DIGIT_RUN.finditer(text):
        start, end = m.span()
        glued = _GLUE.match(text[start - 1 : start]) or _GLUE.match(text[end : end + 1])
        in_url = any(a <= start < b for a, b in urls)
        if 5 <= end - start <= 12 and not glued and not in_url:
            spans.append((start, end, _split(m.group(), rng.choice(_DIGIT_SEPARATORS))))
    for m in _HOST.finditer(text):
        before = text[m.start() - 1 : m.start()]
        if before and re.match(r"[A-Za-z0-9]", before):
            continue
        spans.append((m.start(), m.end(), _split(m.group(), " ")))
    return _non_overlapping(spans)


def _non_overlapping(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for s in sorted(spans):
        if not out or s[0] >= out[-1][1]:
            out.append(s)
    return out


def _space_split(text: str, rng: random.Random) -> str:
    return _splice(text, _pick(rng, _space_split_spans(text, rng)))


def _fullwidth(text: str, rng: random.Random) -> str:
    spots = [i for i, c in enumerate(text) if "!" <= c <= "~" or c == " "]
    if not spots:
        return text
    chosen = {i for i in spots if rng.random() < 0.8} or {rng.choice(spots)}
    return "".join(
        (chr(ord(c) + 0xFEE0) if c != " " else "\u3000") if i in chosen else c
        for i, c in enumerate(text)
    )


def _insert(text: str, rng: random.Random, count: int, pick: Callable[[int], str]) -> str:
    """Insert ``pick(gap)`` at ``count`` distinct gaps between characters."""
    gaps = list(range(1, len(text)))
    if not gaps:
        return text
    chosen = sorted(rng.sample(gaps, min(count, len(gaps))))
    out, pos = [], 0
    for g in chosen:
        out.append(text[pos:g])
        out.append(pick(g))
        pos = g
    out.append(text[pos:])
    return "".join(out)


def _zero_width(text: str, rng: random.Random) -> str:
    def pick(_gap: int) -> str:
        return "".join(rng.choices(ZERO_WIDTH, k=rng.randint(1, 2)))

    return _insert(text, rng, max(1, len(text) // 6), pick)


def _emoji(text: str, rng: random.Random) -> str:
    def pick(gap: int) -> str:
        before = unicodedata.normalize("NFKC", text[gap - 1]).lower()
        pool = EMOJI if before in _HEART_TRIGGERS else EMOJI + HEARTS
        return rng.choice(pool)

    return _insert(text, rng, max(1, len(text) // 20), pick)


def _numerals(text: str, rng: random.Random) -> str:
    spans = []
    for m in _DIGIT_RUN.finditer(text):
        digits = m.group()
        if len(digits) < 4:
            continue
        if rng.random() < 0.5:
            new = "".join(_CIRCLED[d] for d in digits)
        else:
            new = "".join(rng.choice(_HAN_DIGITS[d]) for d in digits)
        spans.append((m.start(), m.end(), new))
    return _splice(text, _pick(rng, spans))


def _link_spans(text: str, rng: random.Random) -> list[Span]:
    spans: list[Span] = []
    for m in _URL.finditer(text):
        url = m.group()
        scheme, sep, rest = url.partition("://")
        if not sep:
            scheme, rest = "", url
        slash = rest.find("/")
        host, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
        head = ""
        if scheme:
            head = rng.choice(("hxxp", "hxxp", "h**p")) + scheme[4:].lower() + "://"
        labels = host.split(".")
        parts = [labels[0]]
        for i, label in enumerate(labels[1:], start=1):
            if i == len(labels) - 1:  # the last dot is always disguised, so the link changes
                word_ok = label.lower() in V.LINK_TLDS
                parts.append(rng.choice(_LINK_WORD_DOTS if word_ok else _LINK_DOTS))
            elif i == 1 and labels[0].lower() == "www":
                parts.append(rng.choice(("点", "[.]", "。")))
            else:
                parts.append(rng.choice((*_LINK_DOTS, ".")))
            parts.append(label)
        spans.append((m.start(), m.end(), head + "".join(parts) + path))
    return spans


def _link(text: str, rng: random.Random) -> str:
    return _splice(text, _pick(rng, _link_spans(text, rng), p=1.0))


@cache
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def _traditional(text: str, rng: random.Random) -> str:
    del rng  # deterministic: OpenCC picks one traditional form per phrase
    return str(_s2t().convert(text))


_TRICKS: dict[str, Callable[[str, random.Random], str]] = {
    "space_split": _space_split,
    "homophone": _homophone,
    "fullwidth": _fullwidth,
    "zero_width": _zero_width,
    "emoji": _emoji,
    "numerals": _numerals,
    "link": _link,
    "traditional": _traditional,
    "keyword": disguise_keywords,
}


def applicable(text: str, kind: str) -> bool:
    """Whether ``text`` holds something ``kind`` can disguise (then perturb always changes it)."""
    if kind == "combined":
        return any(applicable(text, k) for k in _COMBINE_ORDER)
    probe = random.Random(0)
    if kind == "space_split":
        return bool(_space_split_spans(text, probe))
    if kind == "homophone":
        return bool(_homophone_spans(text, probe))
    if kind == "fullwidth":
        return any("!" <= c <= "~" or c == " " for c in text)
    if kind in ("zero_width", "emoji"):
        return len(text) >= 2
    if kind == "numerals":
        return any(len(m.group()) >= 4 for m in _DIGIT_RUN.finditer(text))
    if kind == "link":
        return bool(_link_spans(text, probe))
    if kind == "traditional":
        return _traditional(text, probe) != text
    if kind == "keyword":
        return has_keywords(text)
    raise ValueError(f"unknown perturbation {kind!r}; expected one of {ADVERSARIAL_KINDS}")


def perturb(text: str, kind: str, rng: random.Random) -> str:
    """Disguise ``text`` with one trick, or with 2-4 applicable tricks for ``combined``."""
    if kind == "combined":
        kinds = [k for k in _COMBINE_ORDER if applicable(text, k)]
        if len(kinds) > 2:
            kinds = rng.sample(kinds, rng.randint(2, min(4, len(kinds))))
        for k in _COMBINE_ORDER:
            if k in kinds:
                text = _TRICKS[k](text, rng)
        return text
    if kind not in _TRICKS:
        raise ValueError(f"unknown perturbation {kind!r}; expected one of {ADVERSARIAL_KINDS}")
    return _TRICKS[kind](text, rng)


def perturb_all(texts: Iterable[str], kind: str, seed: int) -> list[str]:
    """Perturb each text with its own generator seeded by (seed, position): reproducible, and a
    text's perturbation does not depend on which other texts are in the batch before it."""
    return [perturb(t, kind, random.Random(f"{seed}/{i}")) for i, t in enumerate(texts)]
