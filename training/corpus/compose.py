"""Message shapes: a short SMS, a medium message, and three long forms.

Every label is written as sub-schemes (`Sub`) holding interchangeable pieces; this module turns
those pieces into a message of a chosen shape, so each scheme module only writes wording. The
long forms are a persuasive message (all body sections plus extra sentences), a chat transcript
("客服：…… 我：……") and a case narrative (how an archive or a victim retells the scam).
Punctuation and register noise is applied the same way to every label, so it carries no label
information.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from training.corpus.template import Filler

Alts = tuple[str, ...]
# (speaker, alternatives): "S" scammer (or first speaker), "V" victim, "S2" a second scammer the
# call is "transferred" to; an empty alternative skips the turn.
Turn = tuple[str, Alts]

LONG_MIN = 150
LONG_TARGET_MAX = 300
LONG_CAP = 450
LONG_RETRIES = 2  # a long shape that came out short is redrawn, so "long" mostly means long
_LONG_SHAPES = ("dialog", "story", "persuasive")
MAX_EXTRAS = 6  # more than this reads like a list of slogans, not a message
_SENTENCE_END = "。！？!?"

# The victim gets its own slot key, so "{name}" in the story body (an account holder, a
# "colleague") is a different person.
_STORY_LEADS: Alts = (
    "{date}，{city:v}市民{name:v}报警称，",
    "受害人{name:v}（{age}岁）报称：",
    "[据受害人陈述|据报案人反映|事主{pname:v}陈述]，",
    "{date}{time}许，{city:v}{district}居民{name:v}报警：",
    "[报案人|受害人]{name:v}，{age}岁，{city:v}人。[其|受害人]称",
    "案情：",
)
_STORY_TAILS: Alts = (
    "",
    "[其|受害人]随即报警。",
    "[经查|经核实]，对方所用[账号|收款账户]均为[非实名|他人]账户，[案件|此案]正在侦办中。",
    "[受害人|其]已向警方提供[聊天记录|转账记录]和对方[账号|联系方式]。",
    "[涉案|被骗]资金分{n}笔转入多个不同账户，[现已|目前已]立案。",
    "[其|受害人]事后回忆，对方[说话很专业|对其个人信息十分了解]，[其|自己]才放松了警惕。",
)
_QUOTE_INTROS: Alts = ("\n聊天记录：\n", "\n[部分|]聊天记录如下：", "\n对方原话：", "\n")
_CHAT_HEADERS: Alts = ("", "", "", "聊天记录：", "[截图内容|对话如下]：", "{date} {time}\n")


@dataclass(frozen=True)
class Sub:
    """One sub-scheme of a label: the pieces its messages are composed from."""

    name: str
    short: Alts = ()
    body: tuple[Alts, ...] = ()
    extra: Alts = ()
    dialog: tuple[Turn, ...] = ()
    story: tuple[Alts, ...] = ()
    roles: tuple[Alts, ...] = (("对方",), ("我",))  # names for S, V and optionally S2
    weight: float = 1.0


@dataclass(frozen=True)
class Mix:
    """How often each shape is drawn; long is split into dialog / story / persuasive."""

    short: float = 0.36
    medium: float = 0.30
    long: float = 0.34
    dialog_share: float = 0.45
    story_share: float = 0.15


@dataclass(frozen=True)
class Scheme:
    label: str
    subs: tuple[Sub, ...]
    mix: Mix = field(default_factory=Mix)
    extra: Alts = ()  # label-wide sentences any sub may add to a long message

    def __post_init__(self) -> None:
        if not self.subs:
            raise ValueError(f"scheme {self.label} has no sub-schemes")
        for sub in self.subs:
            if not (sub.short or sub.body):
                raise ValueError(f"{self.label}/{sub.name} has neither short nor body pieces")


def _ensure_stop(text: str) -> str:
    text = text.strip()
    if not text or text[-1] in '。！？!?~…，,：:；）)」”"】':
        return text
    return text + "。"


def render_body(f: Filler, sub: Sub, extras: Alts, *, min_len: int = 0) -> str:
    parts = [_ensure_stop(f.fill_any(section)) for section in sub.body]
    parts = [p for p in parts if p]
    pool = list(extras)
    f.rng.shuffle(pool)
    del pool[MAX_EXTRAS:]
    while pool and len("".join(parts)) < min_len:
        # extras go between whole sentences, after the opening, before the call to action
        slots = [i for i in range(2, len(parts)) if parts[i - 1][-1] in _SENTENCE_END]
        at = f.rng.choice(slots) if slots else max(len(parts) - 1, 0)
        parts.insert(at, _ensure_stop(f.fill(pool.pop())))
    return "".join(parts)


def render_dialog(f: Filler, sub: Sub, *, header: bool = True) -> str:
    names = {"S": f.fill_any(sub.roles[0]), "V": f.fill_any(sub.roles[1])}
    names["S2"] = f.fill_any(sub.roles[2]) if len(sub.roles) > 2 else names["S"]
    lines = []
    for role, alts in sub.dialog:
        said = f.fill_any(alts).strip()
        if said:
            lines.append((names[role], said))
    style = f.rng.random()
    colon = "：" if f.chance(0.85) else ":"
    if style < 0.5:
        body = "\n".join(f"{who}{colon}{said}" for who, said in lines)
    elif style < 0.75:
        body = " ".join(f"{who}{colon}{said}" for who, said in lines)
    else:
        body = "".join(f"{who}{colon}“{said}”" for who, said in lines)
    return (f.fill_any(_CHAT_HEADERS) if header else "") + body


def render_story(f: Filler, sub: Sub) -> str:
    parts = [f.fill_any(section) for section in sub.story]
    tails = f.rng.sample(_STORY_TAILS, k=f.rng.choice((1, 1, 2)))
    parts += [f.fill(t) for t in tails]
    return f.fill_any(_STORY_LEADS) + "".join(_ensure_stop(p) for p in parts if p)


def _shape(f: Filler, mix: Mix) -> str:
    r = f.rng.random() * (mix.short + mix.medium + mix.long)
    if r < mix.short:
        return "short"
    if r < mix.short + mix.medium:
        return "medium"
    r = f.rng.random()
    if r < mix.dialog_share:
        return "dialog"
    if r < mix.dialog_share + mix.story_share:
        return "story"
    return "persuasive"


def _supports(sub: Sub, shape: str) -> bool:
    if shape == "short":
        return bool(sub.short)
    if shape in ("medium", "persuasive"):
        return bool(sub.body)
    return bool(sub.dialog if shape == "dialog" else sub.story)


# What to try when no sub-scheme of a label has the drawn shape: long stays long if it can.
_FALLBACK = {
    "short": ("short", "medium"),
    "medium": ("medium", "short"),
    "dialog": ("dialog", "persuasive", "story", "medium", "short"),
    "story": ("story", "persuasive", "dialog", "medium", "short"),
    "persuasive": ("persuasive", "dialog", "story", "medium", "short"),
}


def _render_shape(f: Filler, sub: Sub, shape: str, extras: Alts) -> str:
    if shape == "short":
        return f.fill_any(sub.short)
    if shape == "medium":
        return render_body(f, sub, extras, min_len=0 if f.chance(0.7) else 90)
    if shape == "story":
        return render_story(f, sub)
    if shape == "persuasive":
        return render_body(f, sub, extras, min_len=f.rng.randint(LONG_MIN, LONG_TARGET_MAX))
    with_story = bool(sub.story) and f.chance(0.25)
    chat = render_dialog(f, sub, header=not with_story)
    if not with_story:
        return chat
    # case files often retell the case, then quote the chat
    combined = render_story(f, sub) + f.fill_any(_QUOTE_INTROS) + chat
    return combined if len(combined) <= LONG_CAP else chat


def render(f: Filler, scheme: Scheme) -> str:
    """One message of `scheme`: draw a shape, then a sub-scheme that can produce it."""
    for shape in _FALLBACK[_shape(f, scheme.mix)]:
        subs = [s for s in scheme.subs if _supports(s, shape)]
        if subs:
            break
    sub = f.rng.choices(subs, weights=[s.weight for s in subs])[0]
    extras = sub.extra + scheme.extra
    text = _render_shape(f, sub, shape, extras)
    for _ in range(LONG_RETRIES if shape in _LONG_SHAPES else 0):
        if len(text) >= LONG_MIN:
            break
        text = _render_shape(f, sub, shape, extras)
    return text if f.skeleton else polish(f, text)


_DOUBLE_PUNCT = re.compile(r"([。！？，、；])[。，、；]+")
_DATE_CLOCK = re.compile(r"(\d{2}-\d{2})(\d{2}:\d{2})")  # "08-26" + "14:30" needs a space
_SIGNATURE = re.compile(r"【[^】]{1,14}】")


def polish(f: Filler, text: str) -> str:
    """Register and punctuation noise, identical for every label."""
    text = _DOUBLE_PUNCT.sub(r"\1", text.strip())
    text = _DATE_CLOCK.sub(r"\1 \2", text)
    text = text.replace("！。", "！").replace("？。", "？")
    if text.endswith("。") and f.chance(0.18):
        text = text[:-1]
    r = f.rng.random()
    if r < 0.05:
        text = text.replace("，", " ")
    elif r < 0.12:
        text = text.replace("，", ",")
    if f.chance(0.08):
        text = text.replace("！", "!").replace("？", "?")
    if f.mask and f.chance(0.35):
        text = _SIGNATURE.sub("【】", text, count=1)
    return text
