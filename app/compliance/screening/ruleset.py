"""Screening rules as data: a JSON document, validated field by field before anything runs it.

A rule set is `{"note", "negation", "rules": [...]}`; each rule has a stable `code`, a `kind`,
a `severity` and `enabled`. `text` rules carry regular expressions over normalised text (see
normalise.py) in `patterns`, optional `unless` (a sentence matching one of these is innocent),
`skip_if_negated` (a match right after 禁止 / do not … is a prohibition, not a request) and
`fields` (`brief`, `room_category`). `reward` rules compare the reward with what the action
usually pays. The set's `negation` (searched just before a match) and
`negation_after` (matched just after it: "multiple accounts are not allowed") and
`negation_sentence` (anywhere in its sentence: "请举报…") decide what counts
as a prohibition rather than a request. A bad document raises `RuleSetError` naming the field, as an editor shows it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.platform.i18n import _
from models import ACTIONS

SEVERITIES = ("low", "medium", "high")
KINDS = ("text", "reward")
TEXT_FIELDS = ("brief", "room_category")
CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
DEFAULT_PATH = Path(__file__).with_name("default_rules.json")
MAX_PATTERN = 2000


class RuleSetError(ValueError):
    """A rule set that cannot run; `field` names where (rules[2].patterns[0], severity …)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class TextRule:
    code: str
    severity: str
    title: dict[str, str]
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...] = ()
    skip_if_negated: bool = True
    fields: tuple[str, ...] = ("brief",)


@dataclass(frozen=True)
class RewardRule:
    code: str
    severity: str
    title: dict[str, str]
    factor: float
    high_factor: float | None
    min_samples: int
    typical_cents: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CompiledRules:
    text_rules: tuple[TextRule, ...]
    reward_rules: tuple[RewardRule, ...]
    negation: re.Pattern[str] | None
    negation_after: re.Pattern[str] | None = None
    negation_sentence: re.Pattern[str] | None = None


def _regex(value: Any, where: str) -> re.Pattern[str]:
    if not isinstance(value, str) or not value.strip():
        raise RuleSetError(where, _("must be a non-empty regular expression"))
    if len(value) > MAX_PATTERN:
        raise RuleSetError(where, _("longer than %(n)s characters", n=MAX_PATTERN))
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise RuleSetError(where, _("not a valid regular expression (%(error)s)", error=str(exc))) from None
    if compiled.search(""):
        raise RuleSetError(where, _("matches empty text, so it would flag every brief"))
    return compiled


def _regex_list(rule: dict, key: str, where: str, *, required: bool) -> tuple[re.Pattern[str], ...]:
    values = rule.get(key, [])
    if not isinstance(values, list) or (required and not values):
        raise RuleSetError(f"{where}.{key}", _("must be a list of at least one regular expression") if required
                           else _("must be a list of regular expressions"))
    return tuple(_regex(v, f"{where}.{key}[{i}]") for i, v in enumerate(values))


def _number(rule: dict, key: str, where: str, *, low: float, optional: bool = False) -> float | None:
    value = rule.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
        raise RuleSetError(f"{where}.{key}", _("must be a number of at least %(low)s", low=low))
    return float(value)


def validate_rule(rule: Any, where: str) -> TextRule | RewardRule:
    if not isinstance(rule, dict):
        raise RuleSetError(where, _("must be an object"))
    code = rule.get("code")
    if not isinstance(code, str) or not CODE.match(code):
        raise RuleSetError(f"{where}.code", _("must be lower-case words joined by dots, like review.cashback"))
    if rule.get("severity") not in SEVERITIES:
        raise RuleSetError(f"{where}.severity", _("must be one of %(choices)s", choices=", ".join(SEVERITIES)))
    if not isinstance(rule.get("enabled", True), bool):
        raise RuleSetError(f"{where}.enabled", _("must be true or false"))
    title = rule.get("title") or {}
    if not isinstance(title, dict) or not all(isinstance(v, str) for v in title.values()):
        raise RuleSetError(f"{where}.title", _("must map a language (en, zh) to text"))
    kind = rule.get("kind")
    if kind == "text":
        fields = rule.get("fields", ["brief"])
        if not isinstance(fields, list) or not fields or any(f not in TEXT_FIELDS for f in fields):
            raise RuleSetError(f"{where}.fields", _("must list some of %(fields)s", fields=", ".join(TEXT_FIELDS)))
        if not isinstance(rule.get("skip_if_negated", True), bool):
            raise RuleSetError(f"{where}.skip_if_negated", _("must be true or false"))
        return TextRule(code, rule["severity"], title, _regex_list(rule, "patterns", where, required=True),
                        _regex_list(rule, "unless", where, required=False),
                        rule.get("skip_if_negated", True), tuple(fields))
    if kind == "reward":
        typical = rule.get("typical_cents", {})
        if not isinstance(typical, dict) or any(k not in ACTIONS or isinstance(v, bool) or not isinstance(v, int)
                                                or v < 1 for k, v in typical.items()):
            raise RuleSetError(f"{where}.typical_cents",
                               _("must map actions (%(actions)s) to whole cents ≥ 1", actions=", ".join(ACTIONS)))
        factor = _number(rule, "factor", where, low=1.0)
        high = _number(rule, "high_factor", where, low=factor, optional=True)
        samples = rule.get("min_samples", 20)
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise RuleSetError(f"{where}.min_samples", _("must be a whole number of at least 1"))
        return RewardRule(code, rule["severity"], title, factor, high, samples, dict(typical))
    raise RuleSetError(f"{where}.kind", _("must be one of %(choices)s", choices=", ".join(KINDS)))


def compile_rules(document: Any) -> CompiledRules:
    """Validate a whole rule-set document; disabled rules are checked too, then left out."""
    if not isinstance(document, dict):
        raise RuleSetError("document", _("must be a JSON object"))
    rules = document.get("rules")
    if not isinstance(rules, list):
        raise RuleSetError("rules", _("must be a list"))
    negation = document.get("negation")
    compiled_negation = _regex(negation, "negation") if negation else None
    after = document.get("negation_after")
    compiled_after = _regex(after, "negation_after") if after else None
    sentence = document.get("negation_sentence")
    compiled_sentence = _regex(sentence, "negation_sentence") if sentence else None
    seen: dict[str, int] = {}
    text, reward = [], []
    for i, rule in enumerate(rules):
        checked = validate_rule(rule, f"rules[{i}]")
        if checked.code in seen:
            raise RuleSetError(f"rules[{i}].code",
                               _("%(code)s repeats rules[%(n)s]", code=checked.code, n=seen[checked.code]))
        seen[checked.code] = i
        if rule.get("enabled", True):
            (text if isinstance(checked, TextRule) else reward).append(checked)
    return CompiledRules(tuple(text), tuple(reward), compiled_negation, compiled_after, compiled_sentence)


def default_document() -> dict:
    return json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
