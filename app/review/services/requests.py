"""Four eyes on the server: actions that need a second reviewer wait here until a senior moderator
other than the requester applies or declines them; the rest are applied at once, with the same record.

Taking a pending request is one conditional UPDATE (pending -> applied, by someone else), so two
seniors pressing apply at once apply it once. Nothing here commits.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa

from app.platform.audit import record
from app.platform.i18n import _
from app.review.services.bulk import apply_bulk
from app.review.services.claims import NotAllowed
from app.review.services.queue import SENIOR_ROLES
from app.review.services.standing import apply_sanction
from models import DomainError, ModerationRequest, StaffUser, db

APPLIERS: dict[str, Callable[[ModerationRequest, datetime], dict]] = {
    "bulk_decision": apply_bulk,
    "worker_sanction": apply_sanction,
}


class RequestGone(DomainError):
    status_code = 409


def submit(kind: str, payload: dict, preview: dict, user: StaffUser, four_eyes: str | None,
           now: datetime) -> ModerationRequest:
    """Record the action; apply it now unless it needs a second reviewer."""
    request = ModerationRequest(kind=kind, payload=payload, preview=preview, four_eyes=four_eyes,
                                requested_by=user.id, requested_at=now, status="pending" if four_eyes else "applied")
    db.session.add(request)
    db.session.flush()
    record(f"moderation.{'requested' if four_eyes else 'applied'}", "moderation_request", str(request.id),
           actor=user, data={"kind": kind, "preview": preview, "four_eyes": four_eyes})
    if not four_eyes:
        request.result = APPLIERS[kind](request, now)
    db.session.flush()
    return request


def _take(request: ModerationRequest, reviewer: StaffUser, status: str, now: datetime) -> None:
    if not reviewer.has_role(*SENIOR_ROLES):
        raise NotAllowed(_("four eyes: a senior moderator reviews this request"))
    if request.requested_by == reviewer.id:
        raise NotAllowed(_("four eyes: someone other than the requester must review this request"))
    taken = db.session.execute(
        sa.update(ModerationRequest).where(ModerationRequest.id == request.id, ModerationRequest.status == "pending",
                                           ModerationRequest.requested_by != reviewer.id)
        .values(status=status, reviewed_by=reviewer.id, reviewed_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(request)
    if taken != 1:
        raise RequestGone(_("request #%(id)d was already %(status)s", id=request.id, status=request.status))


def approve(request: ModerationRequest, reviewer: StaffUser, note: str | None, now: datetime) -> dict:
    """The second reviewer agrees: apply the request as asked (what changed since is skipped, not redone)."""
    _take(request, reviewer, "applied", now)
    request.review_note = note
    request.result = APPLIERS[request.kind](request, now)
    record("moderation.approved", "moderation_request", str(request.id), actor=reviewer,
           data={"kind": request.kind, "note": note, "result": request.result, "requested_by": request.requested_by})
    db.session.flush()
    return request.result


def decline(request: ModerationRequest, reviewer: StaffUser, note: str | None, now: datetime) -> None:
    if not (note or "").strip():
        raise NotAllowed(_("note: say why the request is declined"))
    _take(request, reviewer, "declined", now)
    request.review_note = note
    record("moderation.declined", "moderation_request", str(request.id), actor=reviewer,
           data={"kind": request.kind, "note": note, "requested_by": request.requested_by})
    db.session.flush()


def pending(limit: int = 100) -> list[tuple[ModerationRequest, str]]:
    """Requests waiting for a second reviewer, oldest first, with the requester's name."""
    return [(r, name) for r, name in db.session.execute(
        sa.select(ModerationRequest, StaffUser.name).join(StaffUser, StaffUser.id == ModerationRequest.requested_by)
        .where(ModerationRequest.status == "pending").order_by(ModerationRequest.requested_at, ModerationRequest.id)
        .limit(limit)).all()]


def count_pending() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ModerationRequest)
                             .where(ModerationRequest.status == "pending")) or 0
