"""Perturbations: each trick changes what it can disguise, and the normaliser undoes it.

Exact undo is required for fullwidth, zero_width, emoji and (where OpenCC's round trip is
lossless) traditional. The other tricks may leave a residue the normaliser cannot resolve without
changing legitimate text, e.g.:
- numerals: 7788 written 七七八八 is an idiom and stays; a digit run written in Han numerals next
  to a Han numeral of the sentence merges with it;
- space_split: a spaced-out id right after spaced-out letters ("Q Q 2 2 3 3") is read as one
  token run when a dot is in it;
- homophone: the generator checks the same contexts as the normaliser, but only approximately
  (e.g. a disguise right before another disguise);
- combined: residues compound.
"""

from __future__ import annotations

import random
import unicodedata

import opencc
import pytest

from fanzha.normalize import normalize_text
from training.perturb import (
    EMOJI,
    HEARTS,
    PERTURBATIONS,
    ZERO_WIDTH,
    applicable,
    perturb,
    perturb_all,
)

MESSAGES = [
    "【顺丰速运】您的快递因地址不详被退回，请添加客服微信sf95338办理理赔，回复TD退订。",
    "亲，恭喜您获得积分兑换资格，点击 https://jf-10086.top/duihuan 领取，逾期作废。",
    "您好，我是王总，明天到我办公室来一趟，先加一下我新微信：wangzong888",
    "兼职刷单，日结300-500元，点赞关注即可返佣，详情加QQ：1234567890",
    "妈，我手机掉水里了，急需交学费5000元，转账到这个卡6222020200001234，转好回个信息",
    "【中国银行】尊敬的客户，您的银行卡因涉嫌洗钱已被冻结，请联系客服13800138000处理。",
    "内幕消息，某股明天涨停，加入荐股群：www.gupiao-vip.com 稳赚不赔，名额有限",
    "无抵押秒批贷款，最高20万，需先交验资费2000元到支付宝账户pay@loan-fast.cn",
    "您的ETC已失效，请登录 http://etc-update.xyz 重新认证，否则将无法通行。",
    "游戏账号装备低价出售，交易先付保证金，加QQ号：987654321 详谈",
    "晚上一起吃饭吗？我七点到，你下班给我打电话",
    "您的验证码是482915，5分钟内有效，请勿泄露给他人。",
    "【京东】您的订单已发货，预计明天送达，查看物流 https://jd.com/o/12345",
    "宝贝，我投资的平台最近赚了不少，你也可以试试，用支付宝转账就行",
    "公安局通知：您涉嫌一起诈骗案件，请立即将资金转入安全账户6217000010002000300",
    "百万保障服务即将扣费，如需关闭请联系客服400-800-1234，逾期每月扣除500元",
    "美女陪聊，私密视频，加微信：meinv520 详聊，先付定金200元",
    "澳门线上娱乐城，首存送100%，网址 www.amyl888.net 日赚万元",
    "同学聚会定在2024-05-01，地点老地方，收到请回复",
    "你的快递到了，放在小区门口的快递柜，取件码8848",
    "尊敬的用户，您的社保卡账户异常，请于24小时内登录gov-sb.cc核实，逾期停用",
    "亲爱的，我在国外工作，想给你寄一份礼物，需要你先付关税3000元到我朋友的银行卡",
    "高价回收各类游戏账号，微信同号13912345678，秒结算",
    "通知：您的个人征信有逾期记录，可帮您修复，加客服QQ 2233445566",
    "办理信用卡大额提额，无需本人到场，当天下卡，电话：15088886666",
    "低价出售iPhone 15，全新未拆封，只要2999元，支付宝付款包邮",
    "下午三点开会，请准备好第三季度的报表，谢谢",
    "老师您好，孩子今天发烧请假一天，明天正常上课",
    "【美团】满30减15优惠券已到账，有效期3天，回T退订",
    "我是你领导，这边有个急事，需要你先垫付一笔钱，转到这个支付宝：13800001111",
    "恭喜您被抽中为幸运用户，奖品为笔记本电脑一台，领奖请登录 https://zj-prize.top",
    "您好，这边是抖音客服，您开通了直播会员，每月扣费800元，如需取消请加微信dyk f001",
    "急招打字员，在家兼职，每天两小时，月入过万，联系QQ：88776655",
    "退税补贴已到账，请点击 http://tax-refund.site/bt 填写银行卡号领取",
    "明天下雨，记得带伞，路上注意安全",
    "共享屏幕操作一下，帮您把保证金解冻，先下载这个会议APP",
    "本店新到一批茶叶，欢迎品尝，地址：解放路88号，电话0755-12345678",
    "你好，我是房东，下个月的房租请转到我的新卡号6228480012345678901",
    "网上认识的男朋友让我投资虚拟币，说收益很高，我已经转了5万",
    "你好，我是快递员，你的包裹在门口，请签收",
    "加微信领取免费课程，名额有限：study2024",
    "已为您预约明天上午10:30的挂号，请携带身份证按时就诊",
    "小额贷款，凭身份证即可，低息无担保，详询 www.daikuan-kuai.com",
    "您的账户存在风险，客服将通过QQ与您联系，请添加QQ：1357924680",
    "刷单返利，一单一结，佣金20%，先垫付后返还，加微信 fanli6688",
    "爸，我换号了，这是新号码13700001234，有事打这个",
    "周末一起去爬山吧，我们三个人一起，早上八点集合",
    "支付宝提示：您的账户存在异常登录，请访问 https://alipay-safe.com 验证身份",
    "银行卡号6222 0202 0000 1234，户名张三，请核对后转账",
    "双十一大促，全场五折起，点击 s.taobao.com/x 抢购，回TD退订",
]

