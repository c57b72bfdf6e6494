"""`marketing`: legitimate promotions — signed, with an opt-out, pointing to official channels.

Some look like scams on the surface (links, 送/领, 积分, 红包, 免费); what keeps them legitimate
is what they never do: ask for card numbers or codes, demand fees up front, threaten, or move
you to a private chat.
"""

from __future__ import annotations

from training.corpus.compose import Mix, Scheme, Sub

_OPT_OUT = "[回T退订|退订回T|拒收请回复R|退订回TD|TD退订|回N退订|退订回复TD|回TD退订]"
_OPT = "[ " + _OPT_OUT + "| " + _OPT_OUT + "|，" + _OPT_OUT + "|]"  # usually present, sometimes not
_EVENT = (
    "[618|双11|双12|年货节|周年庆|会员日|开学季|春季焕新|国庆黄金周|38女神节|年中大促|超级品牌日]"
)
_LINK = "[戳{short}|详情{short}|点击{short}|{short}|逛逛{short}|打开APP查看|APP搜索“{n}{n:2}狂欢”]"

RETAIL = Sub(
    "retail",
    weight=1.6,
    short=(
        "【{retail}】"
        + _EVENT
        + "来了！[全场|精选]满{n}00减{n:2}0，[再领|叠加]{n}张无门槛券，"
        + _LINK
        + _OPT,
        "【{retail}】亲爱的会员，您的专属[{n}折|满减]券已到账，{date}前有效，打开APP即可使用。"
        + _OPT,
        "【{retail}】"
        + _EVENT
        + "[狂欢|钜惠]进行中，[爆款|热销单品]低至{n}折，[前{n:2}00名|限时]加赠好礼 "
        + _LINK
        + _OPT,
        "{retail}"
        + _EVENT
        + "：[下单|满{n}9元]即[送|赠]{n:2}元红包，红包在APP“我的-卡券”查看"
        + _OPT
        + "【{retail}】",
        "【{retail}】新品上市！[春夏|秋冬]新款[全场{n}折|第二件半价]，[门店与APP同步|线上线下同价]，"
        + _LINK
        + _OPT,
        "【{retail}】[您购物车里的|您收藏的]宝贝[降价啦|正在打折]，[限时|今晚24点前]再享{n}折，"
        + _LINK
        + _OPT,
        "【{retail}】[尊敬的|亲爱的][PLUS|88VIP|黑卡|超级]会员，本月[免运费券|会员专享价]已发放，"
        + _LINK
        + _OPT,
    ),
    body=(
        ("【{retail}】",),
        ("[尊敬的会员|亲爱的顾客|Hi，老朋友]，" + _EVENT + "[狂欢|福利]正式开启！",),
        ("[活动一|福利一]：全场满{n}00减{n:2}0，上不封顶；", "即日起至{date}，精选商品低至{n}折；"),
        (
            "[活动二|福利二]：会员日当天积分翻倍，积分可在APP“会员中心”兑换优惠券；",
            "前{n}00名下单的会员加赠[精美礼品|定制帆布袋|品牌周边]；",
            "",
        ),
        (
            "[活动三|福利三]：新人首单立减{n}元，[包邮到家|支持七天无理由退换]。",
            "[门店|线上]同步开启，[到店|下单]还可参与抽奖。",
            "",
        ),
        ("[详情请打开APP查看|详情戳{short}|了解更多请搜索“{retail}官方旗舰店”]。" + _OPT,),
    ),
    extra=(
        "[会员|老顾客]专享价再低{n}%，[叠加|可叠加]店铺券使用。",
        "[下单|购物]满{n}9元包邮，[支持|可享]七天无理由退换货。",
        "每天{time}[整点|限时]秒杀，[爆款|好物]低至{n}.9元。",
        "[优惠券|红包]已放入您的账户，[有效期|使用期限]至{date}。",
    ),
)

FOOD = Sub(
    "food",
    weight=1.2,
    short=(
        "【{food}】[下午茶|午餐|夜宵]时间到，[全场{n}折起|满{n}9减{n:2}]，[今日限量|限时]抢 "
        + _LINK
        + _OPT,
        "【{food}】[新品|季节限定]{n}元尝鲜，[会员|新客]再享[第二杯半价|免配送费]，APP下单即可"
        + _OPT,
        "【{food}】送您{n}张[外卖红包|免配送费券|饮品兑换券]，{date}前有效，[打开APP即可使用|在“我的-卡包”查看]。"
        + _OPT,
        "【{food}】[周一|周三|周五]会员日，[指定|人气]单品{n}.9元，到店或小程序下单均可享受" + _OPT,
        "【{food}】[生日快乐！|祝您生日快乐！]送您一份生日[礼|券]，{days}天内到店出示会员码即可领取。"
        + _OPT,
    ),
)

TELECOM = Sub(
    "telecom",
    short=(
        "【{telco}】尊敬的客户，诚邀您办理{n}9元[畅享|5G]套餐，每月含{n:2}0GB通用流量+{n}00分钟通话，回复KT{n}办理。"
        + _OPT,
        "【{telco}】您有一份宽带提速特惠，[千兆宽带|光纤升级]每月仅加{n}元，详询营业厅或拨打官方客服。"
        + _OPT,
        "【{telco}】本月您可免费领取{n}GB流量包，打开{telco}APP“权益中心”领取，月底失效。",
        "【{telco}】[尊敬的客户|您好]，{food}联名权益上线，办理指定套餐每月送{food}[饮品券|代金券]，详询营业厅"
        + _OPT,
        "【{telco}】[您的|贵宾]专属福利：预存{n}0元话费送{n:2}0元，仅限营业厅及官方APP办理" + _OPT,
    ),
)

