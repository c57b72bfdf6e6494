"""Text normalisation shared by training, serving and scoring.

Scam SMS are written to slip past filters (微 信, V信, ＱＱ, zero-width joiners, ①③⑧, hxxp,
traditional characters...). Every model input goes through :func:`normalize_text` so a disguised
message and its plain form look the same to the model; :func:`normalize` gives the same text plus
an alignment so indicators found in it can be reported as spans of the text the caller sent.

The pipeline is a fixed sequence of pure stages (see ``_STAGES``):

1. fold characters: NFKC, full-width → half-width, lower-case, drop invisible/format characters,
   combining marks, emoji and decorative symbols; boxed/circled digits and letters → plain ones;
2. "微❤"-style hearts read as 信; other hearts dropped;
3. traditional → simplified (OpenCC t2s), only when the text holds a traditional character;
4. runs of ≥4 Chinese digit-characters (一三八零…, 〇, 幺) → ASCII digits;
5. spaces between two CJK characters removed (Chinese uses none), space runs → one space;
6. spaced-out letters/digits joined (1 3 8 0…, w w w . x . c o m, 138 0013 8000);
7. loose links repaired (hxxp, 点com, [.], dot com) — re-run after 6 and 8 for what they create;
8. disguised contact words → canonical (薇信/vx → 微信, 扣扣 → qq, zfb → 支付宝...), URLs excluded;
9. spaces again (stage 8 can bring Han characters next to a space), strip.

Decisions: amounts (一万元, 三十五) and short numeral words (一起, 三个月) are never converted; a
space between Han characters is always dropped; spaces between Latin words are kept.
The output is idempotent: normalising normalised text changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from itertools import compress

import opencc

from fanzha import variants as V

# Bump on any behaviour change. The OpenCC version is part of it: its dictionaries decide stage 3.
NORMALIZER_VERSION = f"{V.RULES_VERSION}+opencc-{opencc.__version__}"

__all__ = ["NORMALIZER_VERSION", "Normalized", "normalize", "normalize_text"]

Edit = tuple[int, int, str]  # replace text[start:end] with str


@dataclass(frozen=True)
class Normalized:
    """Normalised text plus, for each of its characters, the index of the source character."""

    text: str
    source_index: tuple[int, ...]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span [start, end) of the normalised text to a span of the original text.

        A replacement's first and last characters point at the first and last characters it
        replaced, so the span of 微信 read from "微 - 信" is the whole "微 - 信".
        """
        n = len(self.source_index)
        if not 0 <= start <= end <= n:
            raise ValueError(f"span [{start}, {end}) outside normalised text of length {n}")
        if start == end:
            pos = self.source_index[start] if start < n else self._source_len
            return pos, pos
        return self.source_index[start], self.source_index[end - 1] + 1

    @property
    def _source_len(self) -> int:
        return (self.source_index[-1] + 1) if self.source_index else 0


# --- stage 1: per-character folding -----------------------------------------------------------

_SENTINEL = "\ue000"  # private-use: input private-use characters are dropped, so it is unforgeable
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me", "So"})


def _fold_one(ch: str) -> str:
    if ch in V.CHAR_OVERRIDES:
        return V.CHAR_OVERRIDES[ch]
    out = []
    for c in unicodedata.normalize("NFKC", ch).lower():
        if c in V.CHAR_OVERRIDES:
            out.append(V.CHAR_OVERRIDES[c])
        elif c.isspace():
            out.append(" ")
        elif c in V.KEEP_SYMBOLS:
            out.append(c)
        elif unicodedata.category(c) in _DROP_CATEGORIES or ord(c) in V.EMOJI_MODIFIERS:
            continue
        else:
            out.append(c)
    return "".join(out)


def _fold_char(ch: str) -> str:
    """Fold one character to a string every character of which folds to itself."""
    if ch in V.HEART_CHARS:
        return _SENTINEL
    result = _fold_one(ch)
    for _ in range(4):  # NFKC output is NFKC-stable; lower() and overrides settle within a step
        again = "".join(_fold_one(c) for c in result)
        if again == result:
            break
        result = again
    return result


class _FoldTable(dict[int, str]):
    """str.translate table filled on first sight of each code point (no import-time cost)."""

    def __missing__(self, key: int) -> str:
        value = _fold_char(chr(key))
        self[key] = value
        return value


