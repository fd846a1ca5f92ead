"""Screening rule sets: the active one, drafts compliance edits in the browser, diff, publish.

The same draft -> publish discipline as the fraud rules: one draft at a time, copied from the
active set; every edit is validated (the whole document must compile) before it is stored; a
publish retires the active set and is audited with its diff. The first use loads
`default_rules.json` as version 1.
"""
from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.compliance.screening.ruleset import (
    CompiledRules,
    RuleSetError,
    compile_rules,
    default_document,
    validate_rule,
)
from app.platform.audit import record
from app.platform.i18n import _, stated
from app.platform.vocabulary import term
from models import DomainError, NotFound, ScreeningRuleSet, StaffUser, db, utcnow

# Compiled sets by the hash of their document: a published set never changes, and a key that
# names the content cannot serve a stale set to a database whose ids were reused.
_compiled: dict[str, CompiledRules] = {}


class ScreeningRulesError(DomainError):
    status_code = 409


def active_rule_set() -> ScreeningRuleSet:
    active = db.session.scalar(sa.select(ScreeningRuleSet).where(ScreeningRuleSet.status == "active"))
    if active is not None:
        return active
    active = ScreeningRuleSet(version=_next_version(), status="active", document=default_document(),
                              note=stated("default rules shipped with the workbench"), published_at=utcnow())
    db.session.add(active)
    db.session.flush()
    record("screening.rules_loaded", "screening_rule_set", str(active.version), actor_label="system",
           data={"source": "default_rules.json", "rules": len(active.document["rules"])})
    return active


def compiled(rule_set: ScreeningRuleSet) -> CompiledRules:
    if rule_set.status == "draft":
        return compile_rules(rule_set.document)
    key = hashlib.sha256(json.dumps(rule_set.document, sort_keys=True).encode()).hexdigest()
    if key not in _compiled:
        _compiled[key] = compile_rules(rule_set.document)
    return _compiled[key]


def _next_version() -> int:
    return (db.session.scalar(sa.select(sa.func.max(ScreeningRuleSet.version))) or 0) + 1


def versions() -> list[ScreeningRuleSet]:
    active_rule_set()
    return list(db.session.scalars(sa.select(ScreeningRuleSet).order_by(ScreeningRuleSet.version.desc())))


def get_version(version: int, lock: bool = False) -> ScreeningRuleSet:
    """`lock`: hold the row until commit and read it afresh (a save or publish that waited sees the first's)."""
    query = sa.select(ScreeningRuleSet).where(ScreeningRuleSet.version == version)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = db.session.scalar(query)
    if found is None:
        raise NotFound(_("no screening rule set version %(v)s", v=version))
    return found


def current_draft() -> ScreeningRuleSet | None:
    return db.session.scalar(sa.select(ScreeningRuleSet).where(ScreeningRuleSet.status == "draft"))


def open_draft(actor: StaffUser) -> ScreeningRuleSet:
    """The draft being edited, or a new one copied from the active set."""
    draft = current_draft()
    if draft is not None:
        return draft
    active = active_rule_set()
    draft = ScreeningRuleSet(version=_next_version(), status="draft", document=copy.deepcopy(active.document),
                             note=stated("draft from version %(v)s", v=active.version), created_by=actor.id)
    db.session.add(draft)
    db.session.flush()
    record("screening.draft_opened", "screening_rule_set", str(draft.version), actor=actor,
           data={"from_version": active.version})
    return draft


def draft_from_defaults(*, actor_label: str = "cli") -> ScreeningRuleSet:
    """A draft holding the shipped default_rules.json, for compliance to review and publish.

    A database keeps the rules it was given; a newer default file reaches it only this way.
    """
    if current_draft() is not None:
        raise ScreeningRulesError(_("draft version %(v)s is open; publish or discard it first",
                                   v=current_draft().version))
    active = active_rule_set()
    draft = ScreeningRuleSet(version=_next_version(), status="draft", document=default_document(),
                             note=stated("default_rules.json shipped with the workbench"))
    db.session.add(draft)
    db.session.flush()
    record("screening.draft_opened", "screening_rule_set", str(draft.version), actor_label=actor_label,
           data={"from": "default_rules.json", "active_version": active.version})
    return draft


