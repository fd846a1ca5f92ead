"""The screening engine over the shipped rules: deceptive briefs held with quotes, honest ones pass.

The deceptive briefs are written in other words than the rules' own phrases (paraphrases,
spacing and full-width tricks, traditional characters); the honest ones mention reviews,
refunds, ads and accounts innocently.
"""
from __future__ import annotations

import pytest

from app.compliance.screening.engine import Subject, screen
from app.compliance.screening.normalise import normalise
from app.compliance.screening.ruleset import RuleSetError, compile_rules, default_document

RULES = compile_rules(default_document())

HONEST = [
    "进入直播间观看满10分钟，如实评论，退款政策请见店铺。",
    "在「Glow 直播间」直播间发表与商品相关的真实评论（不少于5个字），禁止复制粘贴，截图提交。",
    "本任务为品牌付费推广，评论中请注明#广告。",
    "请根据自己的真实体验评价，好评差评都可以，不影响报酬。",
    "严禁刷单、刷好评，一经发现不予结算。",
    "下单后如需退款请联系客服。",
    "拍下后支持七天无理由退款，详情咨询客服。",
    "点赞关注主播，可参与直播间抽奖，中奖以直播间公布为准。",
    "分享直播间到3个微信群，截图提交。",
    "评论区可以问主播关于尺码的问题，例如“165穿什么码”。",
    "欢迎留下真实评价，我们重视每一条反馈。禁止使用脚本或多开。",
    "关注主播账号，截图提交，已关注过的账号请勿接单。",
    "Leave an honest review of the stream; negative feedback is welcome.",
    "This is a paid promotion. Please add #ad to your comment as required by law.",
    "Refunds are handled under the store's 7-day return policy.",
    "Do not buy anything; this task only requires watching for 10 minutes.",
    "Please don't post spam or copy other people's comments.",
    "Share the stream with friends who might enjoy it.",
    'Ask the host a real question about the product, e.g. "Does it come in blue?"',
    "Payment is the same whether your review is positive or negative.",
    "You may use your own account only; multiple accounts are not allowed.",
    "可以多个角度拍摄截图，进入直播间后点赞。",
    "刷到直播间的朋友可以点个关注。",
    "No fake accounts, no bots, no scripts. Be yourself and have fun.",
]

# (brief, a rule code that must be among its findings, a piece of the brief that must be quoted)
DECEPTIVE = [
    ("下单后给五星好评并晒图，截图发客服即可领取10元红包。", "review.cashback", "好评并晒图"),
    ("评价内容请直接用我们给的文字：“包装精美，物超所值，已经推荐给朋友了”。", "review.template", "用我们给的文字"),
    ("在店铺拍一单，不用真的收货，钱我们会原路退回。", "order.fake", "不用真的收货"),
    ("评论时就说是朋友推荐自己买的，千万不能让人知道是我们安排的。", "disclosure.hidden", "不能让人知道是我们安排"),
    ("以老顾客的身份写一段使用感受，别暴露收了佣金。", "disclosure.posing", "以老顾客的身份"),
    ("五 星 好 评 返 8 元，差评不返。", "review.cashback", "好 评 返"),
    ("需要20个号同时进直播间刷屏评论。", "volume.fake", "20个号同时进"),
    ("冲一下店铺销量，拍下付款后联系客服退全款。", "order.fake", "拍下付款后联系客服退全款"),
    ("好評返現，記得不要說是任務。", "review.cashback", "好評返現"),
    ("ｈａｏ评返现：晒图好·评·领·红·包", "review.cashback", "好·评·领·红·包"),
    ("Give us 5 stars on the product page and we'll Venmo you $10.", "review.cashback", "5 stars"),
    ("Buy the product, leave a glowing review, then message us for a full refund.", "review.cashback",
     "glowing review"),
    ("Reviews should read like they came from a regular customer, no mention of this gig.", "disclosure.posing",
     "like they came from a regular customer"),
    ("Order two units, we cover the cost afterwards via PayPal; keep it quiet.", "order.fake", "cover the cost"),
    ("Tell viewers you discovered the brand yourself; don't say it's sponsored.", "disclosure.hidden",
     "don't say it's sponsored"),
    ("Post the following comment word for word: This is the best blender I've ever owned!", "review.template",
     "Post the following comment"),
    ("Make 5 accounts and like the stream from each one.", "volume.fake", "Make 5 accounts"),
    ("Only 5-star reviews will be accepted for payment.", "review.praise_only", "Only 5-star reviews"),
    ("We will reimburse your purchase in full once your review is live.", "order.fake", "reimburse your purchase"),
    ("Fill the comment box with praise, we'll supply the text.", "review.template", "we'll supply the text"),
    ("P.r.e.t.e.n.d to be a real buyer in the chat.", "disclosure.posing", "P.r.e.t.e.n.d to be a real buyer"),
    ("ＦＲＥＥ  ＳＡＭＰＬＥ  for  every  ５－ＳＴＡＲ  ＲＥＶＩＥＷ", "review.cashback", "ＦＲＥＥ"),
    ("本直播间推广网络博彩平台，评论区带上邀请码。", "category.prohibited", "博彩"),
]