class _WidthTable(dict[int, str]):
    """For each code point, chr(number of characters it folds to): aligns stage 1 in C speed."""

    def __missing__(self, key: int) -> str:
        value = chr(len(_FOLD[key]))
        self[key] = value
        return value


_FOLD = _FoldTable()
_WIDTH = _WidthTable()

# Characters that fold to themselves: plain Han, lower-case ASCII, common CJK punctuation (the
# tests check every one). A message made only of these skips the per-character translate.
_UNCHANGED = "\u4e00-\u56d6\u56d8-\u9fff!-@\\[-~\u3001-\u3003\u3005-\u3011\u2018-\u201f "
_NEEDS_FOLD = re.compile(f"[^{_UNCHANGED}]")


# --- regex-driven stages ------------------------------------------------------------------------

_CJK = f"[{V.CJK}]"
_LINK_TLD = "(?:" + "|".join(V.LINK_TLDS) + ")(?![a-z0-9])"
_URL_TLD = "(?:" + "|".join(V.URL_TLDS) + ")(?![a-z0-9])"


def _constant(value: str) -> Callable[[re.Match[str]], str]:
    def repl(_m: re.Match[str]) -> str:
        return value

    return repl


class _Stage:
    """A regex and a replacement; ``apply`` (fast) and ``edits`` (aligned) agree by construction.

    ``lead`` is a look-ahead for the set of characters a match can begin with. In front of the
    pattern it lets the regex engine reject most positions with one set test instead of trying
    each alternative (5-10x faster); the tests check it against the bare pattern.
    """

    def __init__(
        self,
        pattern: str,
        repl: Callable[[re.Match[str]], str] | str,
        lead: str,
        needs: str = "",
    ) -> None:
        self.pattern = pattern
        self.regex = re.compile(f"{lead}(?:{pattern})")
        self.needs = needs  # a substring every match contains: skip the scan when absent
        self._sub_repl = repl  # a plain string is substituted faster than a callback
        self.repl = repl if callable(repl) else _constant(repl)

    def apply(self, s: str) -> str:
        if self.needs and self.needs not in s:
            return s
        return self.regex.sub(self._sub_repl, s)

    def edits(self, s: str) -> list[Edit]:
        if self.needs and self.needs not in s:
            return []
        out = []
        for m in self.regex.finditer(s):
            r = self.repl(m)
            if r != m.group():
                out.append((m.start(), m.end(), r))
        return out


def _heart_repl(m: re.Match[str]) -> str:
    return "" if m.group() == _SENTINEL else "微信"


# "微❤"/"v❤" as 微信, in an add-contact context or before an id, never when 信 follows anyway.
_HEARTS = _Stage(
    rf"{V.PLACEHOLDERS['ADD']}(?:[微薇威徽嶶]|v) ?{_SENTINEL}+(?![ {_SENTINEL}]*(?:信|亻言))"
    rf"|(?:[微薇威徽嶶]|(?<![a-z0-9])v) ?{_SENTINEL}+{V.PLACEHOLDERS['ID']}"
    rf"|{_SENTINEL}",
    _heart_repl,
    lead=f"(?=[微薇威徽嶶v{_SENTINEL}])",
    needs=_SENTINEL,
)

_NUMERAL_CHARS = "".join(V.CHINESE_DIGITS)
_NUMERAL_TABLE = str.maketrans(V.CHINESE_DIGITS)
_NUMERAL_SEP = "[ \\-.·*_~]"


def _numeral_repl(m: re.Match[str]) -> str:
    run = m.group()
    han = "".join(c for c in run if c in V.CHINESE_DIGITS)
    digits = len(han) + sum(c.isdigit() for c in run)
    if len(han) < 3 or digits < 4 or han in V.NUMERAL_IDIOMS:
        return run
    return run.translate(_NUMERAL_TABLE)


# A run of digit-characters (ASCII digits may touch it; separators only between Han digits).
_NUMERALS = _Stage(
    rf"(?<![0-9])[0-9]*[{_NUMERAL_CHARS}](?:{_NUMERAL_SEP}*[{_NUMERAL_CHARS}]){{2,}}[0-9]*",
    _numeral_repl,
    lead=f"(?=[0-9{_NUMERAL_CHARS}])",
)

_SPACES = _Stage(rf"(?<={_CJK}) +(?={_CJK})| +(?= )", "", lead="(?= )", needs=" ")
_FINAL_SPACES = _Stage(rf"(?<={_CJK}) +(?={_CJK})| +(?= )|^ +| +$", "", lead="(?= )", needs=" ")

