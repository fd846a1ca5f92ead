"""Reasons stored in English are shown in the reader's language: every template is found again from
its text, its values read back, and the zh_CN catalogue fills the same placeholders."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from review_rules.reasons import NOTHING, said, templates, translate

PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?([sdf])")
CATALOGUE = Path(__file__).resolve().parents[2] / "app" / "review" / "translations" / "zh_CN" / "LC_MESSAGES" / \
    "messages.po"


def _sample(template: str) -> dict:
    """Values that look like a signal's: numbers where the template formats numbers, a word elsewhere."""
    return {name: 7 if kind == "d" else 2.5 if kind == "f" else f"v-{name}"
            for name, kind in PLACEHOLDER.findall(template)}


def test_every_template_is_found_again_from_its_text():
    marked = {}  # a gettext that says which template it was asked for
    for template in templates():
        text = said(template, **_sample(template))

        def gettext(t: str, template: str = template) -> str:
            marked["asked"] = t
            return t
        marked.clear()
        assert translate(text, gettext) == text, template
        if "%(" in template:
            assert marked["asked"] == template, (template, marked)


def test_an_optional_phrase_is_translated_inside_its_sentence():
    template = "same screenshot file on %(proofs)s proofs of %(accounts)s accounts%(approved)s: %(others)s"
    words = {template: "同一截图文件出现在 %(accounts)s 个账号的 %(proofs)s 条凭证中%(approved)s：%(others)s",
             ", one already approved": "，其中一条已通过"}
    with_phrase = said(template, proofs=3, accounts=2, approved=said(", one already approved"), others="p1, p2")
    without = said(template, proofs=3, accounts=2, approved=NOTHING, others="p1, p2")
    assert translate(with_phrase, lambda t: words.get(t, t)) == \
        "同一截图文件出现在 2 个账号的 3 条凭证中，其中一条已通过：p1, p2"
    assert translate(without, lambda t: words.get(t, t)) == "同一截图文件出现在 2 个账号的 3 条凭证中：p1, p2"
    assert translate("a reason stored before templates", lambda t: words.get(t, t)) == \
        "a reason stored before templates"


def test_the_chinese_catalogue_translates_every_reason_with_the_same_placeholders():
    with CATALOGUE.open("rb") as handle:
        catalogue = {m.id: m.string for m in read_po(handle) if m.id}
    for template in templates():
        translated = catalogue.get(template)
        assert translated, f"no zh_CN translation of the reason {template!r}"
        assert sorted(n for n, _ in PLACEHOLDER.findall(template)) == \
            sorted(n for n, _ in PLACEHOLDER.findall(translated)), template


def test_a_signal_that_lists_several_findings_has_each_translated():
    words = {"phone UA without a touch screen": "手机 UA 却没有触摸屏",
             "UA says %(ua)s, platform is %(platform)s": "UA 显示为 %(ua)s，平台却是 %(platform)s"}
    text = "; ".join([said("UA says %(ua)s, platform is %(platform)s", ua="ios", platform="Linux armv8l"),
                      said("phone UA without a touch screen")])
    assert translate(text, lambda t: words.get(t, t)) == "UA 显示为 ios，平台却是 Linux armv8l; 手机 UA 却没有触摸屏"
    template = "campaign requires %(minimum).0f s; claimed %(watch).0f s, submitted %(elapsed).0f s after accepting"
    one = said(template, minimum=60, watch=20, elapsed=15)  # one finding with "; " inside: not split
    assert translate(one, lambda t: {template: "要求 %(minimum).0f 秒；%(watch).0f；%(elapsed).0f"}.get(t, t)) == \
        "要求 60 秒；20；15"


def test_a_phrase_holding_the_sentences_own_punctuation_is_read_whole():
    """" (a public address: own devices, own timing)" holds ": ", which also ends the sentence."""
    template = ("%(what)s used by %(accounts)s accounts within %(hours)s h (%(linked)s on this hardware or "
                "fingerprint)%(carrier)s%(public)s: %(names)s")
    words = {template: "%(hours)s 小时 %(accounts)s 个账号用该%(what)s（%(linked)s 个）"
                       "%(carrier)s%(public)s：%(names)s",
             "address": "地址", " (a public address: own devices, own timing)": "（公共地址）",
             " on a mobile-carrier network (NAT)": "，移动网络"}
    text = said(template, what=said("address"), accounts=4, hours=72, linked=1, names="w1, w2",
                carrier=said(" on a mobile-carrier network (NAT)"),
                public=said(" (a public address: own devices, own timing)"))
    assert translate(text, lambda t: words.get(t, t)) == \
        "72 小时 4 个账号用该地址（1 个），移动网络（公共地址）：w1, w2"


def test_data_that_reads_like_a_phrase_is_left_as_it_was():
    template = "generic comment “%(comment)s”"
    words = {template: "泛泛的评论“%(comment)s”", "like": "点赞"}
    assert translate(said(template, comment="like"), lambda t: words.get(t, t)) == "泛泛的评论“like”"
