"""Queue order: risk x money at stake x age against the service level, kept as one fixed key per item.

The order wanted is  risk x money x e^(age / tau)  (largest first), with tau = the queue's service level
/ ln(AGE_WEIGHT_AT_DUE): an item at its due time weighs ten times what it weighed on arrival. Because
age = now - arrival and `now` is the same for every item, the logarithm of that product orders items
exactly like

    key = ln(risk) + ln(money at stake) - (arrival - REFERENCE) / tau

which never changes while the item waits. So the key is written once when an item is queued (and
again when its risk or queue changes), an index on (queue, status, key) serves the order, and claim
next reads one index entry. Risk and money are clamped so one key can never run away from the rest,
which also bounds the key of every item that arrived at a given moment (`tier_bounds`).

Breached items (past their due time) come before every item still within its service level: their
promise is already broken and each further minute adds to the breach. Which items are breached depends
on `now`, so it is not in the key: the readers take the breached tier first, then the rest, each as
one range of the same index (a key can only be in the breached tier if the bound allows it).
Nothing here commits; `rekey` flushes.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.review.services import sla
from models import Campaign, Proof, ReviewItem, db, utcnow

REFERENCE = datetime(2026, 1, 1)  # any fixed moment: it only keeps the numbers small
AGE_WEIGHT_AT_DUE = 10.0
RISK_FLOOR, RISK_CEILING = 0.01, 1.0
MONEY_FLOOR_CENTS, MONEY_CAP_CENTS = 1, 1_000_000  # past 10,000 yuan a proof is urgent enough
LN_MIN = math.log(RISK_FLOOR) + math.log(MONEY_FLOOR_CENTS)
LN_MAX = math.log(RISK_CEILING) + math.log(MONEY_CAP_CENTS)
SLACK = 1e-6  # float rounding at the tier bounds; the arrival predicate decides the tier
BATCH = 900


def tau_seconds(queue: str, hours: dict[str, float]) -> float:
    return hours.get(queue, sla.DEFAULT_SLA_HOURS["review"]) * 3600 / math.log(AGE_WEIGHT_AT_DUE)


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def value_log(risk: float | None, cents: int | None) -> float:
    return (math.log(_clamp(float(risk or 0.0), RISK_FLOOR, RISK_CEILING))
            + math.log(_clamp(float(cents or 0), MONEY_FLOOR_CENTS, MONEY_CAP_CENTS)))


def sort_key(risk: float | None, cents: int | None, arrived: datetime, queue: str,
             hours: dict[str, float] | None = None) -> float:
    hours = hours or sla.sla_hours()
    return value_log(risk, cents) - (_naive(arrived) - REFERENCE).total_seconds() / tau_seconds(queue, hours)


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


@dataclass(frozen=True)
class Tier:
    """One tier of a queue's order: its arrival predicate and the index range that can hold it."""

    breached: bool
    where: sa.ColumnElement[bool]


def tiers(queue: str, now: datetime, hours: dict[str, float] | None = None) -> tuple[Tier, Tier]:
    """(breached, within service level) of `queue` at `now`, in the order they are served."""
    hours = hours or sla.sla_hours()
    cutoff = now - timedelta(hours=hours.get(queue, sla.DEFAULT_SLA_HOURS["review"]))
    shift = (_naive(cutoff) - REFERENCE).total_seconds() / tau_seconds(queue, hours)
    # Arrived before the cutoff: key > LN_MIN - shift. At or after it: key <= LN_MAX - shift.
    breached = sa.and_(ReviewItem.created_at < cutoff, ReviewItem.sort_key >= LN_MIN - shift - SLACK)
    fresh = sa.and_(ReviewItem.created_at >= cutoff, ReviewItem.sort_key <= LN_MAX - shift + SLACK)
    return Tier(True, breached), Tier(False, fresh)


