"""Rule-set versions for operators: drafts, diffs, maker-checker publication and rollback.

A version is never edited: an edit makes a new draft from an existing version. Publishing makes a
draft the active rule set and retires the one before; it needs a second operator (the author of a
draft can never approve it). Rollback makes an earlier published version active again in one step.
Every change writes its audit row in the same transaction; the caller commits and then queues the
rescoring of stale scores (app/rules/jobs.py `after_activation`).
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.platform.audit import record, serialise
from app.platform.i18n import _, stated
from app.platform.paging import NewestFirst, newest_first
from app.scoring.services.rulesets import ensure_default_ruleset
from models import AuditEvent, DomainError, NotFound, RuleSet, StaffUser, db, utcnow
from review_rules.engine import RuleConfigError, validate_config
from review_rules.registry import all_signals

OPERATOR_ROLES = ("operator",)  # admins pass every role check too
SECTIONS = ("thresholds", "combine", "context")


class DraftError(DomainError):
    """A setting that cannot become a draft; the message names the field (and the bound it broke)."""

    status_code = 422


class ApprovalRefused(DomainError):
    """Maker-checker: the author of a draft, or someone who is not an operator, tried to publish it."""

    status_code = 403


@dataclass(frozen=True)
class Change:
    """One difference between two configs: a dotted path and both values."""

    path: str
    before: Any
    after: Any


def resolve(version: str | int) -> RuleSet:
    """The rule set named by a number, `active` or `draft` (the newest draft); NotFound otherwise."""
    text = str(version).strip().lower()
    if text == "active":
        row = db.session.scalar(sa.select(RuleSet).where(RuleSet.status == "active")
                                .order_by(RuleSet.version.desc()).limit(1)) or ensure_default_ruleset()
    elif text in ("draft", "shadow"):
        row = db.session.scalar(sa.select(RuleSet).where(RuleSet.status == text)
                                .order_by(RuleSet.version.desc()).limit(1))
        if row is None:
            raise NotFound(_("there is no draft rule set") if text == "draft" else _("no version runs in shadow"))
    else:
        if not text.isdigit():
            raise NotFound(_("version %(v)s: expected a number, active or draft", v=version))
        row = db.session.scalar(sa.select(RuleSet).where(RuleSet.version == int(text)))
        if row is None:
            raise NotFound(_("rule set version %(v)s does not exist", v=text))
    return row


def all_versions() -> list[RuleSet]:
    """Every rule set, newest first (the active one exists after this call)."""
    ensure_default_ruleset()
    return list(db.session.scalars(sa.select(RuleSet).order_by(RuleSet.version.desc())))


def checked(row: RuleSet) -> dict:
    """The complete, validated config of a stored version (defaults filled in); DraftError names the
    entry of a stored version that no longer validates (a signal the catalogue has since dropped)."""
    try:
        return validate_config(copy.deepcopy(row.config))
    except RuleConfigError as exc:
        raise DraftError(_("version %(v)s no longer validates: %(error)s", v=row.version, error=str(exc))) from exc


def parse_setting(text: str) -> tuple[str, Any]:
    """`signal.param=value` -> (path, typed value). Paths: `<code>.enabled|weight|<param>`,
    `thresholds.<key>`, `combine.<key>`, `context.<key>`."""
    if "=" not in text:
        raise DraftError(_("%(s)s: expected path=value", s=text))
    path, raw = (part.strip() for part in text.split("=", 1))
    return path, _typed(path, raw)


def _typed(path: str, raw: str) -> Any:
    """The value as the declaration wants it: a whole number, a number, true/false or a list."""
    kind = _kind(path)
    if kind == "bool":
        if raw.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            raise DraftError(_("%(p)s: expected true or false, got %(v)r", p=path, v=raw))
        return raw.lower() in ("true", "1", "yes", "on")
    if kind == "choices":
        return [v.strip() for v in raw.split(",") if v.strip()]
    try:
        return int(raw) if kind == "int" else float(raw)
    except ValueError:
        raise DraftError(_("%(p)s: expected a number, got %(v)r", p=path, v=raw)) from None


def _kind(path: str) -> str:
    section, _dot, key = path.partition(".")
    if section in SECTIONS:
        return "float"
    specs = {spec.code: spec for spec in all_signals()}
    code, _dot, name = path.rpartition(".")
    if code not in specs:
        raise DraftError(_("%(p)s: unknown signal or section; a path is <signal code>.<param>, "
                           "thresholds.<key>, combine.<key> or context.<key>", p=path))
    if name == "enabled":
        return "bool"
    if name == "weight":
        return "float"
    declared = {p.name: p for p in specs[code].params}
    if name not in declared:
        raise DraftError(_("%(p)s: %(code)s has no parameter %(name)s; known: enabled, weight, %(known)s",
                           p=path, code=code, name=name, known=", ".join(sorted(declared)) or "-"))
    return declared[name].kind


def apply_settings(config: dict, settings: dict[str, Any]) -> dict:
    """A validated copy of `config` with each dotted path set; DraftError names the field and bound."""
    out = copy.deepcopy(dict(config))
    for path, value in settings.items():
        section, _dot, key = path.partition(".")
        if section in SECTIONS:
            out.setdefault(section, {})[key] = _section_value(out.get(section, {}), key, value)
            continue
        code, _dot, name = path.rpartition(".")
        entry = out["signals"][code]
        if name in ("enabled", "weight"):
            entry[name] = value
        else:
            entry["params"][name] = value
    try:
        return validate_config(out)
    except RuleConfigError as exc:
        raise DraftError(str(exc)) from exc


def _section_value(section: dict, key: str, value: Any) -> Any:
    """Keep a whole-number setting whole (context sizes are counts)."""
    if isinstance(section.get(key), int) and not isinstance(section.get(key), bool) and float(value).is_integer():
        return int(value)
    return value


def create_draft(source: RuleSet, settings: dict[str, Any], author: StaffUser | None, note: str = "") -> RuleSet:
    """A new draft version: `source`'s config with `settings` applied. Refuses a draft that changes nothing."""
    before = checked(source)
    config = apply_settings(before, settings)
    if not diff(before, config):
        raise DraftError(_("the draft would change nothing against version %(v)s", v=source.version))
    version = (db.session.scalar(sa.select(sa.func.max(RuleSet.version))) or 0) + 1
    row = RuleSet(version=version, status="draft", config=_plain(config), created_by=author.id if author else None,
                  note=note or stated("draft from version %(v)s", v=source.version), created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    record("ruleset.drafted", "ruleset", str(version), actor=author, actor_label="cli", data={
        "from_version": source.version, "settings": settings,
        "changes": [[c.path, c.before, c.after] for c in diff(before, config)]})
    return row


def _plain(config: dict) -> dict:
    """A checked (read-only) config as plain JSON data for storage."""
    return json.loads(json.dumps(config))


def diff(before: dict, after: dict, prefix: str = "") -> list[Change]:
    """Every leaf that differs, as dotted paths (signal params flattened to `<code>.<param>`). The
    `learned` section says where learned weights came from; it changes no routing, so it is no change."""
    changes: list[Change] = []
    for key in sorted(set(before) | set(after), key=str):
        if not prefix and key == "learned":
            continue
        a, b = before.get(key), after.get(key)
        path = _path(prefix, key)
        if isinstance(a, dict) and isinstance(b, dict):
            changes += diff(a, b, path)
        elif a != b:
            changes.append(Change(path, a, b))
    return changes


def _path(prefix: str, key: str) -> str:
    if prefix.startswith("signals"):
        prefix = prefix.removeprefix("signals").lstrip(".")
    if prefix.endswith(".params"):
        prefix = prefix.removesuffix(".params")
    return f"{prefix}.{key}" if prefix else key


def diff_against_active(row: RuleSet) -> list[Change]:
    return diff(checked(resolve("active")), checked(row))


def unattributed(row: RuleSet) -> bool:
    """Nobody is on record as its maker: neither a staff author nor the training job (whose drafts
    hold learned weights no person typed). Such a draft is never published."""
    if row.created_by is not None:
        return False
    return not db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "ruleset.created", AuditEvent.object_type == "ruleset",
        AuditEvent.object_id == str(row.version), AuditEvent.actor_label == "training"))