_SPACED_DIGITS = r"(?<![0-9a-z])[0-9](?:[ \-.·*_~]+[0-9](?![0-9a-z])){4,}"
_SPACED_DIGITS_RE = re.compile(_SPACED_DIGITS)
_NON_DIGITS = re.compile(r"[^0-9]")
_SPACE_RUN = re.compile(" +")


def _join_digits(m: re.Match[str]) -> str:
    return _NON_DIGITS.sub("", m.group())


def _spaced_repl(m: re.Match[str]) -> str:
    if m.lastgroup == "word":  # w w w . x x . c o m → www.xx.com; q . q : 1-2-3-4-5 → q.q:12345
        return _SPACED_DIGITS_RE.sub(_join_digits, _SPACE_RUN.sub("", m.group()))
    return _join_digits(m)


# One step of a spaced-out token run: a separator holding punctuation, or plain spaces between two
# letters or two digits. "q q 1 2 3" is thus "q q" and "1 2 3", not one token "qq123".
_TOKEN_STEP = (
    r"(?: *[.:/@\-_点。丶][ .:/@\-_点。丶]*|(?<=[a-z]) +(?=[a-z])|(?<=[0-9]) +(?=[0-9]))"
    r"[a-z0-9](?![a-z0-9])"
)
# A run with a dot before two or more letters (". c o m") is a spelled-out address: there letters
# and digits join across plain spaces too. "q . q 1 2 3" has no such dot and stays two runs.
_ANY_STEP = r"[ .:/@\-_点。丶]+[a-z0-9](?![a-z0-9])"
_DOT_STEP = (
    r"[ :/@\-_]*[.点。丶][ .:/@\-_点。丶]*[a-z](?![a-z0-9])"
    r"(?:[ .:/@\-_点。丶]+[a-z](?![a-z0-9]))+"
)
_SPACED = _Stage(
    # five or more single digits with separators between: 1 3 8 0 0 / 1-3-8-0-0
    rf"(?P<digits>{_SPACED_DIGITS})"
    # an 11-digit mobile or a 400/800 number written in groups: 138 0013 8000, 400-123-4567
    r"|(?P<phone>(?<![0-9])(?:1(?:[ \-]?[0-9]){10}|[48]00(?:[ \-]?[0-9]){7})(?![0-9]|[ \-][0-9]))"
    # single letters/digits spread out: w w w . x 1 . c o m (any length with a dot), h t t p (4+;
    # three would merge lists such as "选项 1 2 3" or "a b c")
    rf"|(?P<word>(?<![a-z0-9])[a-z0-9](?![a-z0-9])"
    rf"(?:(?:{_ANY_STEP})*{_DOT_STEP}(?:{_ANY_STEP})*|(?:{_TOKEN_STEP}){{3,}}))",
    _spaced_repl,
    # a token starts after a non-alphanumeric; a phone number may also follow a letter (tel138...)
    lead="(?=[0-9a-z])(?<![0-9])(?:(?<![a-z])|(?=1|[48]00))",
)


def _link_repl(m: re.Match[str]) -> str:
    kind = m.lastgroup
    if kind == "scheme":
        return "http" + m.group("s") + "://"
    if kind == "hxxp":
        return "http" + m.group("s2")
    if kind == "www":
        return "www."
    if kind == "at":
        return "@"
    if "。" in m.group() and not _LABEL_WITH_LETTER.search(m.string, 0, m.start()):
        return m.group()  # "电话13912345678。CN" ends a sentence; "abc。com" is a domain
    return "."


_LABEL_WITH_LETTER = re.compile(r"[a-z][a-z0-9\-]*\Z")


