"""The rule set in force: versioned rows holding a review_rules config (signals, weights, thresholds).

Scoring always uses the newest `active` row and records its version with every score. When no
rule set exists yet, `ensure_default_ruleset` creates version 1 from the catalogue's defaults
(with its audit row). A stored config is validated whenever its text is new to the process, so
a bad row fails loudly with the signal and parameter named instead of scoring with half a rule set.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa

from app.platform.audit import record
from app.platform.bulk import insert_new
from app.platform.i18n import stated
from models import DomainError, RuleSet, db, utcnow
from review_rules.engine import CheckedConfig, RuleConfigError, default_config, validate_config


class RuleSetError(DomainError):
    """A stored rule set that cannot be used."""

    status_code = 422


@dataclass(frozen=True)
class ActiveRules:
    version: int
    config: CheckedConfig  # validated, complete, read-only


def active_ruleset() -> RuleSet | None:
    """The newest rule set whose status is `active`, if any."""
    return db.session.scalar(sa.select(RuleSet).where(RuleSet.status == "active")
                             .order_by(RuleSet.version.desc()).limit(1))


def ensure_default_ruleset() -> RuleSet:
    """The active rule set; creates the default one (next free version, usually 1) if there is none.

    Two scorers starting at once may both try: the insert skips a version that appeared in
    between (ON CONFLICT DO NOTHING), and both then read the same row.
    """
    row = active_ruleset()
    if row is not None:
        return row
    version = (db.session.scalar(sa.select(sa.func.max(RuleSet.version))) or 0) + 1
    config = default_config()
    created = insert_new(RuleSet.__table__, [{
        "version": version, "status": "active", "config": config, "created_at": utcnow(),
        "note": stated("default rule set: every signal at its catalogue weight and parameters"),
    }], key="version")
    row = active_ruleset()
    if row is None:
        raise RuleSetError(f"rule set version {version} exists but is not active; activate a rule set")
    if created:
        record("ruleset.created", "ruleset", str(version), actor_label="system", data={
            "status": "active", "source": "default_config", "signals": len(config["signals"]),
            "thresholds": config["thresholds"]})
    return row


def load_active_rules() -> ActiveRules:
    """The validated config of the active rule set (seeding the default one if needed).

    The active row is read on every call; its stored text is validated once per process and the
    read-only result kept, since one proof scored online would otherwise pay for decoding and
    checking some 30 signals' settings. A row whose text changes is validated afresh.
    """
    found = _active_text()
    if found is None:
        ensure_default_ruleset()
        found = _active_text()
    version, text = found
    config = _checked.get((version, text))
    if config is None:
        try:
            config = validate_config(json.loads(text))
        except (RuleConfigError, ValueError) as exc:
            raise RuleSetError(f"rule set version {version} is invalid: {exc}") from exc
        if len(_checked) >= 16:  # a process meets a handful of rule sets; never let old ones pile up
            _checked.clear()
        _checked[(version, text)] = config
    return ActiveRules(version=version, config=config)


_checked: dict[tuple[int, str], CheckedConfig] = {}


def _active_text() -> sa.Row | None:
    """(version, config as stored text) of the rule set in force."""
    return db.session.execute(_ACTIVE_TEXT).first()


_ACTIVE_TEXT = sa.select(RuleSet.version, sa.cast(RuleSet.config, sa.Text)).where(RuleSet.status == "active") \
    .order_by(RuleSet.version.desc()).limit(1)


def draft_learned(config: dict, note: str, source: dict) -> RuleSet | None:
    """A draft rule set holding weights learned on the labelled history (its `learned` section says
    from which window and model); None when no weight moved by 0.01 or more from the active ones,
    or the newest draft already holds these weights.
    An operator publishes it (or not) like any draft."""
    active = load_active_rules().config
    moved = [code for code, entry in config["signals"].items()
             if abs(entry["weight"] - active["signals"].get(code, {}).get("weight", entry["weight"])) >= 0.01]
    if not moved or _same_weights(config, _newest_draft()):
        return None
    try:
        validate_config(config)
    except RuleConfigError as exc:
        raise RuleSetError(f"learned rule set is invalid: {exc}") from exc
    version = (db.session.scalar(sa.select(sa.func.max(RuleSet.version))) or 0) + 1
    row = RuleSet(version=version, status="draft", config=config, note=note, created_at=utcnow())
    db.session.add(row)
    record("ruleset.created", "ruleset", str(version), actor_label="training", data={
        "status": "draft", "source": "learned weights", **source, "moved": sorted(moved)})
    db.session.flush()
    return row


def _newest_draft() -> RuleSet | None:
    return db.session.scalar(sa.select(RuleSet).where(RuleSet.status == "draft")
                             .order_by(RuleSet.version.desc()).limit(1))


def _same_weights(config: dict, row: RuleSet | None) -> bool:
    if row is None:
        return False
    theirs = (row.config or {}).get("signals", {})
    return all(abs(e["weight"] - theirs.get(c, {}).get("weight", -1.0)) < 0.01 for c, e in config["signals"].items())
