"""A tiny template language, so phrasing variety is written inline instead of as code.

`[a|b|c]` picks one alternative (nesting allowed, an empty alternative makes a part optional);
`{slot}` fills a slot from `slots.SLOTS`, memoised per message so a name or link repeated in one
message stays the same; `{slot:2}` is an independent second draw of the same slot.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from training.corpus.slots import MASKERS, SLOTS

_ALT = re.compile(r"\[([^\[\]]*)\]")
_SLOT = re.compile(r"\{(\w+)(?::(\w+))?\}")
MASK_SLOT_RATE = 0.7


class TemplateError(ValueError):
    """A template names an unknown slot or has unbalanced brackets."""


class Filler:
    """Fills templates for ONE message; create a new one per message.

    `mask` redacts maskable slots the way archives do; `skeleton` leaves `{slot}` markers in
    place so template-level variety can be measured without slot values inflating it.
    """

    def __init__(self, rng: random.Random, *, mask: bool = False, skeleton: bool = False):
        self.rng = rng
        self.mask = mask
        self.skeleton = skeleton
        self._memo: dict[str, str] = {}

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, options: Sequence[str]) -> str:
        return options[self.rng.randrange(len(options))]

    def slot(self, name: str, key: str | None = None) -> str:
        memo_key = f"{name}:{key}" if key else name
        if memo_key in self._memo:
            return self._memo[memo_key]
        if name not in SLOTS:
            raise TemplateError(f"unknown slot {{{name}}}")
        if self.skeleton:
            value = "{" + name + "}"
        elif self.mask and name in MASKERS and self.chance(MASK_SLOT_RATE):
            value = MASKERS[name](self.rng)
        else:
            value = SLOTS[name](self.rng)
        self._memo[memo_key] = value
        return value

    def fill(self, template: str) -> str:
        text = template
        while True:
            text, n = _ALT.subn(lambda m: self.pick(m.group(1).split("|")), text)
            if not n:
                break
        if "[" in text or "]" in text:
            raise TemplateError(f"unbalanced alternation in template {template!r}")
        return _SLOT.sub(lambda m: self.slot(m.group(1), m.group(2)), text)

    def fill_any(self, options: Sequence[str]) -> str:
        return self.fill(self.pick(options))
