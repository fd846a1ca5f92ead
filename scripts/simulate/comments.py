"""Chinese text: honest live-room comments, fraud-ring near-duplicates, campaign briefs.

Honest comments are short and diverse, built from templates and vocabulary so
that the short generic ones (好看, 支持) coincide across people naturally while
longer ones rarely do. Ring comments start from one base text and receive small
edits (synonyms, punctuation, emoji, particles), which is what shingle/MinHash
near-duplicate detection should catch.
"""

from __future__ import annotations

import random

from .vocab import CATEGORIES

GENERIC = ("好看", "支持", "来了", "好好看", "支持主播", "666", "冲冲冲", "喜欢", "爱了爱了",
           "哈哈哈", "打卡", "赞", "加油", "已关注", "来啦", "好", "太美了", "不错", "可以",
           "主播辛苦了", "晚上好", "捧场", "顶", "期待")
EMOJI = ("👍", "❤️", "🔥", "😍", "🌹", "👏", "😂", "💕", "🥰", "✨", "🙏", "😊", "💪", "🎉")
PARTICLES = ("呀", "啊", "哦", "呢", "~", "！", "!!", "～", "哈")
QUESTIONS = ("{item}多少钱？", "有{size}吗", "{item}{trait}吗", "什么时候发货", "{item}还有货吗",
             "几号链接", "包邮吗", "是正品吗", "能便宜点吗", "链接在哪", "{size}还有吗",
             "{item}怎么用", "主播用的是{size}吗", "敏感肌能用吗", "学生党能买吗", "{size}会不会偏小",
             "新疆发货吗", "还有赠品吗", "{item}和上次那款有啥区别", "什么时候上{item}")
PRAISE = ("主播好漂亮", "主播讲得好详细", "{item}看着不错", "这个{item}好{trait}啊", "刚买了，期待",
          "上次买的{item}很{trait}", "{host}今天状态真好", "{item}颜色好看", "这个价格可以",
          "终于等到{item}了", "蹲了好久", "{host}声音好好听", "想要{item}", "已拍{size}",
          "{item}真的{trait}", "老粉来了", "抢到了", "没抢到呜呜", "再上一次{item}吧")
CHAT = ("第一次来", "晚上好呀", "等了好久终于开播了", "刚下班来看看", "来晚了", "今天几点下播",
        "主播吃饭了吗", "背景音乐叫什么", "{host}好久不见", "从外地来的", "一边带娃一边看",
        "明天还播吗", "人好多啊", "刷到了就进来了")


def honest_comment(r: random.Random, category: str, host: str) -> str:
    """One comment a real viewer might type: short, sometimes a question, often generic."""
    words = CATEGORIES[category]
    roll = r.random()
    if roll < 0.30:
        text = r.choice(GENERIC)
    elif roll < 0.52:
        text = r.choice(QUESTIONS)
    elif roll < 0.80:
        text = r.choice(PRAISE)
    elif roll < 0.88:
        return "".join(r.choice(EMOJI) for _ in range(r.randint(1, 3)))
    else:
        text = r.choice(CHAT)
    text = text.format(item=r.choice(words["items"]), trait=r.choice(words["traits"]),
                       size=r.choice(words["sizes"]), host=host)
    decoration = r.random()
    if decoration < 0.25:
        text += r.choice(EMOJI) * r.randint(1, 3)
    elif decoration < 0.40:
        text += r.choice(PARTICLES)
    elif decoration < 0.45 and len(text) <= 4:
        text = text * 2
    return text


RING_BASES = (
    "{brand}的{item}真的绝了，用了一个月，真的很{trait}，已经回购三次了！强烈推荐给姐妹们",
    "刚下单了，{item}质量超好，物流也快，五星好评！",
    "主播推荐的{item}太好用了，性价比超高，大家赶紧冲",
    "{item}做工很好，很{trait}，比实体店便宜多了，必须支持",
    "用过最好的{item}，没有之一，{brand}yyds",
    "第三次回购{item}了，是真的{trait}，家人们闭眼入",
    "主播讲解很专业，产品质量很好，推荐购买",
)
COLLUSION_BASES = (
    "作为老顾客说一句，{brand}的{item}一直在用，很{trait}，值得信赖",
    "朋友推荐来买的{item}，收到货了，很{trait}，真实评价，不是托",
    "自己花钱买的，{item}挺{trait}的，良心商家{brand}",
    "买了很多家的{item}，只有{brand}的最{trait}，以后就认准这家了",
)
SYNONYMS = (("真的", "确实"), ("真的", "真是"), ("太", "超"), ("超", "特别"), ("好用", "好使"),
            ("推荐", "安利"), ("赶紧", "快"), ("质量", "品质"), ("便宜", "划算"), ("家人们", "姐妹们"),
            ("非常", "很"), ("很", "挺"), ("已经", "都"), ("必须", "一定要"), ("好评", "好评好评"))