# More of each, checked only for held / passed (a second author's wording).
HONEST += [
    'Rate the stream from 1 to 5 stars based on your real experience.',
    'Watch the live stream for at least 3 minutes; you will be paid 1 yuan per valid completion.',
    'Follow the host and take a screenshot. Accounts created in the last 7 days cannot take this task.',
    'Comment with a genuine question about the product. Reviews can be positive or negative.',
    'Free shipping is offered by the store; this task does not require a purchase.',
    'This campaign is sponsored by Glow. Mark your comment with #ad or #sponsored.',
    'If you already bought the product, you are welcome to share your honest experience.',
    "Buyers can request a refund within 7 days under the store's return policy.",
    'We do not pay for reviews. Only watch time is rewarded.',
    'Like the stream 10 times during the broadcast and submit a screenshot.',
    'Please use your real account; fake accounts will be banned.',
    'Share the stream link to one WeChat group; do not spam.',
    '请在直播期间观看满5分钟，截图提交，奖励0.5元。',
    '点赞满30次即可提交，奖励以平台结算为准。',
    '评论内容请围绕产品真实体验，可好可坏，我们不干预评价内容。',
    '本品牌为推广合作，评论时请标注“广告”。',
    '请勿发布与直播无关的广告内容。',
    '直播间购物请认准官方店铺，售后问题请联系客服。',
    '下单与否完全自愿，本任务不要求购买。',
    '新人首单立减10元，详情见直播间。',
    '关注直播间并开启开播提醒，截图提交。',
    '分享直播间给好友，好友进入直播间即可，无需下单。',
    '本次直播主推护肤品，欢迎提问成分和适用肤质。',
    '请用自己的账号完成任务，一人一号，违者不予结算。',
    '评论示例：“这个颜色适合黄皮吗？”（请用自己的话提问）',
    '好评率是店铺自己的数据，与本任务无关，请如实评论。',
    '观看时请保持直播间在前台，切到后台不计时长。',
]
DECEPTIVE_ANY = [
    "Write a review saying you have used it for a month, even if you haven't.",
    "We'll send you the product for free; in return post a 5 star review on the store page.",
    'Comment as a happy customer and never reveal that we compensate you.',
    'Get your money back after you post a positive review with photos.',
    'Use several phone numbers to register and like the stream from each.',
    "Tell people in the chat that you bought it and love it; it's fine if you didn't.",
    "Don't disclose the partnership.",
    'After the stream, place an order, then cancel it and we will reimburse shipping.',
    '晒单返现5元，截图私信客服。',
    '评论里说自己用了半年效果特别好，其实没用过也没关系。',
    '下单后申请仅退款，货不用退，我们补贴差价。',
    '帮我们冲一下好评数，每条好评给2元。',
    '评价的时候别提是商家找的。',
    '统一口径：产品无副作用，三天见效。',
    '用你的多个微信号一起来点赞。',
    '假扮路人在评论区夸产品。',
    '请勿透露本次为付费推广，以个人名义分享使用体验。',
    '评论发“已入手，太好用了，推荐”即可，每条3元。',
    '给满分评价后返还全部货款。',
    '不要暴露是我们的托。',
]

