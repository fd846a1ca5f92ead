"""`flask ledger verify`: recompute every money invariant from the rows themselves.

Each check is one set-based query that returns the rows breaking it, so the whole ledger is
checked in a few seconds even with hundreds of thousands of entries. A violation names the
entry, account, proof or payout and what is wrong with it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import sqlalchemy as sa

from app.money.services import ledger
from app.money.services.settlement import newest_decision_is
from models import Campaign, Payout, Proof, ReviewDecision, db
from models.ledger import PAYOUT_IN_FLIGHT

E, P, A = ledger.ENTRIES, ledger.POSTINGS, ledger.ACCOUNTS
PROOFS = Proof.__table__
SHOWN_PER_CHECK = 25
SETTLED_STATES = ("settled", "clawed_back")


@dataclass
class VerifyReport:
    counts: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


# Statements are built once per process: building SQL expressions costs far more than running
# these queries on a small ledger, and verify runs after every step of the property tests.


@cache
def _unbalanced_query() -> sa.Select:
    total = sa.func.coalesce(sa.func.sum(P.c.amount), 0)
    return (sa.select(E.c.id, E.c.key, total, sa.func.count(P.c.account_id)).outerjoin(P, P.c.entry_id == E.c.id)
            .group_by(E.c.id, E.c.key).having(sa.or_(total != 0, sa.func.count(P.c.account_id) < 2)))


def _unbalanced() -> list[str]:
    return [f"entry {i} ({key}): {legs} postings summing to {s} cents; an entry needs two or more summing to 0"
            for i, key, s, legs in db.session.execute(_unbalanced_query())]


@cache
def _cached_balances_query() -> sa.Select:
    sums = sa.select(P.c.account_id, sa.func.sum(P.c.amount).label("total")).group_by(P.c.account_id).subquery()
    total = sa.func.coalesce(sums.c.total, 0)
    return (sa.select(A.c.code, A.c.balance, total).outerjoin(sums, sums.c.account_id == A.c.id)
            .where(A.c.balance != total))


def _cached_balances() -> list[str]:
    return [f"account {code}: cached balance {cached} cents but its postings sum to {real}"
            for code, cached, real in db.session.execute(_cached_balances_query())]


@cache
def _posted_twice_query() -> sa.Select:
    return (sa.select(E.c.proof_id, E.c.kind, sa.func.count()).where(E.c.kind.in_(("settle", "clawback")))
            .group_by(E.c.proof_id, E.c.kind).having(sa.func.count() > 1))


def _posted_twice() -> list[str]:
    return [f"proof {pid}: {n} {kind} entries; a proof is {kind}d at most once"
            for pid, kind, n in db.session.execute(_posted_twice_query())]


@cache
def _entry_state_queries(kind: str, states: tuple[str, ...]) -> tuple[sa.Select, sa.Select]:
    has_entry = sa.exists().where(E.c.kind == kind, E.c.proof_id == PROOFS.c.id)
    missing = sa.select(PROOFS.c.id, PROOFS.c.state).where(PROOFS.c.state.in_(states), ~has_entry)
    stray = (sa.select(E.c.key, PROOFS.c.state).outerjoin(PROOFS, PROOFS.c.id == E.c.proof_id)
             .where(E.c.kind == kind, sa.or_(PROOFS.c.id.is_(None), PROOFS.c.state.not_in(states))))
    return missing, stray


def _entry_matches_state(kind: str, states: tuple[str, ...]) -> list[str]:
    missing, stray = _entry_state_queries(kind, states)
    return ([f"proof {pid} is {state} but has no {kind}:{pid} entry" for pid, state in db.session.execute(missing)]
            + [f"entry {key}: its proof is {state or 'missing'}, not {' or '.join(states)}"
               for key, state in db.session.execute(stray)])


@cache
def _approving_queries() -> tuple[sa.Select, sa.Select]:
    d = ReviewDecision.__table__.alias("d")
    newest_approves = sa.exists().where(d.c.proof_id == PROOFS.c.id, d.c.decision == "approved", newest_decision_is(d))
    ever_approved = sa.exists().where(d.c.proof_id == PROOFS.c.id, d.c.decision == "approved")
    return (sa.select(PROOFS.c.id).where(PROOFS.c.state == "settled", ~newest_approves),
            sa.select(PROOFS.c.id).where(PROOFS.c.state == "clawed_back", ~ever_approved))


def _approving_decision() -> list[str]:
    settled, clawed = _approving_queries()
    return ([f"proof {pid} is settled but its decision in force is not an approval"
             for pid in db.session.scalars(settled)]
            + [f"proof {pid} was clawed back but was never approved" for pid in db.session.scalars(clawed)])


@cache
def _settle_legs_query() -> sa.Select:
    camp = Campaign.__table__
    escrow_out = sa.func.sum(sa.case((sa.and_(A.c.kind == "brand_escrow", A.c.campaign_id == PROOFS.c.campaign_id),
                                      P.c.amount), else_=0))
    foreign = sa.func.sum(sa.case((sa.and_(A.c.kind == "worker_payable", A.c.worker_id != PROOFS.c.worker_id), 1),
                                  else_=0))
    return (sa.select(E.c.key, camp.c.reward_cents, escrow_out, foreign)
            .join(PROOFS, PROOFS.c.id == E.c.proof_id).join(camp, camp.c.id == PROOFS.c.campaign_id)
            .join(P, P.c.entry_id == E.c.id).join(A, A.c.id == P.c.account_id).where(E.c.kind == "settle")
            .group_by(E.c.id, E.c.key, camp.c.reward_cents)
            .having(sa.or_(escrow_out != -camp.c.reward_cents, foreign > 0)))


def _settle_legs() -> list[str]:
    return [f"entry {key}: takes {-out} cents from its campaign's escrow for a {reward}-cent reward"
            + (" and pays another worker" if other else "")
            for key, reward, out, other in db.session.execute(_settle_legs_query())]


@cache
def _clawback_query() -> sa.Select:
    clawed = sa.select(E.c.proof_id).where(E.c.kind == "clawback")
    return (sa.select(E.c.proof_id, A.c.code, sa.func.sum(P.c.amount)).join(P, P.c.entry_id == E.c.id)
            .join(A, A.c.id == P.c.account_id).where(E.c.kind.in_(("settle", "clawback")), E.c.proof_id.in_(clawed))
            .group_by(E.c.proof_id, A.c.code).having(sa.func.sum(P.c.amount) != 0))


def _clawback_mirrors() -> list[str]:
    return [f"proof {pid}: clawback does not mirror settlement on {code} (net {net} cents)"
            for pid, code, net in db.session.execute(_clawback_query())]


@cache
def _negative_escrow_query() -> sa.Select:
    return sa.select(A.c.code, A.c.balance).where(A.c.kind == "brand_escrow", A.c.balance < 0)


def _escrow_not_negative() -> list[str]:
    return [f"account {code}: escrow is {bal} cents; escrow never goes below 0"
            for code, bal in db.session.execute(_negative_escrow_query())]


PAYOUT_ENTRY_KINDS = (("payout", None), ("payout_confirm", ("confirmed",)), ("payout_cancel", ("cancelled",)))


@cache
def _payout_queries() -> tuple[sa.Select, sa.Select, list[tuple[str, sa.Select, sa.Select | None]]]:
    payout_t = Payout.__table__
    in_flight = sa.select(sa.func.coalesce(sa.func.sum(payout_t.c.amount_cents), 0)).where(
        payout_t.c.state.in_(PAYOUT_IN_FLIGHT))
    clearing = sa.select(A.c.balance).where(A.c.code == ledger.PAYOUTS_CLEARING.code)
    per_kind = []
    for kind, states in PAYOUT_ENTRY_KINDS:
        has_entry = sa.exists().where(E.c.kind == kind, E.c.payout_id == payout_t.c.id,
                                      E.c.worker_id == payout_t.c.worker_id)
        missing = sa.select(payout_t.c.id, payout_t.c.state).where(~has_entry)
        stray = None
        if states:
            missing = missing.where(payout_t.c.state.in_(states))
            stray = sa.select(E.c.key, payout_t.c.state).outerjoin(payout_t, payout_t.c.id == E.c.payout_id).where(
                E.c.kind == kind, sa.or_(payout_t.c.id.is_(None), payout_t.c.state.not_in(states)))
        per_kind.append((kind, missing, stray))
    return in_flight, clearing, per_kind


def _payouts_match() -> list[str]:
    in_flight_q, clearing_q, per_kind = _payout_queries()
    in_flight, clearing = db.session.scalar(in_flight_q) or 0, db.session.scalar(clearing_q) or 0
    problems = [] if in_flight == clearing else [
        f"account payouts_clearing holds {clearing} cents but payouts in flight total {in_flight}"]
    for kind, missing, stray in per_kind:
        problems += [f"payout {pid} is {state} but has no {kind} entry" for pid, state in db.session.execute(missing)]
        if stray is not None:
            problems += [f"entry {key}: its payout is {state or 'missing'}" for key, state in db.session.execute(stray)]
    return problems


CHECKS: dict[str, Callable[[], list[str]]] = {
    "every entry balances": _unbalanced,
    "cached balances equal postings": _cached_balances,
    "no proof settled or clawed back twice": _posted_twice,
    "settled proofs have their settle entry": lambda: _entry_matches_state("settle", SETTLED_STATES),
    "clawed back proofs have their clawback entry": lambda: _entry_matches_state("clawback", ("clawed_back",)),
    "every settled proof has an approving decision": _approving_decision,
    "settlements pay the reward from the right escrow to the right worker": _settle_legs,
    "clawbacks mirror settlements": _clawback_mirrors,
    "escrow is never negative": _escrow_not_negative,
    "payouts match the clearing account": _payouts_match,
}


def verify(*, with_counts: bool = True) -> VerifyReport:
    """Run every check; the report lists each violation (at most SHOWN_PER_CHECK per check, then a count)."""
    report = VerifyReport()
    if with_counts:
        report.counts = {
            "entries": db.session.scalar(sa.select(sa.func.count()).select_from(E)) or 0,
            "postings": db.session.scalar(sa.select(sa.func.count()).select_from(P)) or 0,
            "accounts": db.session.scalar(sa.select(sa.func.count()).select_from(A)) or 0,
            "settled proofs": db.session.scalar(sa.select(sa.func.count()).select_from(PROOFS).where(
                PROOFS.c.state.in_(SETTLED_STATES))) or 0,
        }
    for name, check in CHECKS.items():
        found = check()
        report.violations += [f"[{name}] {text}" for text in found[:SHOWN_PER_CHECK]]
        if len(found) > SHOWN_PER_CHECK:
            report.violations.append(f"[{name}] ... and {len(found) - SHOWN_PER_CHECK} more")
    return report
