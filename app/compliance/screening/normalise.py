"""Text as screening rules see it, with a way back to the brand's own characters.

Brands who know they are breaking the rules write 好 评 返 现, 好*评*返*现, ｆａｋｅ　ｒｅｖｉｅｗ,
f.a.k.e or 好評返現. `normalise` folds all of these to one form (half-width, lower case,
simplified characters, no separators inside Chinese text, single spaces between Latin words,
`。` at sentence ends, `"` for every quote mark) and keeps, for every character of the result,
the index of the original character it came from, so a finding can quote what the brand wrote.
Pure Python: no Flask, no database.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Traditional forms of the characters the rules (and brands hiding from them) use most; a full
# converter would be a dependency for the few hundred characters that matter here.
_TRAD = ("評價單賣買還現務說帶論讚獎勵紅報錢許刪隱廣複製貼範樣轉帳賬號寫給開讓這個們別雙實絕對與應種後稱誇為"
         "發當佈傳擊關註點贊領須話術訂貨換條資費過會員產品錄圖時間並優惠禮贈額頭粉絲絡網購"
         "藥煙賭槍彈證貸騙詐淨氣"
         "冊紀鐘戶處麼來裡裏變動僅夠據顧鏈邊門問題讀學習嗎啟閉")
_SIMP = ("评价单卖买还现务说带论赞奖励红报钱许删隐广复制贴范样转帐账号写给开让这个们别双实绝对与应种后称夸为"
         "发当布传击关注点赞领须话术订货换条资费过会员产品录图时间并优惠礼赠额头粉丝络网购"
         "药烟赌枪弹证贷骗诈净气"
         "册纪钟户处么来里里变动仅够据顾链边门问题读学习吗启闭")
assert len(_TRAD) == len(_SIMP)  # noqa: S101 - a typo in the tables above must fail at import
TRADITIONAL = str.maketrans(_TRAD, _SIMP)

TERMINATORS = set("。！？!?；;\n")
COMMAS = set("，,：:")  # 、 stays: "严禁刷单、刷好评" is one prohibition of a list
STARS = set("⭐★☆✩✪✫✬✭✮✯✰🌟")
APOSTROPHES = set("'’")
QUOTES = set("\"'“”‘’「」『』《》〈〉«»`")


@dataclass(frozen=True)
class Normalised:
    text: str
    origin: tuple[int, ...]  # origin[i]: index in the original text of text[i]
    original: str

    def quote(self, start: int, end: int) -> str:
        """The original characters behind text[start:end]."""
        if start >= end:
            return ""
        return self.original[self.origin[start]:self.origin[end - 1] + 1]


def _fold(char: str) -> str:
    return unicodedata.normalize("NFKC", char).casefold().translate(TRADITIONAL)


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def normalise(original: str) -> Normalised:
    # 1. fold every character, dropping invisible ones (zero-width joiners, controls but the newline)
    chars: list[tuple[str, int]] = []
    for index, raw in enumerate(original):
        if raw != "\n" and unicodedata.category(raw) in ("Cf", "Cc"):
            continue
        for char in _fold(raw):
            chars.append((char, index))
    # 2. tokens: runs of letters and digits; what lies between them is a gap
    tokens: list[list[tuple[str, int]]] = []
    previous_alnum = False
    for char, index in chars:
        if char.isalnum():
            if not previous_alnum:
                tokens.append([])
            tokens[-1].append((char, index))
        previous_alnum = char.isalnum()
    gaps = _align_gaps(chars)
    spelled = _spelled_out(tokens)
    out: list[tuple[str, int]] = []
    for k, token in enumerate(tokens):
        if k > 0:
            out.extend(_gap(gaps[k], tokens[k - 1][-1][0], token[0][0], k - 1 in spelled and k in spelled))
        out.extend(token)
    return Normalised("".join(c for c, _ in out), tuple(i for _, i in out), original)


def _align_gaps(chars: list[tuple[str, int]]) -> list[list[tuple[str, int]]]:
    """The separators before each token (index k: between token k-1 and token k)."""
    gaps: list[list[tuple[str, int]]] = []
    current: list[tuple[str, int]] = []
    in_token = False
    for char, index in chars:
        if char.isalnum():
            if not in_token:
                gaps.append(current)
                current = []
                in_token = True
        else:
            in_token = False
            current.append((char, index))
    return gaps


def _spelled_out(tokens: list[list[tuple[str, int]]]) -> set[int]:
    """Tokens that are one character each in a run of three or more: 好 评 返 现, f.a.k.e."""
    marked: set[int] = set()
    run: list[int] = []
    for k, token in enumerate([*tokens, [("", -1), ("", -1)]]):
        if len(token) == 1:
            run.append(k)
            continue
        if len(run) >= 3:
            marked.update(run)
        run = []
    return marked


def _gap(gap: list[tuple[str, int]], before: str, after: str, spelled: bool) -> list[tuple[str, int]]:
    if not gap or spelled:
        return []
    if {c for c, _ in gap} <= APOSTROPHES and before.isascii() and after.isascii():
        return []  # don't -> dont, it's -> its: one word, as the rules spell them
    where = gap[0][1]
    kinds = {c for c, _ in gap}
    if kinds & TERMINATORS or ("." in kinds and not (before.isdigit() and after.isdigit())):
        return [("。", where)]
    if kinds & QUOTES:
        return [('"', where)]
    if kinds & COMMAS:
        return [("，", where)]
    if "、" in kinds:
        return [("、", where)]
    star = next((i for c, i in gap if c in STARS or (c == "*" and before.isdigit())), None)
    if star is not None:  # 5⭐, 五★, 5* review: the rating, spelled as Chinese or English as around it
        return [("星", star)] if _is_cjk(before) or _is_cjk(after) else [(" ", where), *((c, star) for c in "star "),]
    money = [(c, i) for c, i in gap if unicodedata.category(c) == "Sc"]
    if money:  # "$10", "¥5": the amount is evidence of payment
        return [(" ", where), money[0]] if before.isascii() else [money[0]]
    if "." in kinds:  # 2.5 stays a number
        return [(".", where)]
    if _is_cjk(before) or _is_cjk(after):
        return []  # spaces and symbols inside Chinese text are never meaningful
    return [(" ", where)]