def publish(row: RuleSet, approver: StaffUser, seen_active: int | None = None) -> RuleSet:
    """Make the draft `row` active (maker-checker: `approver` is an operator and not its author).
    `seen_active`: the active version the approver compared the draft with (the page's diff); when
    another version became active since, the approval is refused, as it approved other changes."""
    serialise(row)  # a publication or rollback committing meanwhile is seen below, not overwritten
    if row.status not in ("draft", "shadow"):
        raise DomainError(_("version %(v)s is %(s)s; only a draft can be published", v=row.version, s=row.status))
    if not approver.has_role(*OPERATOR_ROLES):
        raise ApprovalRefused(_("only an operator may approve a rule set"))
    if unattributed(row):  # nobody can be shown to be a second person
        raise ApprovalRefused(_("version %(v)s has no recorded author (drafted on the command line without --by), "
                                "so no approval can be a second operator's; draft it again with --by or in the "
                                "rule editor", v=row.version))
    if row.created_by is not None and row.created_by == approver.id:
        raise ApprovalRefused(_("the author of version %(v)s cannot approve it; a second operator must",
                                v=row.version))
    checked(row)  # a stored draft that no longer validates is never made active
    active = db.session.scalar(_ACTIVE_VERSION)
    if seen_active is not None and active != seen_active:
        raise ApprovalRefused(_("version %(now)s became active after you compared version %(v)s with version "
                                "%(seen)s; review its changes against the active version again",
                                now=active, v=row.version, seen=seen_active))
    previous = _activate(row)
    record("ruleset.published", "ruleset", str(row.version), actor=approver, data={
        "author_id": row.created_by, "approved_by": approver.email, "previous_active": previous,
        "changes": [[c.path, c.before, c.after] for c in diff(_config_of(previous), checked(row))]})
    return row