SEEDS = range(5)
EXACT = {"fullwidth", "zero_width", "emoji", "traditional"}
MIN_RATE = {"space_split": 0.95, "homophone": 0.95, "numerals": 0.95, "link": 0.95, "combined": 0.9}


def _lossless_round_trip(text: str) -> bool:
    t2s, s2t = opencc.OpenCC("t2s"), opencc.OpenCC("s2t")
    return t2s.convert(s2t.convert(text)) == t2s.convert(text)


def _exact_match_rate(kind: str) -> tuple[float, int, list[tuple[str, str]]]:
    hits, total, misses = 0, 0, []
    for seed in SEEDS:
        for text, disguised in zip(MESSAGES, perturb_all(MESSAGES, kind, seed), strict=True):
            if not applicable(text, kind):
                continue
            if kind == "traditional" and not _lossless_round_trip(text):
                continue
            total += 1
            if normalize_text(disguised) == normalize_text(text):
                hits += 1
            else:
                misses.append((text, disguised))
    return hits / total, total, misses


@pytest.mark.parametrize("kind", PERTURBATIONS)
def test_normaliser_undoes_perturbation(kind: str) -> None:
    rate, total, misses = _exact_match_rate(kind)
    print(f"{kind}: exact match {rate:.3f} over {total} perturbed messages")
    assert total >= 50
    assert rate >= (1.0 if kind in EXACT else MIN_RATE[kind]), misses[:3]


@pytest.mark.parametrize("kind", PERTURBATIONS)
def test_perturbation_changes_what_it_can_disguise(kind: str) -> None:
    rng = random.Random(7)
    targets = [t for t in MESSAGES if applicable(t, kind)]
    assert len(targets) >= 10
    for text in targets:
        assert perturb(text, kind, rng) != text


def test_every_kind_has_targets_and_unknown_kinds_fail() -> None:
    assert PERTURBATIONS[-1] == "combined"
    with pytest.raises(ValueError, match="unknown perturbation"):
        perturb("微信", "rot13", random.Random(0))
    with pytest.raises(ValueError, match="unknown perturbation"):
        applicable("微信", "rot13")


def test_nothing_to_disguise_means_no_change() -> None:
    assert perturb("晚上好", "homophone", random.Random(0)) == "晚上好"
    assert perturb("晚上好", "link", random.Random(0)) == "晚上好"
    assert perturb("晚上好", "numerals", random.Random(0)) == "晚上好"


def test_perturb_all_is_reproducible_and_seed_dependent() -> None:
    first = perturb_all(MESSAGES, "combined", seed=3)
    assert first == perturb_all(MESSAGES, "combined", seed=3)
    assert first != perturb_all(MESSAGES, "combined", seed=4)
    # a text's perturbation does not depend on the texts after it
    assert perturb_all(MESSAGES[:5], "combined", seed=3) == first[:5]


def test_inserted_characters_are_all_dropped_by_the_normaliser() -> None:
    for piece in (*EMOJI, *ZERO_WIDTH):
        assert normalize_text("a" + piece + "b") == "ab", piece
    for heart in HEARTS:
        assert normalize_text("好" + heart + "的") == "好的", heart


def test_perturbations_use_the_tricks_they_name() -> None:
    rng = random.Random(1)
    text = "加微信abc，QQ：123456789，网址 https://abc.com"
    assert any("\uff01" <= c <= "\uff5e" for c in perturb(text, "fullwidth", rng))
    assert any(c in ZERO_WIDTH for c in perturb(text, "zero_width", rng))
    assert any(unicodedata.category(c) == "So" for c in perturb(text, "emoji", rng))
    assert "hxxp" in perturb(text, "link", rng) or "h**p" in perturb(text, "link", rng)
    assert perturb("请转账", "traditional", rng) == "請轉賬"


def test_keyword_disguises_are_left_for_the_model() -> None:
    """The `keyword` trick is the one the normaliser must not undo (菠菜 is also a vegetable):
    the model has to learn it, so training augments with it."""
    from training.keywords import KEYWORD_VARIANTS
    from training.perturb import MODEL_PERTURBATIONS, applicable

    assert MODEL_PERTURBATIONS == ("keyword",)
    for keyword, spellings in KEYWORD_VARIANTS.items():
        for spelling in spellings:
            assert normalize_text(spelling) != normalize_text(keyword), spelling
    text = "兼职刷单，日结佣金，先垫付保证金"
    assert applicable(text, "keyword")
    out = perturb(text, "keyword", random.Random(3))
    assert out != text and normalize_text(out) != normalize_text(text)
    assert not applicable("明天一起吃饭", "keyword")
    assert perturb("明天一起吃饭", "keyword", random.Random(3)) == "明天一起吃饭"