def age_weight(waited_seconds: float, queue: str, hours: dict[str, float] | None = None) -> float:
    """e^(age / tau): how much waiting has multiplied the item's weight so far."""
    hours = hours or sla.sla_hours()
    return math.exp(min(max(waited_seconds, 0.0) / tau_seconds(queue, hours), 700.0))


# -- writing the key -------------------------------------------------------------------------------

def facts(proof_ids: Iterable[str], session: Session | None = None) -> dict[str, tuple[str, int | None]]:
    """(worker, reward per proof of its campaign) of each proof: who did it and the money a decision moves."""
    session = session or db.session
    wanted = sorted(set(proof_ids))
    out: dict[str, tuple[str, int | None]] = {}
    for start in range(0, len(wanted), BATCH):
        out.update({pid: (worker, cents) for pid, worker, cents in session.execute(
            sa.select(Proof.id, Proof.worker_id, Campaign.reward_cents)
            .outerjoin(Campaign, Campaign.id == Proof.campaign_id).where(Proof.id.in_(wanted[start:start + BATCH])))})
    return out


def rekey(proof_ids: Iterable[str] | None = None, hours: dict[str, float] | None = None) -> int:
    """Rewrite the key (and the copied worker and money) of the waiting items of these proofs, or of
    all waiting items when None; returns how many."""
    hours = hours or sla.sla_hours()
    table = ReviewItem.__table__
    columns = sa.select(table.c.id, table.c.priority, table.c.created_at, table.c.queue, Proof.worker_id,
                        Campaign.reward_cents) \
        .select_from(table.join(Proof, Proof.id == table.c.proof_id)
                     .outerjoin(Campaign, Campaign.id == Proof.campaign_id)) \
        .where(table.c.status != "decided")
    if proof_ids is None:
        chunks = [columns.order_by(table.c.id)]
    else:
        ids = sorted(set(proof_ids))
        chunks = [columns.where(table.c.proof_id.in_(ids[i:i + BATCH])) for i in range(0, len(ids), BATCH)]
    update = sa.update(table).where(table.c.id == sa.bindparam("item_id")).values(
        sort_key=sa.bindparam("key"), worker_id=sa.bindparam("worker"), money_cents=sa.bindparam("cents"))
    done = 0
    for query in chunks:
        rows = db.session.execute(query).all()
        for start in range(0, len(rows), 5000):
            db.session.execute(update.execution_options(synchronize_session=False), [
                {"item_id": r.id, "key": sort_key(r.priority, r.reward_cents, r.created_at, r.queue, hours),
                 "worker": r.worker_id, "cents": r.reward_cents} for r in rows[start:start + 5000]])
        done += len(rows)
    return done


def key_changed_items(session: Session) -> None:
    """Session hook (before flush): new items, and items whose risk, queue or arrival changed, get their key.

    Catches every ORM write (queued, escalated, sent back from QA, reopened by a flag or dispute); bulk
    writes of the scorer call `rekey` instead.
    """
    changed = [o for o in (*session.new, *session.dirty) if isinstance(o, ReviewItem) and o.status != "decided"
               and (o in session.new or _moved(o))]
    if not changed:
        return
    hours = sla.sla_hours()
    with session.no_autoflush:
        known = facts((o.proof_id for o in changed), session)
    for item in changed:
        if item.created_at is None:
            item.created_at = utcnow()
        item.worker_id, item.money_cents = known.get(item.proof_id, (None, None))
        item.sort_key = sort_key(item.priority, item.money_cents, item.created_at, item.queue, hours)


def _moved(item: ReviewItem) -> bool:
    state = sa.inspect(item)
    return any(state.attrs[name].history.has_changes() for name in ("priority", "queue", "created_at"))


def install(session_class: type[Session] = Session) -> None:
    """Register the hook once per process (every app shares the Session class)."""
    if not sa.event.contains(session_class, "before_flush", _before_flush):
        sa.event.listen(session_class, "before_flush", _before_flush)


def _before_flush(session: Session, _context: object, _instances: object) -> None:
    key_changed_items(session)
