"""Where a rescored proof goes: the queue follows the new score until a person or the money has decided.

A fresh proof is routed by `scoring.route_proofs`. A proof scored again (a new model or rule set,
new evidence from a linked rejection, `flask score --all`) is somewhere already:
- waiting in review: its item follows the new route and priority. One the new score would approve
  by policy is approved by policy, unless a person is on it (claimed), escalated it, decided on it
  before, sent it back, flagged it (an open fraud flag), asked its worker a question, or a brand
  disputed it; an escalated item stays with the seniors whatever the score says.
- approved by policy and still inside the settlement hold window (not confirmed in QA): when the
  new route asks for a person, it is pulled back into review before it can settle.
- anything else (decided by a person, imported history, settled) keeps its decision: only the
  stored score changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.platform.audit import record
from app.platform.sql import among, per_dialect
from app.scoring.services.staleness import policy_approval_in_hold
from models import AuditEvent, DisputeProof, FraudFlag, InfoRequest, Proof, ProofState, ReviewDecision, ReviewItem, db

ROUTE_QUEUE = {"auto_approve": "auto", "review": "review", "hold": "hold"}
AUDIT_IDS = 1000  # proof ids per audit row of a bulk move (a scoring batch moves up to 5,000)
_ITEMS = ReviewItem.__table__
_PROOFS = Proof.__table__
_DECISIONS = ReviewDecision.__table__
_AUDIT = AuditEvent.__table__
_FLAGS = FraudFlag.__table__
_QUESTIONS = InfoRequest.__table__
_DISPUTED = DisputeProof.__table__


@dataclass
class Rerouted:
    auto_approved: list[str]
    pulled_back: list[str]


@dataclass(frozen=True)
class Scored:
    proof_id: str
    route: str
    risk: float
    degraded: bool


def reroute(scored: list[Scored], now: datetime) -> Rerouted:
    """Move the rescored proofs among `scored` to where their new score sends them; the caller flushes."""
    result = Rerouted([], [])
    if not scored:
        return result
    by_id = {s.proof_id: s for s in scored}
    ids = list(by_id)
    waiting, approvable, in_hold = set(), set(), set()
    cutoff = now - timedelta(hours=current_app.config["SETTLEMENT_HOLD_HOURS"])
    for start in range(0, len(ids), 900):
        chunk = {"ids": ids[start:start + 900], "cutoff": cutoff}
        for pid, state, free, held in db.session.execute(_placement(), chunk):
            if state == ProofState.IN_REVIEW.value:
                waiting.add(pid)
                if free:
                    approvable.add(pid)
            elif held:
                in_hold.add(pid)
    approve = sorted(pid for pid in approvable
                     if by_id[pid].route == "auto_approve" and not by_id[pid].degraded)
    result.auto_approved = _approve_waiting(approve, now)
    requeue = [by_id[pid] for pid in waiting if pid not in set(result.auto_approved)]
    if requeue:
        db.session.execute(_REQUEUE, [{"pid": s.proof_id, "q": _queue_for(s), "p": float(s.risk), "now": now}
                                      for s in requeue])
    back = sorted(pid for pid in in_hold if by_id[pid].route in ("review", "hold"))
    result.pulled_back = _pull_back([by_id[pid] for pid in back], now)
    return result


def _queue_for(scored: Scored) -> str:
    # Not approvable by policy now (claimed, escalated, or a person decided on it): a person finishes it.
    if scored.route == "auto_approve" and not scored.degraded:
        return "review"
    return ROUTE_QUEUE[scored.route]


@per_dialect
def _placement(dialect: str) -> sa.Select:
    """(id, state, free for a policy approval, approved by policy within the hold window) of :ids."""
    # Only the policy's own decisions before (a rescore may pull a policy approval back and approve it again).
    decided_by_person = sa.exists().where(_DECISIONS.c.proof_id == _PROOFS.c.id, _DECISIONS.c.actor_kind != "system")
    # Sent back for a person to look at again (a QA disagreement, a fraud flag, a brand's dispute): a
    # rescore must not approve it by policy behind their back.
    sent_back = sa.exists().where(_AUDIT.c.object_type == "proof", _AUDIT.c.object_id == _PROOFS.c.id,
                                  _AUDIT.c.action == "proof.reopened")
    # A person is involved in other ways too: an open fraud flag on it, a question put to its worker,
    # a brand's dispute naming it (a dispute puts a fresh proof in the hold queue without reopening it).
    flagged = sa.exists().where(_FLAGS.c.proof_id == _PROOFS.c.id, _FLAGS.c.status == "open")
    asked = sa.exists().where(_QUESTIONS.c.proof_id == _PROOFS.c.id)
    disputed = sa.exists().where(_DISPUTED.c.proof_id == _PROOFS.c.id)
    free = sa.and_(_ITEMS.c.status == "open", _ITEMS.c.queue != "senior", ~decided_by_person, ~sent_back,
                   ~flagged, ~asked, ~disputed)
    in_hold = policy_approval_in_hold(_PROOFS, sa.bindparam("cutoff"))
    return sa.select(_PROOFS.c.id, _PROOFS.c.state, free, in_hold) \
        .select_from(_PROOFS.outerjoin(_ITEMS, _ITEMS.c.proof_id == _PROOFS.c.id)) \
        .where(among(_PROOFS.c.id, "ids", dialect),
               _PROOFS.c.state.in_((ProofState.IN_REVIEW.value, ProofState.APPROVED.value)))


def _approve_waiting(ids: list[str], now: datetime) -> list[str]:
    """Approve by policy the waiting proofs among `ids` whose item is still open; returns those approved."""
    moved = []
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        # The item's conditional update is the claim: a moderator who claimed it meanwhile keeps it.
        taken = [pid for (pid,) in db.session.execute(_TAKE_OPEN_ITEMS(), {"ids": chunk, "now": now})]
        if taken:
            db.session.execute(_MOVE_STATE(), {"ids": taken, "src": ProofState.IN_REVIEW.value,
                                              "dst": ProofState.APPROVED.value, "now": now})
        moved.extend(taken)
    approve_by_policy(sorted(moved), now)
    return sorted(moved)


def approve_by_policy(ids: list[str], now: datetime) -> None:
    """The system decisions (and their audit row) of proofs the policy approves."""
    if not ids:
        return
    db.session.execute(sa.insert(ReviewDecision), [{
        "proof_id": pid, "decision": "approved", "reason_code": "policy_low_risk", "note": None,
        "actor_kind": "system", "actor_id": None, "decided_at": now, "idempotency_key": None,
    } for pid in ids])
    for start in range(0, len(ids), AUDIT_IDS):  # every approved proof named in some audit row
        part = ids[start:start + AUDIT_IDS]
        record("proof.approved", "proof", f"{len(part)} proofs", actor_label="system",
               data={"policy": "auto_approve", "proof_ids": part})


def _pull_back(scored: list[Scored], now: datetime) -> list[str]:
    """Send policy approvals the new score doubts back to review, before they settle."""
    moved: list[str] = []
    for start in range(0, len(scored), 900):
        chunk = scored[start:start + 900]
        # Conditional on the state: settlement moving the same proof at once wins or loses cleanly.
        moved.extend(pid for (pid,) in db.session.execute(_MOVE_STATE(), {
            "ids": [s.proof_id for s in chunk], "src": ProofState.APPROVED.value,
            "dst": ProofState.IN_REVIEW.value, "now": now}))
    if moved:
        chosen = set(moved)
        db.session.execute(_REOPEN, [{"pid": s.proof_id, "q": ROUTE_QUEUE["review" if s.route == "auto_approve"
                                                                          else s.route],
                                      "p": float(s.risk), "now": now} for s in scored if s.proof_id in chosen])
        routes = {s.proof_id: s.route for s in scored}
        ordered = sorted(moved)
        for start in range(0, len(ordered), AUDIT_IDS):
            part = ordered[start:start + AUDIT_IDS]
            record("proof.reopened", "proof", f"{len(part)} proofs", actor_label="system", data={
                "from": "rescore", "reason": "a new score asks for a person before the hold window ends",
                "proof_ids": part, "routes": {pid: routes[pid] for pid in part}})
    return sorted(moved)


@per_dialect
def _TAKE_OPEN_ITEMS(dialect: str) -> sa.Update:  # noqa: N802 - a statement, named like the others here
    return sa.update(_ITEMS).where(among(_ITEMS.c.proof_id, "ids", dialect), _ITEMS.c.status == "open",
                                   _ITEMS.c.queue != "senior") \
        .values(status="decided", queue="auto", updated_at=sa.bindparam("now")).returning(_ITEMS.c.proof_id)


@per_dialect
def _MOVE_STATE(dialect: str) -> sa.Update:  # noqa: N802
    return sa.update(_PROOFS).where(among(_PROOFS.c.id, "ids", dialect), _PROOFS.c.state == sa.bindparam("src")) \
        .values(state=sa.bindparam("dst"), state_changed_at=sa.bindparam("now")).returning(_PROOFS.c.id)


# A proof in review follows its new route to another queue; one decided meanwhile stays where it is,
# and an escalated one stays with the seniors (only its priority follows the score).
_REQUEUE = sa.update(_ITEMS).where(_ITEMS.c.proof_id == sa.bindparam("pid"), _ITEMS.c.status != "decided") \
    .values(queue=sa.case((_ITEMS.c.queue == "senior", "senior"), else_=sa.bindparam("q")),
            priority=sa.bindparam("p"), updated_at=sa.bindparam("now"))
_REOPEN = sa.update(_ITEMS).where(_ITEMS.c.proof_id == sa.bindparam("pid")) \
    .values(queue=sa.bindparam("q"), status="open", priority=sa.bindparam("p"), claimed_by=None, claimed_at=None,
            updated_at=sa.bindparam("now"))
