"""Asking the worker for more information about one proof.

While a question is open the proof's review item waits in status `info_requested`: out of every
queue list and claim, with a due time. It returns to its queue (status `open`, unclaimed) when the
worker's client answers through the API or when `expire_due` finds the due time passed; either way
the next moderator sees the question and the answer on the proof page. Nothing here commits.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.platform.audit import record
from app.platform.i18n import _
from app.review.services.claims import NotAllowed
from app.review.services.decisions import DECIDABLE, ReviewError
from app.review.services.queue import claim_cutoff
from models import DomainError, InfoRequest, NotFound, Proof, ReviewItem, StaffUser, db

WAITING = "info_requested"  # the review item's status while the worker is asked
MAX_QUESTION = 1000
MAX_ANSWER = 4000
DEFAULT_HOURS = 48
MAX_HOURS = 24 * 14


class InfoConflict(DomainError):
    status_code = 409


def ask(proof: Proof, user: StaffUser, question: str, hours: int, now: datetime,
        claim_minutes: int | None = None) -> InfoRequest:
    """Put the question to the worker and take the proof out of the queue until it is answered or due."""
    question = (question or "").strip()
    if not question or len(question) > MAX_QUESTION:
        raise ReviewError(_("question: 1 to %(n)d characters, the worker reads it as written", n=MAX_QUESTION))
    if not 1 <= hours <= MAX_HOURS:
        raise ReviewError(_("due in: between 1 and %(n)d hours", n=MAX_HOURS))
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == proof.id))
    if proof.state not in DECIDABLE or item is None or item.status == "decided":
        raise InfoConflict(_("proof %(proof)s is not waiting for review", proof=proof.id))
    if item.status == WAITING:
        raise InfoConflict(_("the worker was already asked about proof %(proof)s", proof=proof.id))
    if (item.status == "claimed" and item.claimed_by != user.id and item.claimed_at
            and item.claimed_at >= claim_cutoff(now, claim_minutes)):
        raise NotAllowed(_("someone else is working on proof %(proof)s", proof=proof.id))
    taken = db.session.execute(
        sa.update(ReviewItem).where(ReviewItem.id == item.id, ReviewItem.status.in_(("open", "claimed")))
        .values(status=WAITING, claimed_by=None, claimed_at=None, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        raise InfoConflict(_("proof %(proof)s changed meanwhile; reload it", proof=proof.id))
    db.session.refresh(item)
    request = InfoRequest(proof_id=proof.id, question=question, asked_by=user.id, asked_at=now,
                          due_at=now + timedelta(hours=hours), status="open")
    db.session.add(request)
    db.session.flush()
    record("proof.info_requested", "proof", proof.id, actor=user,
           data={"info_request": request.id, "question": question, "due_at": request.due_at.isoformat()})
    return request


def open_request(proof_id: str) -> InfoRequest | None:
    return db.session.scalar(sa.select(InfoRequest).where(InfoRequest.proof_id == proof_id,
                                                          InfoRequest.status == "open")
                             .order_by(InfoRequest.id.desc()).limit(1))


def latest(proof_id: str) -> InfoRequest | None:
    return db.session.scalar(sa.select(InfoRequest).where(InfoRequest.proof_id == proof_id)
                             .order_by(InfoRequest.id.desc()).limit(1))


def history(proof_id: str) -> list[tuple[InfoRequest, str | None]]:
    """Every question asked about this proof, newest first, with who asked it."""
    return [(r, name) for r, name in db.session.execute(
        sa.select(InfoRequest, StaffUser.name).outerjoin(StaffUser, StaffUser.id == InfoRequest.asked_by)
        .where(InfoRequest.proof_id == proof_id).order_by(InfoRequest.id.desc())).all()]


def _back_to_queue(proof_id: str, now: datetime) -> None:
    db.session.execute(
        sa.update(ReviewItem).where(ReviewItem.proof_id == proof_id, ReviewItem.status == WAITING)
        .values(status="open", claimed_by=None, claimed_at=None, updated_at=now)
        .execution_options(synchronize_session=False))


def answer(proof_id: str, text: str, now: datetime, source: str = "api") -> tuple[InfoRequest, bool]:
    """The worker's answer: (request, newly answered). The same answer sent again returns the stored one."""
    if db.session.get(Proof, proof_id) is None:
        raise NotFound(f"no proof with id {proof_id!r}")
    text = (text or "").strip()
    if not text or len(text) > MAX_ANSWER:
        raise ReviewError(f"answer: 1 to {MAX_ANSWER} characters")
    request = open_request(proof_id)
    if request is None:
        last = latest(proof_id)
        if last is not None and last.status == "answered" and last.answer == text:
            return last, False
        if last is None:
            raise InfoConflict(f"no question was asked about proof {proof_id}")
        raise InfoConflict(f"the question about proof {proof_id} is {last.status}; it takes no answer now")
    taken = db.session.execute(
        sa.update(InfoRequest).where(InfoRequest.id == request.id, InfoRequest.status == "open")
        .values(status="answered", answer=text, answered_at=now, closed_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if taken != 1:  # expired or answered by a concurrent call between our read and this update
        raise InfoConflict(f"the question about proof {proof_id} was closed meanwhile")
    db.session.refresh(request)
    _back_to_queue(proof_id, now)
    record("proof.info_answered", "proof", proof_id, actor_label=source,
           data={"info_request": request.id, "answer_chars": len(text)})
    db.session.flush()
    return request, True


def expire_due(now: datetime, limit: int = 5000) -> int:
    """Close the questions whose due time has passed and put their proofs back in their queues.

    Called by `flask review expire-info` (and any scheduler); safe to run at any time and repeatedly."""
    due = db.session.execute(sa.select(InfoRequest.id, InfoRequest.proof_id).where(
        InfoRequest.status == "open", InfoRequest.due_at <= now).order_by(InfoRequest.due_at).limit(limit)).all()
    expired = 0
    for request_id, proof_id in due:
        taken = db.session.execute(
            sa.update(InfoRequest).where(InfoRequest.id == request_id, InfoRequest.status == "open")
            .values(status="expired", closed_at=now).execution_options(synchronize_session=False)).rowcount
        if taken:
            _back_to_queue(proof_id, now)
            record("proof.info_expired", "proof", proof_id, actor_label="system", data={"info_request": request_id})
            expired += 1
    db.session.flush()
    return expired


def count_waiting() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(InfoRequest)
                             .where(InfoRequest.status == "open")) or 0
