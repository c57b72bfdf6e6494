"""Benchmark the normaliser on realistic SMS: µs per message for both paths, short and long.

    python scripts/bench_normalize.py [--repeat 7] [--seed 0]

Short messages are ~70 characters, long ones ~400 (a scam script pasted into one SMS). Half of
each set is disguised with training.perturb ("combined"), since scam traffic is. Machines are
noisy (other jobs share the cores), so figures are CPU time of this process (time.process_time),
the best of --repeat rounds, and also a ratio to plain unicodedata NFKC of the same messages
measured in the same run.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fanzha.normalize import NORMALIZER_VERSION, normalize, normalize_text
from training.perturb import perturb

TEMPLATES = [
    "【{brand}】尊敬的客户，您的快递在运输中丢失，我司将为您办理双倍理赔，"
    "请添加客服微信{wx}处理，回复TD退订。",
    "恭喜您获得{brand}积分兑换资格，积分{n}即将清零，"
    "请点击 https://{dom}.top/jf 兑换礼品，逾期作废。",
    "您好，我是你们{who}，我换新号了，明天上午来我办公室一趟，先加我微信：{wx}，有急事找你。",
    "诚招兼职刷单员，在家手机操作，日结{n}元，点赞关注即可返佣，详情请加QQ：{qq}，名额有限。",
    "妈，我手机坏了，这是同学的手机，学校急需交资料费{n}元，你直接转到这个卡上{card}，别打电话。",
    "【{brand}】您的账户因涉嫌洗钱被冻结，请立即联系专线{phone}配合调查，否则将依法追究责任。",
    "内幕消息：明天某股必涨停，加入我们的VIP荐股群即可跟单，稳赚不赔，群号{qq}，先到先得。",
    "无抵押无担保，身份证即可秒批{n}元贷款，需先交验资费到支付宝{wx}@{dom}.cn，放款后退还。",
    "您的ETC认证已失效，将影响正常通行，请于今日登录 http://{dom}.xyz 重新认证，逾期停用。",
    "出售{game}账号，满级全装备，低价急出，交易先付保证金，QQ：{qq}，微信同号，非诚勿扰。",
    "晚上一起吃饭吗？我大概七点到，你下班了给我打个电话，我们在老地方见，记得带上上次的书。",
    "您的验证码为{code}，5分钟内有效，请勿泄露给他人，如非本人操作请忽略本短信。【{brand}】",
    "【{brand}】您的订单已发货，预计明天送达，查看物流详情请访问 https://{dom}.com/o/{code}",
    "宝贝，我投资的那个平台最近赚了不少，收益很稳定，你也可以试试，先用支付宝转{n}元进去就行。",
    "公安局通知：您的身份信息涉嫌一起诈骗案件，请立即将资金转入安全账户{card}配合核查。",
    "您开通的百万保障服务即将扣费，每月{n}元，如需关闭请联系客服{phone}，逾期将自动续费。",
    "老师您好，孩子今天早上发烧了，想请假一天，明天应该能正常上课，麻烦您跟班主任说一声，谢谢。",
    "【{brand}】满99减50优惠券已到账，有效期3天，点击 https://{dom}.com/q 立即使用，回T退订",
    "高价回收各类游戏账号装备，秒结算，微信同号{phone}，另有低价代练，欢迎咨询，诚信经营。",
    "退税补贴已到账，金额{n}元，请点击 http://{dom}.site/bt 填写银行卡号领取，今日截止。",
]
FILL = {
    "brand": ["顺丰速运", "中国银行", "京东", "美团", "工商银行", "中国移动"],
    "wx": ["sf95338", "wangzong888", "kefu_2024", "lz8888", "abc12345"],
    "n": ["300", "5000", "2000", "80000", "199"],
    "dom": ["jf-10086", "etc-update", "loan-fast", "jd-wuliu", "tax-refund"],
    "who": ["王总", "李主任", "张经理"],
    "qq": ["123456789", "987654321", "2233445566"],
    "card": ["6222020200001234", "6217000010002000300"],
    "phone": ["13800138000", "400-800-1234", "15088886666"],
    "game": ["王者荣耀", "原神", "梦幻西游"],
    "code": ["482915", "103977", "20240501"],
}


def make_messages(seed: int, count: int, long: bool) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        parts, length = [], 0
        while length < (380 if long else 60):
            t = rng.choice(TEMPLATES)
            msg = t.format(**{k: rng.choice(v) for k, v in FILL.items()})
            parts.append(msg)
            length += len(msg)
        text = "".join(parts)[: 400 if long else 75]
        if i % 2:
            text = perturb(text, "combined", rng)
        out.append(text)
    return out


def best_us_per_message(fn: Callable[[str], object], messages: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for m in messages:
            fn(m)
        best = min(best, time.process_time() - start)
    return best / len(messages) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--count", type=int, default=300, help="messages per set")
    args = parser.parse_args()

    normalize_text("warm up: 微信 繁體 hxxp")  # build the lazy OpenCC tables outside the timing
    print(f"normaliser {NORMALIZER_VERSION}, best of {args.repeat} rounds")
    print(f"{'set':<16} {'chars':>5} {'normalize_text':>16} {'normalize':>16} {'NFKC':>8}")
    for size, long in (("short", False), ("long", True)):
        every = make_messages(args.seed, args.count, long)
        for mix, messages in (("all", every), ("plain", every[0::2]), ("disguised", every[1::2])):
            _report(f"{size} {mix}", messages, args.repeat)


def _report(name: str, messages: list[str], repeat: int) -> None:
    mean_len = sum(map(len, messages)) / len(messages)
    nfkc = best_us_per_message(lambda m: unicodedata.normalize("NFKC", m), messages, repeat)
    fast = best_us_per_message(normalize_text, messages, repeat)
    aligned = best_us_per_message(normalize, messages, repeat)
    print(
        f"{name:<16} {mean_len:>5.0f} {fast:>7.1f} µs ({fast / nfkc:3.1f}x) "
        f"{aligned:>7.1f} µs ({aligned / nfkc:3.1f}x) {nfkc:>5.1f} µs"
    )


if __name__ == "__main__":
    main()