LOCAL_SHOP = Sub(
    "local_shop",
    weight=1.4,
    short=(
        "【{shop}】{pname}您好，本店[新春|周年|换季]活动：充值{n}00送{n:2}00，[到店即送小礼品|老顾客带新人各减{n}0元]，"
        "地址：{city}{road}{n:2}号。" + _OPT,
        "【{shop}】[开业大吉|盛大开业]！{date}起全场{n}折，进店即送[精美礼品|鸡蛋一盒]，[电话|预约]{landline}"
        + _OPT,
        "【{shop}】尊敬的会员，[本周|{wday}]到店消费享双倍积分，老会员[免费|加送]一次[护理|体验]，期待您的光临。"
        + _OPT,
        "{shop}{wday}会员日，[全场|指定项目]{n}折，预约{phone}" + _OPT,
        "【{shop}】[换季清仓|店庆回馈]，[全场|部分商品]{n}折起，[仅限|只有]{date}至{date:2}，地址{road}{n}号"
        + _OPT,
    ),
    body=(
        ("【{shop}】",),
        ("[感谢您一直以来的支持！|{pname}您好！|亲爱的顾客朋友：]",),
        ("本店[{n}周年|新春|换季]庆典{date}开启，",),
        ("[活动期间|即日起]全场{n}折，充值{n:2}00送{n}00，",),
        ("[凡到店的顾客均可参与抽奖，奖品有家电和购物卡|邀请好友到店双方各得{n}0元代金券]，",),
        ("地址：{city}{road}{n}号，[咨询|预约]电话{landline}。" + _OPT,),
    ),
    extra=(
        "[本次|此次]活动[最终解释权归本店所有|仅限本店会员]。",
        "[新顾客|首次到店]还可免费体验一次[基础项目|招牌服务]。",
        "[停车|车位]免费，[地铁{n}号线|公交]直达。",
        "[老会员|储值会员]另享{n}折优惠，[可与|不与]其他活动同享。",
    ),
)

POINTS = Sub(
    "points",
    short=(
        "【{retail}】您有{n}00积分[即将到期|可用]，可在APP“会员中心”兑换[优惠券|礼品]，{date}前有效。"
        + _OPT,
        "【{bank}】信用卡[周三|周五]{food}消费满{n}0立减{n:2}，名额有限，详询{bank}APP。" + _OPT,
        "【{bank}】尊敬的客户，您的积分可在{bank}APP“积分商城”兑换{retail}权益，本行不会通过短信链接索要卡号密码。"
        + _OPT,
        "【{telco}】您的积分{n}{n:2}00分，可登录{telco}APP兑换话费或流量，年底清零，官方兑换渠道仅限APP。",
        "【{bank}】[新户礼|开卡礼]：首次绑定{pay}消费满{n}0元，得{n:2}0元立减金，详见{bank}APP活动页。"
        + _OPT,
    ),
)

SERVICES = Sub(
    "services",
    short=(
        "【{edu}】[暑期|寒假|秋季][少儿编程|英语|美术|游泳|书法]班火热报名中，前{n}0名享{n:2}折，免费试听预约{landline}"
        + _OPT,
        "【{travel}】[五一|国庆|暑期]出游季，[{n}日游|周边游]人均{n:2}99元起，酒店[低至{n}折|限时特惠]，"
        + _LINK
        + _OPT,
        "【{city}·[滨江|中央|翡翠|云锦][壹号院|公馆|花园|府]】地铁口精装三房，首付{n}0万起，周末看房有礼，咨询{tel400}"
        + _OPT,
        "【{car}】[新车上市|试驾有礼]：{wday}到店试驾即送[保温杯|车载香薰|洗车券]，预约{tel400}"
        + _OPT,
        "【{car}】尊敬的车主，您的爱车[已满一年|即将到保养里程]，{date}前到店保养享工时{n}折，预约{tel400}"
        + _OPT,
        "【万达影城】[新片|大片]上映！[周二半价|会员{n}9元看]，APP选座" + _LINK + _OPT,
    ),
)

APP_RECALL = Sub(
    "app_recall",
    short=(
        "【{app}】好久不见！送您{n}张[免单券|打车券|外卖红包]，{date}前有效，打开APP即可使用"
        + _OPT,
        "【{game}】[新赛季|周年庆]开启，登录即领[限定头像框|{n}0抽|回归礼包]，[快来|速来]！" + _OPT,
        "【{app}】您关注的商品降价了！[现价|到手价]比收藏时便宜{n}0元，点击{short}查看" + _OPT,
        "【{app}】您的{n}元新人红包还没用哦，{date}前下单可抵扣，[戳|去看看]{short}" + _OPT,
        "【{app}】[免费|0元]领[会员|视频VIP]{days}天！打开APP“福利中心”即可领取，无需任何费用"
        + _OPT,
    ),
)

SCHEME = Scheme(
    "marketing",
    (RETAIL, FOOD, TELECOM, LOCAL_SHOP, POINTS, SERVICES, APP_RECALL),
    Mix(short=0.76, medium=0.14, long=0.10, dialog_share=0.0, story_share=0.0),
)