_DOTS = r"(?:\[\.\]|\(\.\)|\{\.\}|【\.】|<\.>|\[dot\]|\(dot\)|\{dot\})"
_LINKS = _Stage(
    # hxxp(s), h**p, and a mangled :// (http: //, http//, http:\\)
    r"(?P<scheme>(?<![a-z0-9])h(?:xx|\*\*|tt)p(?P<s>s?) *:? *[/\\] *[/\\] *)"
    r"|(?P<hxxp>(?<![a-z0-9])h(?:xx|\*\*)p(?P<s2>s?)(?![a-z0-9]))"
    rf"|(?P<www>(?<![a-z0-9])www *(?:点|。|丶|dot|\.|{_DOTS}) *(?=[a-z0-9]))"
    rf"|(?P<bracket>(?<=[a-z0-9]) *{_DOTS} *(?=[a-z0-9]))"
    r"|(?P<at>(?<=[a-z0-9]) *(?:\[at\]|\(at\)|\{at\}|\[@\]|\(@\)) *(?=[a-z0-9]))"
    rf"|(?P<dot>(?<=[a-z0-9])(?: *(?:点|。|丶|dot) *| +\. *|\. +)(?={_LINK_TLD}))",
    _link_repl,
    # a scheme or www starts a word; every other rule starts right after a letter or digit
    lead=r"(?=[hw \[({【<点。丶d.])(?:(?<![a-z0-9])(?=[hw])|(?<=[a-z0-9]))",
)

_VARIANT_PATTERN = "|".join(f"(?P<v{i}>{V.expand(v.pattern)})" for i, v in enumerate(V.VARIANTS))
# Every Latin-initial variant needs the Latin left boundary, so the lead checks it once.
_VARIANT_RE = re.compile(
    f"(?=[{V.VARIANT_FIRST_CHARS}])(?:(?=[^a-z])|{V.PLACEHOLDERS['L']})(?:{_VARIANT_PATTERN})"
)
_URL_RE = re.compile(
    r"(?:https?://|www\.)[!-~]+"
    r"|[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)+"
    rf"|(?<![a-z0-9.\-])(?:[a-z0-9\-]+\.)+{_URL_TLD}(?:[/?#:][!-~]*)?"
)


class _VariantStage:
    """Contact-word variants, skipping anything inside a URL or e-mail address."""

    def edits(self, s: str) -> list[Edit]:
        found = []
        for m in _VARIANT_RE.finditer(s):
            canonical = V.VARIANTS[int(m.lastgroup[1:])].canonical  # type: ignore[index]
            if canonical != m.group():
                found.append((m.start(), m.end(), canonical))
        if not found:
            return found
        urls = [m.span() for m in _URL_RE.finditer(s)]
        if not urls:
            return found
        return [e for e in found if not any(a < e[1] and e[0] < b for a, b in urls)]

    def apply(self, s: str) -> str:
        return _splice(s, self.edits(s))


def _splice(s: str, edits: list[Edit]) -> str:
    if not edits:
        return s
    parts = []
    pos = 0
    for a, b, r in edits:
        parts.append(s[pos:a])
        parts.append(r)
        pos = b
    parts.append(s[pos:])
    return "".join(parts)


# --- stage 3: traditional → simplified ----------------------------------------------------------


@dataclass(frozen=True)
class _T2S:
    converter: opencc.OpenCC
    chars: dict[str, str]  # every character t2s changes on its own, resolved to its final form
    gate: re.Pattern[str]  # matches any such character


@cache
def _t2s() -> _T2S:
    """Build the converter and its character tables on first use (~50 ms, once per process)."""
    converter = opencc.OpenCC("t2s")
    ranges = ((0x2E80, 0xA000), (0xF900, 0xFB00), (0x20000, 0x323B0))
    cands = [chr(c) for a, b in ranges for c in range(a, b)]
    converted = converter.convert("\n".join(cands)).split("\n")
    chars = {c: o for c, o in zip(cands, converted, strict=True) if c != o and len(o) == 1}
    for c, o in chars.items():  # OpenCC's one-step chains (薴→苧→苎) resolved for idempotence
        while o in chars and chars[o] != o:
            o = chars[o]
        chars[c] = o
    # Astral traditional characters go in as one range: a class of single astral characters is
    # scanned linearly by the regex engine (50 µs a message), a BMP-only class is a bitmap.
    bmp = "".join(sorted(c for c in chars if ord(c) < 0x10000))
    gate = re.compile(f"[{bmp}\U00020000-\U000323af]")
    return _T2S(converter, chars, gate)