def _draft(version: int) -> ScreeningRuleSet:
    """The draft, locked: two officers saving rules at once must not write over each other's, nor
    write into a set published meanwhile."""
    rule_set = get_version(version, lock=True)
    if rule_set.status != "draft":
        raise ScreeningRulesError(_("version %(v)s is %(status)s; only a draft can be edited", v=version,
                                   status=term("ruleset", rule_set.status)))
    return rule_set


def save_rule(version: int, rule: dict[str, Any], actor: StaffUser, *, replace_code: str | None = None) -> dict:
    """Add a rule to a draft, or replace the rule `replace_code`; raises RuleSetError naming the field."""
    draft = _draft(version)
    rules = copy.deepcopy(draft.document["rules"])
    codes = [r.get("code") for r in rules]
    if replace_code is None:
        position = len(rules)
        rules.append(rule)
    else:
        if replace_code not in codes:
            raise NotFound(_("no rule %(code)s in version %(v)s", code=replace_code, v=version))
        position = codes.index(replace_code)
        rules[position] = rule
    validate_rule(rule, "rule")
    if rule["code"] in codes and codes.index(rule["code"]) != position:
        raise RuleSetError("rule.code", _("%(code)s is already a rule of this set", code=rule["code"]))
    document = {**draft.document, "rules": rules}
    compile_rules(document)
    before = draft.document["rules"][position] if replace_code is not None else None
    draft.document = document  # a new object, so the JSON column is written
    db.session.flush()
    record("screening.rule_saved", "screening_rule_set", str(version), actor=actor,
           data={"code": rule["code"], "before": before, "after": rule})
    return rule


def set_enabled(version: int, code: str, enabled: bool, actor: StaffUser) -> None:
    draft = _draft(version)
    rule = next((r for r in draft.document["rules"] if r.get("code") == code), None)
    if rule is None:
        raise NotFound(_("no rule %(code)s in version %(v)s", code=code, v=version))
    save_rule(version, {**rule, "enabled": enabled}, actor, replace_code=code)


@dataclass
class RuleChange:
    code: str
    change: str  # added / removed / changed
    fields: dict[str, tuple[Any, Any]]  # field -> (in active, in draft)


def diff(base: dict, other: dict) -> list[RuleChange]:
    """What `other` changes in `base`, rule by rule, by code."""
    before = {r.get("code"): r for r in base.get("rules", [])}
    after = {r.get("code"): r for r in other.get("rules", [])}
    changes = []
    for code, rule in after.items():
        if code not in before:
            changes.append(RuleChange(code, "added", {k: (None, v) for k, v in rule.items() if k != "code"}))
            continue
        fields = {k: (before[code].get(k), rule.get(k)) for k in sorted(set(rule) | set(before[code]))
                  if before[code].get(k) != rule.get(k)}
        if fields:
            changes.append(RuleChange(code, "changed", fields))
    changes.extend(RuleChange(code, "removed", {}) for code in before if code not in after)
    if base.get("negation") != other.get("negation"):
        changes.append(RuleChange("negation", "changed", {"negation": (base.get("negation"), other.get("negation"))}))
    return changes


def publish(version: int, actor: StaffUser) -> ScreeningRuleSet:
    draft = _draft(version)
    compile_rules(draft.document)
    active = active_rule_set()
    changes = diff(active.document, draft.document)
    if not changes:
        raise ScreeningRulesError(_("version %(v)s changes nothing in the active version %(active)s", v=version,
                                   active=active.version))
    active.status = "retired"
    db.session.flush()  # one active set at a time, even between these two updates
    draft.status = "active"
    draft.published_by = actor.id
    draft.published_at = utcnow()
    db.session.flush()
    record("screening.rules_published", "screening_rule_set", str(version), actor=actor, data={
        "replaces": active.version,
        "changes": [{"code": c.code, "change": c.change, "fields": sorted(c.fields)} for c in changes]})
    return draft


def discard(version: int, actor: StaffUser) -> None:
    draft = _draft(version)
    db.session.delete(draft)
    db.session.flush()
    record("screening.draft_discarded", "screening_rule_set", str(version), actor=actor)
