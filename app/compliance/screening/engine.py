"""Run a compiled rule set over one campaign: its brief, its room's category and its reward.

Every finding names its rule, its severity and the brand's own words (or the setting) that
triggered it. Text rules search the normalised text; a match is dropped when its sentence
matches one of the rule's `unless` patterns, or, for rules that ask for it, when a negation
(禁止, 请勿, do not …) stands just before it in the same clause, or a prohibition
("… are not allowed", "…是违规的") just after it: "禁止复制粘贴评论" forbids
what "复制粘贴评论" would ask for.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.compliance.screening.normalise import Normalised, normalise
from app.compliance.screening.ruleset import CompiledRules, RewardRule, TextRule

SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}
NEGATION_WINDOW = {"cjk": 12, "latin": 30}  # normalised characters before a match, within its clause


@dataclass(frozen=True)
class Subject:
    """What screening reads of a campaign."""

    brief: str | None = None
    action: str | None = None
    reward_cents: int | None = None
    room_category: str | None = None


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    matched: str
    field: str
    position: int = 0  # where in the field the match starts (original characters)

    def as_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "matched": self.matched, "field": self.field,
                "position": self.position}


def _clause_start(text: str, end: int) -> int:
    cut = max(text.rfind("。", 0, end), text.rfind("，", 0, end))
    return cut + 1


def _sentence(text: str, start: int, end: int) -> str:
    left = text.rfind("。", 0, start) + 1
    right = text.find("。", end)
    return text[left:right if right >= 0 else len(text)]


def _negated(rules: CompiledRules, text: str, start: int, end: int) -> bool:
    if rules.negation is not None:
        width = NEGATION_WINDOW["latin" if start and text[start - 1].isascii() else "cjk"]
        window_start = max(_clause_start(text, start), start - width)
        if rules.negation.search(text[window_start:start]):
            return True
    if rules.negation_sentence is not None and rules.negation_sentence.search(_sentence(text, start, end)):
        return True
    return rules.negation_after is not None and rules.negation_after.search(text[end:end + 30]) is not None


def _text_findings(rules: CompiledRules, rule: TextRule, field: str, norm: Normalised) -> list[Finding]:
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []
    for pattern in rule.patterns:
        for match in pattern.finditer(norm.text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue  # one quote per stretch of text, even when several patterns agree
            if rule.skip_if_negated and _negated(rules, norm.text, start, end):
                continue
            if rule.unless and any(u.search(_sentence(norm.text, start, end)) for u in rule.unless):
                continue
            taken.append((start, end))
            found.append(Finding(rule.code, rule.severity, norm.quote(start, end), field, norm.origin[start]))
    return sorted(found, key=lambda f: f.position)


def _reward_finding(rule: RewardRule, subject: Subject, market: Mapping[str, int]) -> Finding | None:
    if subject.reward_cents is None or subject.action is None:
        return None
    typical = market.get(subject.action) or rule.typical_cents.get(subject.action)
    if not typical or subject.reward_cents < rule.factor * typical:
        return None
    ratio = subject.reward_cents / typical
    severity = "high" if rule.high_factor is not None and ratio >= rule.high_factor else rule.severity
    return Finding(rule.code, severity, f"reward_cents {subject.reward_cents} = {ratio:.1f}x the typical "
                   f"{typical} for {subject.action}", "reward_cents")


def screen(rules: CompiledRules, subject: Subject, market: Mapping[str, int] | None = None) -> list[Finding]:
    """Findings for one campaign, brief first (in text order), then its room, then its settings.

    `market`: the typical reward (cents) of each action, from data; a rule's own `typical_cents`
    stands in for an action the data has too few campaigns of.
    """
    texts = {"brief": subject.brief, "room_category": subject.room_category}
    normalised = {name: normalise(value) for name, value in texts.items() if value}
    findings: list[Finding] = []
    for name in ("brief", "room_category"):
        if name not in normalised:
            continue
        for rule in rules.text_rules:
            if name in rule.fields:
                findings.extend(_text_findings(rules, rule, name, normalised[name]))
    findings.sort(key=lambda f: (f.field != "brief", f.field, f.position))
    for rule in rules.reward_rules:
        finding = _reward_finding(rule, subject, market or {})
        if finding is not None:
            findings.append(finding)
    return findings


def worst(findings: list[Finding]) -> str | None:
    return max((f.severity for f in findings), key=SEVERITY_RANK.__getitem__, default=None)
