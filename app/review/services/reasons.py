"""The managed list of reject reasons: a code, the label moderators pick, and the message the worker
reads (English and Chinese). Senior moderators add reasons, edit their messages and retire them;
a retired reason is kept (stored decisions name it) but no longer offered or accepted.

The table is seeded by migration 0200 with the built-in codes below. A database built without
migrations (tests' create_all) has an empty table: it reads as the built-in list, and the first
change writes the built-ins in before applying itself, so both always agree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.platform.audit import record
from app.platform.i18n import _, _l
from models import DomainError, StaffUser, db
from models.moderation import RejectReason

REJECT_REASONS = {
    "fraud_device_farm": _l("Device farm / shared hardware"),
    "fraud_bot": _l("Scripted or automated"),
    "fraud_proxy": _l("Proxy or datacenter network"),
    "fraud_ring": _l("Coordinated ring"),
    "duplicate_screenshot": _l("Reused screenshot"),
    "duplicate_comment": _l("Copy-paste comment"),
    "incomplete_task": _l("Task not done as required"),
    "policy_violation": _l("Breaks platform policy"),
    "other": _l("Other (explain in the note)"),
}
# code -> (English label, worker message in English, in Chinese); migration 0200 holds the same text.
BUILT_IN: dict[str, tuple[str, str, str]] = {
    "fraud_device_farm": ("Device farm / shared hardware",
                          "This task was done from a device shared with other accounts.",
                          "此任务是在与其他账号共用的设备上完成的。"),
    "fraud_bot": ("Scripted or automated", "This task looks like it was done by a script, not by you.",
                  "此任务看起来是由脚本自动完成的，而不是本人完成。"),
    "fraud_proxy": ("Proxy or datacenter network", "This task was done through a proxy or data-centre network.",
                    "此任务是通过代理或机房网络完成的。"),
    "fraud_ring": ("Coordinated ring", "This task is part of coordinated activity across several accounts.",
                   "此任务属于多个账号之间的协同作弊行为。"),
    "duplicate_screenshot": ("Reused screenshot", "The screenshot was already used for another task.",
                             "该截图已被用于其他任务。"),
    "duplicate_comment": ("Copy-paste comment", "The comment was copied from other submissions.",
                          "该评论是从其他提交中复制的。"),
    "incomplete_task": ("Task not done as required", "The task was not completed as the brief requires.",
                        "任务未按要求完成。"),
    "policy_violation": ("Breaks platform policy", "This submission breaks the platform's rules.",
                         "此提交违反了平台规则。"),
    "other": ("Other (explain in the note)", "Your submission was rejected after review.",
              "您的提交经审核未通过。"),
}
CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


class ReasonError(DomainError):
    status_code = 422


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    message_en: str
    message_zh: str
    retired: bool = False
    built_in: bool = False


def _from_row(row: RejectReason) -> Reason:
    # Built-in codes keep their translated label; a reason added here shows the label as typed.
    built_in = row.code in REJECT_REASONS
    label = str(REJECT_REASONS[row.code]) if built_in and row.label == BUILT_IN[row.code][0] else row.label
    return Reason(row.code, label, row.message_en, row.message_zh, row.retired_at is not None, built_in)


def _built_ins() -> list[Reason]:
    return [Reason(code, str(REJECT_REASONS[code]), en, zh, built_in=True)
            for code, (_label, en, zh) in BUILT_IN.items()]


def catalogue(include_retired: bool = False) -> list[Reason]:
    """Reasons in menu order; retired ones only when asked."""
    rows = list(db.session.scalars(sa.select(RejectReason).order_by(RejectReason.position, RejectReason.code)))
    reasons = [_from_row(r) for r in rows] if rows else _built_ins()
    return [r for r in reasons if include_retired or not r.retired]


def find(code: str | None) -> Reason | None:
    """Any reason by code, retired or not (a stored decision may name a retired one)."""
    if not code:
        return None
    row = db.session.get(RejectReason, code)
    if row is not None:
        return _from_row(row)
    if code in BUILT_IN and _table_empty():
        return next(r for r in _built_ins() if r.code == code)
    return None


def usable(code: str | None) -> bool:
    """May a new rejection name this code?"""
    found = find(code)
    return found is not None and not found.retired


def usable_codes() -> list[str]:
    return [r.code for r in catalogue()]


def label(code: str | None) -> str:
    found = find(code)
    return found.label if found else (code or "")


def worker_message(code: str | None) -> dict[str, str] | None:
    """What the worker's app shows for a rejection with this code, per language."""
    found = find(code)
    return {"en": found.message_en, "zh_CN": found.message_zh} if found else None


