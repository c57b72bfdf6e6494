"""Slot vocabularies: the names, places and organisations that real messages are full of.

Kept apart from the slot functions so the tables can grow without burying the logic. Real
platform and bank names appear because scams impersonate exactly those; shop, loan-app and
investment-platform names are invented so no real small company is tied to a scam.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    """Tables are written as space-separated words: compact to read, easy to extend."""
    return tuple(text.split())


SURNAMES = _words(
    "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 "
    "彭 曾 肖 田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 "
    "石 廖 贾 夏 韦 付 方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵 "
    "万 钱 严 覃 武 戴 莫 孔 向 汤 欧阳 上官 司徒"
)

GIVEN_NAMES = _words(
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 建华 文 华 晨 宇 浩 "
    "子涵 欣怡 梓轩 雨桐 思远 俊杰 婷婷 志强 海燕 国庆 建国 丹 鹏 飞 斌 琳 颖 倩 佳 雪 慧 晓东 "
    "晓燕 一鸣 博文 诗涵 嘉怡 振华 立新 春梅 玉兰 红霞 志刚 明辉 凯 旭 亮 宁 波 坤 辉 鑫 晶 "
    "梦瑶 雅琪 子豪 浩然 宇航 昊天 欣然 可欣 思琪 佳豪 家乐 天佑 淑芬 秀兰 桂芳 永强 德明 少华"
)

FEMALE_GIVEN = _words(
    "芳 娜 敏 静 丽 艳 娟 秀英 霞 桂英 婷婷 海燕 琳 颖 倩 雪 晓燕 诗涵 嘉怡 春梅 玉兰 红霞 "
    "梦瑶 雅琪 欣然 可欣 思琪 淑芬 晓雯 丽华 美玲 佳琪 若曦 静怡"
)

# Relatives and friends a message may claim to be (or be addressed to).
RELATIONS = _words(
    "爸 妈 老公 老婆 儿子 女儿 舅舅 姑姑 表哥 表姐 二叔 小姨 大伯 侄子 外甥 姐 哥 弟 妹 老同学 "
    "室友 战友 发小 老乡 姨妈 三舅 堂弟 表妹"
)

LEADER_TITLES = _words("总 局长 主任 校长 书记 经理 院长 处长 科长 老板 董 部长 总监 厂长")

ECOMMERCE = _words(
    "淘宝 天猫 京东 拼多多 抖音商城 快手小店 唯品会 苏宁易购 闲鱼 得物 小红书 当当 1688 "
    "美团优选 淘特"
)

LOGISTICS = _words("顺丰 中通 圆通 申通 韵达 极兔 京东物流 邮政EMS 德邦 百世快递 菜鸟裹裹")

PICKUP_POINTS = _words(
    "菜鸟驿站 丰巢快递柜 兔喜生活 妈妈驿站 中通快递超市 速递易 近邻宝 小区快递柜 校园快递站 "
    "物业代收点"
)

BANKS = _words(
    "工商银行 农业银行 中国银行 建设银行 交通银行 招商银行 邮储银行 中信银行 浦发银行 民生银行 "
    "光大银行 兴业银行 平安银行 华夏银行 广发银行 北京银行 上海银行 宁波银行 江苏银行 农商银行 "
    "浙商银行 渤海银行"
)

PAY_APPS = _words("支付宝 微信支付 云闪付 京东金融 美团支付 翼支付 数字人民币钱包")

# Real lending products that scammers name when they say "your credit line is affected".
REAL_CREDIT = _words("借呗 花呗 微粒贷 京东金条 白条 美团月付 抖音月付 放心借 分期乐 360借条")

# Invented lending/credit-fixing app names: prefix + suffix.
LOAN_PREFIX = _words(
    "惠民 安心 闪电 速易 金盈 乐享 众信 宜享 随心 好借 诚信 恒信 鑫源 融通 普惠 友邦 安家 如意"
)
LOAN_SUFFIX = _words("贷 借 花 钱包 金融 快贷 分期 宝 易贷 信用")

# Invented investment platforms / exchanges / "funds": prefix + suffix.
INVEST_PREFIX = _words(
    "鼎盛 汇鑫 恒通 博瑞 金泰 盛元 瑞达 宏图 天成 中融 华鼎 国信通 泰和 嘉盛 弘毅 银河星 方舟"
)
INVEST_SUFFIX = _words("国际 资本 财富 智投 量化 数字资产 交易所 Pro 金服 期货 环球 基金")

COINS = _words("USDT BTC ETH 泰达币 比特币 以太坊 狗狗币 SOL")

STOCK_NAMES = _words(
    "某军工龙头 某芯片概念股 某新能源标的 某医药股 某AI算力股 某国企改革标的 某光伏龙头 "
    "某低空经济概念股 某券商股"
)

CHAT_APPS = _words(
    "微信 QQ 钉钉 Telegram 飞机 蝙蝠 Potato 默往 有讯 思语 Line WhatsApp 派派 陌陌 探探 Soul"
)
# Apps scammers push victims onto after first contact.
SCAM_CHAT_APPS = _words("蝙蝠 Potato 默往 有讯 思语 Telegram 飞机 Line 连信 易信 Whats 聊天宝 Hi聊")
MEETING_APPS = _words("腾讯会议 钉钉会议 Zoom 小鱼易连 向日葵 ToDesk 飞书会议 瞩目 全时云会议")

GAMES = _words(
    "王者荣耀 和平精英 原神 梦幻西游 英雄联盟 穿越火线 逆水寒 天涯明月刀 地下城与勇士 第五人格 "
    "蛋仔派对 我的世界 明日之后 永劫无间 剑网3 光遇 金铲铲之战 阴阳师 崩坏星穹铁道 "
    "火影忍者手游 问道 大话西游 CF手游 QQ飞车"
)
GAME_ITEMS = _words(
    "皮肤 账号 点券 钻石 金币 装备 坐骑 限定皮肤 满级号 V10账号 典藏皮肤 元宝 神兽 稀有道具 "
    "游戏币 首充号 强化石"
)
GAME_PLATFORMS = _words("交易猫 盼之 螃蟹账号 7881 DD373 5173 藏宝阁 代售网 游戏交易平台")

CITIES = _words(
    "北京 上海 广州 深圳 杭州 南京 成都 重庆 武汉 西安 长沙 郑州 济南 青岛 沈阳 哈尔滨 昆明 "
    "南宁 福州 厦门 合肥 南昌 太原 石家庄 贵阳 兰州 天津 苏州 无锡 宁波 温州 东莞 佛山 泉州 "
    "徐州 洛阳 绵阳 遵义 桂林 三亚 海口 乌鲁木齐 呼和浩特 银川 西宁 长春 大连 烟台 潍坊 赣州 "
    "襄阳 宜昌 芜湖 揭阳 湛江 保定 邯郸 临沂 南通 常州 金华 台州 嘉兴 绍兴 珠海 惠州"
)
DISTRICTS = _words(
    "朝阳区 海淀区 浦东新区 天河区 南山区 西湖区 鼓楼区 武侯区 江北区 雁塔区 岳麓区 金水区 "
    "历下区 市南区 和平区 南岗区 五华区 青秀区 思明区 蜀山区 东湖区 小店区 长安区 城关区 "
    "高新区 经开区 滨江区 龙岗区 白云区 江宁区 新城区 开发区"
)
ROADS = _words(
    "人民路 解放路 中山路 建设路 和平路 文化路 新华路 长江路 黄河路 胜利路 学府路 滨河路"
)

TELCOS = _words("中国移动 中国联通 中国电信 中国广电")

# Apps that send verification codes or account notices.
APPS = _words(
    "支付宝 微信 淘宝 京东 美团 抖音 快手 小红书 滴滴出行 高德地图 携程旅行 12306 哔哩哔哩 "
    "网易云音乐 饿了么 拼多多 闲鱼 百度 钉钉 飞书 盒马 叮咚买菜 唯品会 知乎 微博 QQ 个人所得税 "
    "国家医保服务平台 交管12123 学习强国 中国移动 掌上生活 云闪付 顺丰速运"
)

# Brands for marketing copy, by trade, so a coffee chain never advertises test drives.
FOOD_BRANDS = _words(
    "美团外卖 饿了么 肯德基 麦当劳 瑞幸咖啡 星巴克 喜茶 蜜雪冰城 海底捞 必胜客 德克士 库迪咖啡 "
    "奈雪的茶 茶百道 华莱士 塔斯汀 古茗 沪上阿姨"
)
RETAIL_BRANDS = _words(
    "京东 淘宝 天猫超市 拼多多 唯品会 苏宁易购 名创优品 屈臣氏 优衣库 安踏 李宁 华为商城 "
    "小米商城 盒马 永辉超市 大润发 沃尔玛 网易严选 三只松鼠 良品铺子 周大福 老凤祥 太平鸟 森马 "
    "vivo官方商城 OPPO商城 特步 鸿星尔克 百草味 丝芙兰"
)
TRAVEL_BRANDS = _words("携程旅行 飞猪 同程旅行 去哪儿旅行 途牛")
CAR_BRANDS = _words(
    "比亚迪 吉利汽车 长安汽车 一汽大众 广汽丰田 上汽通用 蔚来 理想汽车 小鹏汽车 奇瑞汽车"
)
BRANDS = FOOD_BRANDS + RETAIL_BRANDS + TRAVEL_BRANDS + _words("中国移动 中国联通 中国电信 万达影城")
COMPANY_WORDS = _words("华信 博远 启明 新锐 宏达 云帆 星辰 正泰 天宇 汇通 智联 恒远")
COMPANY_KINDS = _words(
    "科技有限公司 贸易有限公司 教育科技公司 物流有限公司 餐饮管理公司 文化传媒公司"
)
PLATE_PREFIXES = _words("京A 沪B 粤B 浙A 苏E 川A 渝B 鄂A 陕A 湘A 豫A 鲁B 闽D 皖A 赣A 桂A 云A 黑A")

# Invented local shops for small-business promotions.
SHOP_PREFIX = _words(
    "悦享 鲜丰 佳佳 红星 百味 福满 小蜜蜂 优品 鑫隆 蓝天 金色年华 阳光 时光 好邻居 家和"
)
SHOP_SUFFIX = _words(
    "生鲜超市 美容美发 健身会所 口腔诊所 眼镜店 母婴店 烘焙坊 汽车美容 驾校 家纺 教育 火锅 "
    "书店 花店 洗衣店 宠物医院 养生馆"
)

# Sub-brands a telecom or bank uses in its own signature.
HOSPITAL_KINDS = _words(
    "第一人民医院 中心医院 中医院 第二人民医院 人民医院 第三人民医院 中西医结合医院"
)
INSURERS = _words("中国人保 平安保险 太平洋保险 中国人寿 泰康保险 新华保险")
HOTELS = _words("全季酒店 汉庭酒店 亚朵酒店 如家酒店 锦江之星 希尔顿欢朋 维也纳酒店")
EDU_PREFIX = _words("启航 博学 小天才 智慧树 新星 优学 乐学 卓越 育英 星火")
EDU_SUFFIX = _words("教育 培训中心 艺术学校 学堂 少儿编程 英语 游泳馆")
DEPARTMENTS = _words(
    "心内科 消化内科 儿科 妇科 眼科 口腔科 骨科 皮肤科 呼吸内科 神经内科 内分泌科 耳鼻喉科"
)
SCHOOL_KINDS = _words(
    "实验小学 第一中学 外国语学校 第三中学 育才小学 实验幼儿园 职业技术学院 师范附小"
)
SUBJECTS = _words("语文 数学 英语 物理 化学 美术 音乐 体育 科学 生物")

# Police / procuratorate / court / government bodies that authority scams name.
POLICE_UNITS = _words(
    "公安局刑侦支队 公安局经侦支队 公安局网安大队 公安分局 公安局反诈中心 公安局出入境管理支队 "
    "公安局刑警大队 公安局治安支队"
)
# Police branch names that fit any city (a real district name would pin the city).
BRANCH_AREAS = _words("城东 城西 城南 城北 开发区 高新区 新城 滨江 经开区 老城")
JUDICIAL = _words("人民检察院 中级人民法院 人民法院 检察院反贪局")
GOV_BODIES = _words(
    "社保局 医保局 人社局 税务局 市场监督管理局 卫健委 金融监管局 人民银行 通信管理局 网信办 "
    "住建局 公积金管理中心 药监局 疾控中心"
)
CRIMES = _words(
    "洗钱 非法集资 跨境赌博 电信诈骗 贩卖个人信息 非法出租银行卡 非法经营 涉毒资金 医保诈骗 "
    "偷逃税款 出售手机卡 帮信罪"
)

AIRLINES = _words("南方航空 东方航空 国航 海南航空 四川航空 厦门航空 春秋航空 深圳航空 吉祥航空")
SERVICES_LEGIT = _words("水费 电费 燃气费 物业费 宽带费 话费 暖气费 有线电视费")

# Pinyin fragments for ids and fake domains.
PINYIN = _words(
    "zhang wang li liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he lin luo xiaomei "
    "tiantian lele mumu jiajia yaya qianqian xiaoyu ahua dada lucky sunny"
)
EN_NAMES = _words(
    "Lily Anna Coco Amy Vivian Linda Kevin Jack Tony Eric Cindy Grace Emma Leo Mia Nana"
)

# Keywords scam domains are built from, roughly grouped by what they impersonate.
DOMAIN_WORDS = _words(
    "etc gov yibao shebao jifen tuikuan lipei kefu vip app icbc ccb boc abc cmb bank pay jd tb "
    "pdd 10086 10010 189 taxs nhsa ccgp gxbt butie bx ylb wallet sec hk amc pj 365 xpj 888 bet "
    "hg cp tiyu game yx deal help svc auth check service union"
)
TLDS_SCAM = _words(
    "top xyz cc vip icu shop club site online live work wang ltd asia pw fun cyou buzz"
)
TLDS_PLAIN = _words("com cn net com.cn")
SHORT_HOSTS = _words(
    "t.cn dwz.cn url.cn suo.im 3.cn c.tb.cn m.tb.cn u.jd.com dpurl.cn j.mp tinyurl.com"
)
LEGIT_DOMAINS = _words(
    "jd.com taobao.com 10086.cn 10010.com 189.cn 95598.cn 12306.cn sf-express.com cmbchina.com "
    "icbc.com.cn ccb.com meituan.com ctrip.com pinduoduo.com bankcomm.com 95516.com "
    "chinapost.com.cn zto.com yto.net.cn"
)

# Phone number prefixes: mobile segments, city area codes and bank 95xxx hotlines.
MOBILE_PREFIXES = _words(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 170 171 "
    "173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 193 195 198 199"
)
AREA_CODES = _words(
    "010 021 020 022 023 024 025 027 028 029 0755 0571 0512 0532 0731 0371 0591 0851 0871 0898 "
    "0311 0351 0431 0451 0471 0531 0551 0574 0757 0769"
)
HOTLINES = _words("95588 95599 95566 95533 95559 95555 95580 95558 95568 95595 95528 95561 95508")
