"""Keyword disguises the normaliser deliberately leaves alone, so the model must learn them.

Scammers also misspell the scheme words themselves: 菠菜 for 博彩, 兼只 for 兼职, pinyin
initials such as dk for 贷款. Mapping these back in the normaliser would be guesswork (菠菜
is a vegetable, dk a common id fragment), so instead training shows the model the disguised
forms and the adversarial report measures how well it learned them.
"""

from __future__ import annotations

import random
import re

# Each keyword with spellings seen in evasive messages: homophones, look-alikes, pinyin.
KEYWORD_VARIANTS: dict[str, tuple[str, ...]] = {
    "刷单": ("刷dan", "唰单", "s单", "刷蛋"),
    "兼职": ("兼只", "jz", "兼z", "简职"),
    "返利": ("反利", "返L", "返里"),
    "佣金": ("拥金", "yong金", "佣j"),
    "贷款": ("代款", "袋款", "dk", "贷k"),
    "征信": ("征xin", "正信", "zx"),
    "投资": ("投姿", "tou资"),
    "理财": ("理cai", "里财"),
    "博彩": ("菠菜", "搏彩", "bc"),
    "赌博": ("堵博", "du博"),
    "裸聊": ("裸撩", "luo聊", "果聊"),
    "安全账户": ("安全帐hu", "安全zh户", "安钱账户"),
    "中奖": ("中j", "种奖"),
    "退款": ("退k", "腿款"),
    "理赔": ("理陪", "li赔"),
    "保证金": ("保正金", "bzj"),
    "验证码": ("验正码", "yzm"),
    "红包": ("虹包", "hb"),
    "彩票": ("采票", "cai票"),
    "充值": ("冲值", "cz"),
    "提现": ("提xian", "题现"),
    "公安": ("公an", "工安"),
    "通缉": ("通ji", "通辑"),
    "洗钱": ("洗q", "xi钱"),
    "涉嫌": ("涉xian", "摄嫌"),
    "色情": ("涩情", "se情"),
    "解冻": ("解dong", "姐冻"),
    "冻结": ("dong结", "冻洁"),
    "下载": ("下zai", "吓载"),
    "注销": ("注xiao", "柱销"),
    "收益": ("收yi", "受益"),
    "稳赚": ("稳zhuan", "吻赚"),
    "内幕": ("内mu", "那幕"),
    "返现": ("反现", "返xian"),
    "汇款": ("汇k", "会款"),
    "转账": ("转zhang", "专账"),
}
_PATTERN = re.compile("|".join(sorted(map(re.escape, KEYWORD_VARIANTS), key=len, reverse=True)))


def has_keywords(text: str) -> bool:
    return _PATTERN.search(text) is not None


def disguise_keywords(text: str, rng: random.Random, share: float = 0.8) -> str:
    """Replace a random share (at least one) of the scheme keywords by a disguised spelling."""
    matches = list(_PATTERN.finditer(text))
    if not matches:
        return text
    chosen = [m for m in matches if rng.random() < share] or [rng.choice(matches)]
    out, pos = [], 0
    for m in chosen:
        out += [text[pos : m.start()], rng.choice(KEYWORD_VARIANTS[m.group()])]
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)
