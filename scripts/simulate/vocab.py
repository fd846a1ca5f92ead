"""Words the world is built from: regions, platforms, categories, names."""

from __future__ import annotations

# Province codes (ISO 3166-2:CN) with a rough weight of online population.
CN_REGIONS: tuple[tuple[str, float], ...] = (
    ("CN-GD", 11.0), ("CN-SD", 7.0), ("CN-HA", 6.5), ("CN-JS", 6.5), ("CN-ZJ", 6.0),
    ("CN-SC", 5.5), ("CN-HB", 4.5), ("CN-HN", 4.5), ("CN-HE", 4.5), ("CN-FJ", 3.5),
    ("CN-AH", 4.0), ("CN-SH", 3.5), ("CN-BJ", 3.0), ("CN-GX", 3.0), ("CN-YN", 2.8),
    ("CN-JX", 2.8), ("CN-LN", 2.8), ("CN-SN", 2.6), ("CN-SX", 2.3), ("CN-CQ", 2.3),
    ("CN-GZ", 2.2), ("CN-HL", 2.0), ("CN-JL", 1.5), ("CN-TJ", 1.3), ("CN-GS", 1.4),
    ("CN-NM", 1.3), ("CN-XJ", 1.3), ("CN-HI", 0.7), ("CN-NX", 0.4), ("CN-QH", 0.3),
    ("CN-XZ", 0.2),
)

# Workers living abroad: region, IANA time zone, device language, consumer ISP country.
ABROAD: tuple[tuple[str, str, str, str], ...] = (
    ("JP-13", "Asia/Tokyo", "zh-CN", "JP"),
    ("SG-01", "Asia/Singapore", "zh-CN", "SG"),
    ("US-CA", "America/Los_Angeles", "zh-CN", "US"),
    ("HK", "Asia/Hong_Kong", "zh-HK", "HK"),
    ("TW", "Asia/Taipei", "zh-TW", "TW"),
)

FOREIGN_TIMEZONES = ("America/New_York", "Europe/Berlin", "Asia/Tokyo", "America/Los_Angeles",
                     "Asia/Singapore", "Europe/London")

PLATFORMS: tuple[tuple[str, float], ...] = (("douyin", 0.5), ("kuaishou", 0.25), ("taobao_live", 0.25))

# Category -> products sold in such rooms, colours/variants, effects buyers praise.
CATEGORIES: dict[str, dict[str, tuple[str, ...]]] = {
    "美妆": {"items": ("口红", "粉底液", "眼影盘", "面膜", "精华液", "防晒霜", "气垫", "卸妆油"),
             "traits": ("显白", "水润", "持久", "温和", "服帖", "自然"),
             "sizes": ("小样", "正装", "套装")},
    "服饰": {"items": ("连衣裙", "外套", "卫衣", "牛仔裤", "衬衫", "针织衫", "羽绒服", "半身裙"),
             "traits": ("显瘦", "舒服", "好看", "百搭", "有质感", "洋气"),
             "sizes": ("S", "M", "L", "XL", "160", "165")},
    "美食": {"items": ("螺蛳粉", "牛肉干", "坚果礼盒", "辣条", "蛋黄酥", "火锅底料", "咖啡", "果干"),
             "traits": ("好吃", "香", "新鲜", "正宗", "脆", "实惠"),
             "sizes": ("一箱", "两袋", "家庭装")},
    "数码": {"items": ("耳机", "充电宝", "手机壳", "平板", "手表", "数据线", "蓝牙音箱", "键盘"),
             "traits": ("好用", "耐用", "轻", "结实", "漂亮", "快"),
             "sizes": ("标准版", "Pro", "128G", "256G")},
    "母婴": {"items": ("奶粉", "纸尿裤", "辅食", "婴儿推车", "湿巾", "奶瓶", "儿童牙膏", "绘本"),
             "traits": ("安全", "好用", "柔软", "放心", "省心", "温和"),
             "sizes": ("1段", "2段", "3段", "M码", "L码")},
    "游戏": {"items": ("皮肤", "礼包", "英雄", "装备", "点卡", "手柄", "会员"),
             "traits": ("好看", "划算", "强", "值", "帅"),
             "sizes": ("月卡", "季卡", "豪华版")},
    "家居": {"items": ("四件套", "收纳盒", "拖把", "扫地机", "枕头", "香薰", "保温杯"),
             "traits": ("好用", "舒服", "实用", "结实", "软", "省事"),
             "sizes": ("1.5米", "1.8米", "大号", "小号")},
    "珠宝": {"items": ("手镯", "项链", "耳钉", "戒指", "翡翠", "黄金吊坠"),
             "traits": ("亮", "精致", "好看", "通透", "大气"),
             "sizes": ("16号", "18号", "小克重")},
}

CATEGORY_WEIGHTS: tuple[float, ...] = (0.24, 0.2, 0.15, 0.12, 0.1, 0.07, 0.07, 0.05)

BRAND_HEADS = ("花", "雪", "云", "悦", "初", "森", "若", "蔻", "素", "柒", "禾", "星", "瑞", "橙",
               "木", "青", "澜", "知", "栖", "良", "暖", "小", "野", "拾", "优", "沐", "诺", "嘉")
BRAND_TAILS = ("颜", "语", "研", "纪", "系", "萃", "集", "物", "屿", "选", "家", "品", "铺", "里",
               "味", "坊", "羽", "兔", "熊", "优", "舍", "禾", "氧", "漫")
BRAND_SUFFIX = ("", "", "", "官方", "旗舰店", "严选", "生活馆")

HOSTS = ("小雅", "阿杰", "糖糖", "琳琳", "大鹏", "小鱼", "豆豆", "安安", "可乐", "阿May", "老王",
         "晴天", "七七", "Coco", "小北", "甜甜", "阿福", "佳佳", "一一", "米粒")

# Syllables for e-mail domains and licence numbers (pinyin-looking, ASCII only).
PINYIN = ("hua", "xue", "yun", "yue", "chu", "sen", "ruo", "kou", "su", "qi", "he", "xing", "rui",
          "cheng", "mu", "qing", "lan", "zhi", "xi", "liang", "nuan", "xiao", "ye", "shi", "you",
          "nuo", "jia", "yan", "yu", "pin", "wei", "fang", "tu", "xiong", "zhen", "mei", "li")
MAIL_LOCAL = ("kefu", "service", "bd", "market", "hr", "admin", "contact", "shop", "live")
MAIL_TLD = (".com", ".com", ".cn", ".com.cn", ".net")

# Division codes (first six digits of a unified social credit code) of big commercial cities.
DIVISION_CODES = ("440300", "440100", "330100", "310115", "110105", "320500", "350200", "510100",
                  "420100", "370200", "330200", "441900", "440600", "500112", "610100")

# Phone number prefixes: carrier ranges, and virtual-operator ranges fraud rings buy in bulk.
PHONE_PREFIXES = ("134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158",
                  "159", "182", "183", "187", "188", "198", "130", "131", "132", "155", "156",
                  "166", "185", "186", "133", "153", "177", "180", "181", "189", "199", "191")
VIRTUAL_PHONE_PREFIXES = ("170", "171", "165", "167", "162")