def _table_empty() -> bool:
    return db.session.scalar(sa.select(RejectReason.code).limit(1)) is None


def _materialize(now: datetime) -> None:
    if _table_empty():
        db.session.add_all(RejectReason(code=code, label=lbl, message_en=en, message_zh=zh, position=i,
                                        created_at=now, updated_at=now)
                           for i, (code, (lbl, en, zh)) in enumerate(BUILT_IN.items(), start=1))
        db.session.flush()


def _clean(label_text: str, message_en: str, message_zh: str) -> tuple[str, str, str]:
    label_text, message_en, message_zh = (v.strip() for v in (label_text or "", message_en or "", message_zh or ""))
    if not label_text or len(label_text) > 200:
        raise ReasonError(_("label: between 1 and 200 characters"))
    if not message_en or not message_zh:
        raise ReasonError(_("message: the worker reads it in English and in Chinese; write both"))
    return label_text, message_en, message_zh


def add(code: str, label_text: str, message_en: str, message_zh: str, user: StaffUser, now: datetime) -> RejectReason:
    code = (code or "").strip()
    if not CODE.match(code):
        raise ReasonError(_("code: lower-case letters, digits and _, starting with a letter (2 to 64)"))
    label_text, message_en, message_zh = _clean(label_text, message_en, message_zh)
    _materialize(now)
    if db.session.get(RejectReason, code) is not None:
        raise ReasonError(_("code: %(code)s exists already; edit it instead", code=code))
    last = db.session.scalar(sa.select(sa.func.max(RejectReason.position))) or 0
    row = RejectReason(code=code, label=label_text, message_en=message_en, message_zh=message_zh,
                       position=last + 1, created_at=now, updated_at=now, updated_by=user.id)
    db.session.add(row)
    record("reject_reason.added", "reject_reason", code, actor=user,
           data={"label": label_text, "message_en": message_en, "message_zh": message_zh})
    db.session.flush()
    return row


def _row(code: str, now: datetime) -> RejectReason:
    _materialize(now)
    row = db.session.get(RejectReason, code)
    if row is None:
        raise ReasonError(_("no reason %(code)s", code=code))
    return row


def edit(code: str, label_text: str, message_en: str, message_zh: str, user: StaffUser, now: datetime) -> None:
    """New wording for the worker (and the label); decisions already sent keep their code."""
    row = _row(code, now)
    label_text, message_en, message_zh = _clean(label_text, message_en, message_zh)
    before = {"label": row.label, "message_en": row.message_en, "message_zh": row.message_zh}
    row.label, row.message_en, row.message_zh = label_text, message_en, message_zh
    row.updated_at, row.updated_by = now, user.id
    record("reject_reason.edited", "reject_reason", code, actor=user,
           data={"before": before, "after": {"label": label_text, "message_en": message_en, "message_zh": message_zh}})
    db.session.flush()


def set_retired(code: str, retired: bool, user: StaffUser, now: datetime) -> None:
    """Retire a reason (no longer offered or accepted) or bring it back."""
    row = _row(code, now)
    if retired and code == "other":
        raise ReasonError(_("'other' cannot be retired: a rejection must always have a reason"))
    row.retired_at = now if retired else None
    row.updated_at, row.updated_by = now, user.id
    record("reject_reason.retired" if retired else "reject_reason.restored", "reject_reason", code, actor=user)
    db.session.flush()
