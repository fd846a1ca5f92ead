"""The scoring hook of entity-level relief: active mutes, read once per scoring call, applied to the
rule output before the model and the combination see it (review_rules/relief.py says what a mute does).

Every scorer calls `relieve` right after `evaluate`: online and batch scoring, rescoring, shadow
versions and "try on one proof". Backtests do not: they replay labelled history, and a mute given
today says nothing about how a rule set would have done then.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from models import SignalMute, db, utcnow
from review_rules.context import ScoringContext
from review_rules.engine import RuleOutput
from review_rules.relief import ENTITY_COLUMNS, MUTE_COLUMNS, apply_mutes, empty_mutes

_TABLE = SignalMute.__table__
# Built once: online, building a statement per call cost more than running it.
_ACTIVE = sa.select(_TABLE.c.id, _TABLE.c.signal_code, _TABLE.c.entity_kind, _TABLE.c.entity_value) \
    .where(_TABLE.c.lifted_at.is_(None), _TABLE.c.expires_at > sa.bindparam("now", type_=_TABLE.c.expires_at.type)) \
    .order_by(_TABLE.c.id)


def active_mutes(now: datetime | None = None) -> list[tuple]:
    """Every mute in force at `now` as (MUTE_COLUMNS) tuples: one indexed query; active mutes are few."""
    return [tuple(r) for r in db.session.connection().execute(_ACTIVE, {"now": now or utcnow()}).all()]


def mutes_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(MUTE_COLUMNS), dtype=object) if rows else empty_mutes()


def relieve(output: RuleOutput, context: ScoringContext, config: dict, now: datetime | None = None) -> RuleOutput:
    """`output` with the mutes in force applied to its target proofs (the same object when none applies)."""
    rows = active_mutes(now)
    if not rows:  # the common case online: no frame is built
        return output
    proofs = context.proofs
    wanted = ["proof_id", *(c for c in ENTITY_COLUMNS.values() if c in proofs.columns)]
    targets = proofs.loc[proofs["is_target"].fillna(False).astype(bool), wanted] if "is_target" in proofs.columns \
        else proofs[wanted]
    return apply_mutes(output, targets, mutes_frame(rows), config)