# A third author: innocent mentions of templates, questions, refunds and buying; tricks in both languages.
HONEST += [
    'Watch the stream and tell us honestly whether you have used the product before.',
    'If you bought it before, say so; if not, ask a question instead.',
    'Your feedback will be shared with the brand, good or bad.',
    'The full amount of your reward will be paid after your proof is reviewed.',
    'Please act naturally in the chat and follow the community rules.',
    'New accounts created less than 3 days ago cannot join this campaign.',
    'Do not create new accounts for this task; we check devices.',
    'Use the template below for your screenshot file name: date_room_name.',
    'The host will answer questions we give you a chance to ask during the Q&A.',
    'Comments must be in Chinese or English and at least 5 characters.',
    'We value negative feedback as much as positive feedback.',
    '好评差评都可以，每条评论奖励1元。',
    '本店支持七天无理由退货，退货运费由买家承担。',
    '无论好评还是差评，都会按时结算。',
    '请复制直播间链接分享到朋友圈。',
    '以观众的身份提出你对产品的真实疑问。',
    '主播会在直播中回答大家的问题，请文明发言。',
    '每个账号限接一次，禁止多个号重复接单。',
    '下单购买不是任务要求，请按需购买。',
    '评论可以写优点也可以写缺点，真实即可。',
    '收到商品后如不满意可申请退款，按平台规则处理。',
    '关注后请保持关注至少7天，中途取关不予结算。',
    '本活动推广的是家用电器，请勿发布与产品无关的内容。',
    '领取直播间优惠券后下单更划算，是否购买由你决定。',
]
DECEPTIVE_ANY += [
    "Leave feedback that makes the product sound amazing, we'll PayPal you after it's posted.",
    'Give the seller a 5-star rating and forward us the screenshot for your bonus.',
    'Pose as a first-time buyer and ask the host leading questions we give you.',
    'Order the item with your own money; the full amount will be returned to you after you confirm delivery.',
    "Don't let anyone know this comment was paid for.",
    'Use the script below in the comments: "I\'ve tried 10 brands, this is by far the best."',
    "Reviews must be 5 stars, anything lower won't be paid.",
    "Say you're a loyal customer of 3 years.",
    'Create new accounts to follow the room; each new account earns 2 yuan.',
    'Promote our online casino bonus in the chat.',
    '评论请复制以下内容：这款面霜真的绝了，用完皮肤超好。',
    '给五星评价截图后，客服返您3元。',
    '不要让别人看出来你是拿了钱来评论的。',
    '以普通观众的语气在弹幕里夸主播和产品。',
    '先下单，七天后我们把钱打给你，商品不用寄回。',
    '每个人至少用三个号来关注。',
    '请以消费者身份发布使用心得，不能提到这是合作。',
    '刷一波好评，每条8毛。',
    '好评截图发给我，返现到你微信。',
    '在评论里说你是回头客，已经买了好几次了。',
    '请大家帮忙把差评顶下去，多发好评。',
    '点评时假称已经使用一周。',
    '帶貨推廣：好評返現10元，請勿透露。',
    '評論請統一複製我們的文案。',
]

# Evasions: pinyin and emoji for the rating, 免单, 追评, $$ and hyped praise.
DECEPTIVE_ANY += [
    '带图五⭐好评，截图找客服领取现金红包',
    'hp返xian，联系小助手',
    '追评带图送10元无门槛券',
    '好评免单！评价后私聊退全款',
    '晒单有礼：五星晒图送礼品一份',
    '加V领取好评返现，名额有限',
    '刷单兼职，佣金日结',
    '寫好評就返現金，不要跟別人說是活動',
    'Leave a 5⭐ review → get $$ back',
    '5* reviews = free gift',
    'Rate us five stars and receive a full refund!',
    'ur review must be positive 2 get paid',
    'We need reviewers who will rave about the product; payment upon posting.',
    'Hide the fact that we sent you the product for free.',
    'No need to disclose the sponsorship.',
    'Act like a normal viewer who just discovered us.',
    '在直播间带节奏，夸产品，装作自己用过',
]