class _TraditionalStage:
    """Convert with phrase context but accept changes only at traditional characters.

    OpenCC's phrase table also rewrites a few simplified words (打坏 → 打坯); accepting a change
    only where the source character is traditional (or a phrase-only traditional form such as 覆
    in 回覆) keeps simplified text untouched and keeps the length, hence the alignment, one to one.
    Only messages holding one of those few simplified characters pay for the per-character check.
    """

    def apply(self, s: str) -> str:
        t = _t2s()
        if not t.gate.search(s):
            return s
        for _ in range(3):  # a second round settles characters a phrase kept traditional
            converted = t.converter.convert(s)
            if len(converted) != len(s):  # never seen with t2s: fall back to single characters
                converted = "".join(t.chars.get(c, c) for c in s)
            elif _PHRASE_RISK.search(s):
                converted = "".join(
                    o if c in t.chars or c in _PHRASE_ONLY else c
                    for c, o in zip(s, converted, strict=True)
                )
            if converted == s or not t.gate.search(converted):
                return converted
            s = converted
        return s

    def edits(self, s: str) -> list[Edit]:
        t = self.apply(s)
        return [] if t == s else [(0, len(s), t)]  # same length: one to one


_PHRASE_ONLY = V.PHRASE_ONLY_TRADITIONAL
_PHRASE_RISK = re.compile(f"[{''.join(sorted(V.SIMPLIFIED_CHANGED_BY_PHRASES))}]")
_TRADITIONAL = _TraditionalStage()
_VARIANTS = _VariantStage()

_Stageish = _Stage | _VariantStage | _TraditionalStage
# Stages after folding, in order, each with "only if the previous stage changed the text".
# _LINKS runs before _SPACED so "a b [.] com" is one domain by the time tokens are joined, and
# again after _SPACED and _VARIANTS for what they create ("h x x p" → hxxp, 扣扣(.)cn → qq(.)cn).
_STAGES: tuple[tuple[_Stageish, bool], ...] = (
    (_HEARTS, False),
    (_TRADITIONAL, False),
    (_NUMERALS, False),
    (_SPACES, False),
    (_LINKS, False),
    (_SPACED, False),
    (_LINKS, True),
    (_VARIANTS, False),
    (_LINKS, True),
    (_FINAL_SPACES, False),
)


def normalize_text(text: str) -> str:
    """The normalised text alone: what classification, training and scoring feed the model."""
    s = text.translate(_FOLD) if _NEEDS_FOLD.search(text) else text
    changed = True
    for stage, only_after_change in _STAGES:
        if only_after_change and not changed:
            continue
        before = s
        s = stage.apply(s)
        changed = s is not before and s != before
    return s


def normalize(text: str) -> Normalized:
    """Normalise and keep, for each output character, the index of its source character."""
    if not _NEEDS_FOLD.search(text):
        s, index = text, list(range(len(text)))
    else:
        s = text.translate(_FOLD)
        index = _fold_index(text.translate(_WIDTH))
    changed = True
    for stage, only_after_change in _STAGES:
        if only_after_change and not changed:
            continue
        edits = stage.edits(s)
        changed = False
        if edits:
            if any(b - a != len(r) for a, b, r in edits):
                index = _realign(index, edits)
            new = _splice(s, edits)
            changed, s = new != s, new
    return Normalized(s, tuple(index))


def _fold_index(widths: str) -> list[int]:
    """Source index after folding, from each character's fold width (most are exactly 1)."""
    raw = widths.encode("latin-1")  # a character folds to at most 18 (NFKC of U+FDFA)
    if not raw or max(raw) <= 1:  # only deletions (zero-width, emoji): keep the indices of width 1
        return list(compress(range(len(raw)), raw))
    index: list[int] = []
    pos = 0
    for m in _IRREGULAR_WIDTH.finditer(widths):
        i = m.start()
        index.extend(range(pos, i))
        index.extend([i] * ord(widths[i]))
        pos = i + 1
    index.extend(range(pos, len(widths)))
    return index


_IRREGULAR_WIDTH = re.compile("[^\x01]")


def _realign(index: list[int], edits: list[Edit]) -> list[int]:
    out: list[int] = []
    pos = 0
    for a, b, r in edits:
        out.extend(index[pos:a])
        out.extend(index[a + k] for k in _offsets(b - a, len(r)))
        pos = b
    out.extend(index[pos:])
    return out


def _offsets(old_len: int, new_len: int) -> list[int]:
    """Which old character each new character of a replacement comes from (monotone, in range).

    Equal lengths map one to one (vx → 微信); otherwise first and last stay anchored to first and
    last and the middle is spread evenly, so a replacement of two or more characters spans all of
    the text it replaced (a single character points at the first one: "+ " → 加).
    """
    if new_len == old_len:
        return list(range(new_len))
    if new_len == 1:
        return [0]
    return [(k * (old_len - 1)) // (new_len - 1) for k in range(new_len)]