def rollback(row: RuleSet, actor: StaffUser | None) -> RuleSet:
    """Make an earlier published (now retired) version active again: one audited action."""
    serialise(row)
    if row.status == "active":
        raise DomainError(_("version %(v)s is already active", v=row.version))
    if row.status != "retired":
        raise DomainError(_("version %(v)s was never published; publish a draft with a second operator's "
                            "approval instead", v=row.version))
    checked(row)  # scoring refuses a config that no longer validates: it is never made active again
    previous = _activate(row)
    record("ruleset.rolled_back", "ruleset", str(row.version), actor=actor, actor_label="cli",
           data={"previous_active": previous})
    return row


_ACTIVE_VERSION = sa.select(RuleSet.version).where(RuleSet.status == "active").order_by(RuleSet.version.desc()).limit(1)


def _activate(row: RuleSet) -> int | None:
    """Retire every active version and make `row` active; the version that was active before."""
    before = db.session.scalar(_ACTIVE_VERSION)
    db.session.execute(sa.update(RuleSet).where(RuleSet.status == "active", RuleSet.id != row.id)
                       .values(status="retired"))
    row.status = "active"
    db.session.flush()
    return before


def _config_of(version: int | None) -> dict:
    if version is None:
        return {}
    return checked(db.session.scalar(sa.select(RuleSet).where(RuleSet.version == version)))


def version_page(before: int | None, size: int = 50) -> NewestFirst:
    """One page of the versions, newest first (the active one exists after this call)."""
    ensure_default_ruleset()
    return newest_first(sa.select(RuleSet), RuleSet.version, before, size)


def history(rows: list[RuleSet] | None = None) -> list[dict]:
    """Each version of `rows` (default: every version, newest first) with who made it and the audit of
    its publications and rollbacks."""
    rows = all_versions() if rows is None else rows
    events: dict[str, list[AuditEvent]] = {}
    query = sa.select(AuditEvent).where(AuditEvent.object_type == "ruleset").order_by(AuditEvent.at)
    for start in range(0, len(rows), 500):  # the events of these versions only, in bounded IN lists
        named = [str(row.version) for row in rows[start:start + 500]]
        for event in db.session.scalars(query.where(AuditEvent.object_id.in_(named))):
            events.setdefault(event.object_id, []).append(event)
    made_by = {row.created_by for row in rows} - {None}
    authors = dict(db.session.execute(sa.select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(made_by)))
                   .all()) if made_by else {}
    return [{"row": row, "author": authors.get(row.created_by), "events": events.get(str(row.version), [])}
            for row in rows]