# Honest briefs that forbid, warn about or ask to report the very things the rules look for.
HONEST += [
    'Watch our live cooking show for 10 minutes and leave a comment about the recipe.',
    'Follow the channel; if you like the products, feel free to write a review after purchase.',
    'This is a sponsored campaign. Please include #ad in any comment you post.',
    'Ask the host about shipping times, warranty and the refund process.',
    'Share the stream with friends; do not pay anyone for shares.',
    'We reward participation, not opinions: your comment can be critical.',
    'Please do not pretend to be a customer if you have not bought the product.',
    'Never say you bought the product unless you really did.',
    'Only real accounts: we remove likes from bots and multiple accounts.',
    'Reviews are optional and must reflect your real experience.',
    'Comment with your own words; copying other comments will be rejected.',
    'Note: this campaign pays 2 yuan per valid watch; no purchase is needed.',
    'Refund requests for the product go through the store, not through this task.',
    '5-star ratings are not required; rate as you see fit.',
    'If you received a free sample, say so in your review.',
    '请不要假装自己是买家。',
    '没买过的朋友不要写使用感受，可以提问。',
    '直播间福利：下单满199减20，与任务奖励无关。',
    '评论不要求好评，真实感受即可。',
    '如果你用过这款产品，可以分享真实体验；没用过可以提问。',
    '本任务只需关注，不需要下单也不需要评价。',
    '任何要求你刷单或给好评返现的行为都请举报。',
    '请勿使用多个账号或模拟器完成任务。',
    '直播结束后可在店铺查看售后与退款说明。',
    '请注明“本评论为合作推广”。',
]


@pytest.mark.parametrize("brief", HONEST)
def test_honest_briefs_pass(brief):
    assert screen(RULES, Subject(brief=brief)) == []


@pytest.mark.parametrize(("brief", "code", "quoted"), DECEPTIVE)
def test_deceptive_briefs_are_caught_with_the_brands_own_words(brief, code, quoted):
    findings = screen(RULES, Subject(brief=brief))
    assert code in {f.code for f in findings}, findings
    hit = [f for f in findings if f.code == code]
    assert any(quoted in f.matched for f in hit), hit
    assert all(f.matched in brief for f in findings)  # quotes are the original text, never the normalised one
    assert all(f.severity in ("low", "medium", "high") for f in findings)


@pytest.mark.parametrize("brief", DECEPTIVE_ANY)
def test_more_deceptive_briefs_are_held(brief):
    findings = screen(RULES, Subject(brief=brief))
    assert findings and all(f.matched in brief for f in findings)


def test_normalise_folds_tricks_and_quotes_back():
    for written in ("好 评 返 现", "好*评*返*现", "好評返現", "好\u200b评返现", "好。评。返。现"):
        norm = normalise(written)
        assert norm.text == "好评返现"
        assert norm.quote(0, len(norm.text)) == written.strip()
    assert normalise("ＦＡＫＥ　Review").text == "fake review"
    assert normalise("f.a.k.e reviews").text == "fake reviews"
    assert normalise("Don't say it's paid. OK").text == "dont say its paid。ok"
    assert normalise("price 2.5 yuan").text == "price 2.5 yuan"
    assert normalise("5⭐ review, 5* rating").text == "5 star review，5 star rating"
    assert normalise("五★好评").text == "五星好评"


def test_reward_far_above_the_market_uses_data_then_defaults():
    cheap = Subject(brief="点赞", action="like", reward_cents=200)
    assert screen(RULES, cheap) == []  # default typical like: 50 cents; 200 is 4x
    [finding] = screen(RULES, cheap, market={"like": 20})  # the data says likes pay 20 cents: 10x
    assert (finding.code, finding.severity, finding.field) == ("reward.above_market", "high", "reward_cents")
    assert "200" in finding.matched and "20 for like" in finding.matched
    [medium] = screen(RULES, Subject(action="comment", reward_cents=800), market={"comment": 150})
    assert medium.severity == "medium"


def test_prohibited_room_category_is_a_finding():
    [finding] = screen(RULES, Subject(brief="进直播间看看", room_category="电子烟"))
    assert (finding.code, finding.field, finding.matched) == ("category.prohibited", "room_category", "电子烟")


def test_disabled_rule_does_not_run_and_bad_rules_name_their_field():
    document = default_document()
    for rule in document["rules"]:
        if rule["code"] == "review.cashback":
            rule["enabled"] = False
    assert "review.cashback" not in {f.code for f in screen(compile_rules(document), Subject(brief="好评返现"))}
    broken = default_document()
    broken["rules"][1]["patterns"][0] = "好评(返现"
    with pytest.raises(RuleSetError) as exc:
        compile_rules(broken)
    assert exc.value.field == "rules[1].patterns[0]"
    broken = default_document()
    broken["rules"][2]["severity"] = "extreme"
    with pytest.raises(RuleSetError, match=r"rules\[2\]\.severity"):
        compile_rules(broken)
    broken = default_document()
    broken["rules"][0]["patterns"] = ["a|"]
    with pytest.raises(RuleSetError, match="empty text"):
        compile_rules(broken)