PUNCTUATION = (("，", ","), ("！", "!"), ("！", "～"), ("，", " "), ("！", "。"), ("，", "、"))


def fill(base: str, r: random.Random, category: str, brand: str) -> str:
    """Fill a ring template once; the ring then pastes edited copies of the result."""
    words = CATEGORIES[category]
    return base.format(brand=brand, item=r.choice(words["items"]), trait=r.choice(words["traits"]))


def near_duplicate(text: str, r: random.Random, edits: int) -> str:
    """Apply `edits` small human-looking edits to a pasted comment."""
    for _ in range(edits):
        kind = r.random()
        if kind < 0.35:
            old, new = r.choice(SYNONYMS)
            text = text.replace(old, new, 1) if old in text else text + r.choice(PARTICLES)
        elif kind < 0.6:
            old, new = r.choice(PUNCTUATION)
            text = text.replace(old, new, 1)
        elif kind < 0.8:
            text = text + r.choice(EMOJI) * r.randint(1, 2)
        elif kind < 0.9 and len(text) > 12:
            cut = text.rfind("，")
            text = text[:cut] if cut > 8 else text[:-1]
        else:
            at = r.randint(1, len(text) - 1)
            text = text[:at] + r.choice(("啊", "呀", "", "的")) + text[at:]
    return text


HONEST_BRIEFS = {
    "like": ("进入「{room}」直播间，为主播点赞不少于{n}次，截图点赞成功页面提交。",
             "直播期间进入直播间点亮小心心，截图提交，每个账号限一次。"),
    "comment": ("在「{room}」直播间发表与商品相关的真实评论（不少于5个字），禁止复制粘贴，截图提交。",
                "进直播间聊聊你对{item}的真实看法或提问，评论如实表达个人感受即可，截图提交。"),
    "watch": ("进入「{room}」直播间观看不少于{minutes}分钟，截图观看时长提交。",
              "直播期间观看满{minutes}分钟并截图，中途退出不计时长。"),
    "follow": ("关注「{room}」直播间并截图关注成功页面，请勿关注后立即取关。",
               "关注主播账号，截图提交，已关注过的账号请勿接单。"),
    "share": ("将「{room}」直播间分享给好友或朋友圈，截图分享成功页面。",
              "分享直播间链接到微信群或好友，截图提交。"),
}
DISCLOSURE = ("本任务为品牌推广。", "请遵守平台社区规范。", "禁止使用脚本或多开。", "")
DECEPTIVE_BRIEFS = (
    "请以真实买家的口吻发布好评，不要提及任务或广告，例如“{item}用了一个月效果很好，已回购”。",
    "刷好评冲榜：每个账号评论“{item}质量超好，强烈推荐”，假装真实买家，不要透露是有偿任务。",
    "需要多个账号同时进入直播间点赞刷热度，评论区统一五星好评，截图时请隐藏任务信息。",
    "假装下单用户晒单评论，说{item}是自己买的，不要提及广告，不要说是合作。",
    "帮忙刷单冲销量，评论只写好评，可以用小号多做几单，不要提及推广。",
)


def campaign_brief(r: random.Random, action: str, room: str, category: str, minutes: int,
                   deceptive: bool) -> str:
    """The text a brand wrote for its workers; deceptive ones ask for fake engagement."""
    item = r.choice(CATEGORIES[category]["items"])
    if deceptive:
        lead = r.choice(HONEST_BRIEFS[action]).format(room=room, n=r.choice((20, 50, 100)),
                                                     item=item, minutes=minutes)
        return lead + r.choice(DECEPTIVE_BRIEFS).format(item=item)
    text = r.choice(HONEST_BRIEFS[action]).format(room=room, n=r.choice((10, 20, 30)),
                                                 item=item, minutes=minutes)
    return text + r.choice(DISCLOSURE)
