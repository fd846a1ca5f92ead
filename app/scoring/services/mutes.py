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


def active_mutes(now: datetime | None = None) -> pd.DataFrame:
    """Every mute in force at `now` (MUTE_COLUMNS): one indexed query; the table of active ones stays small."""
    table = SignalMute.__table__
    rows = db.session.connection().execute(
        sa.select(table.c.id, table.c.signal_code, table.c.entity_kind, table.c.entity_value)
        .where(table.c.lifted_at.is_(None), table.c.expires_at > (now or utcnow()))
        .order_by(table.c.id)).all()
    if not rows:
        return empty_mutes()
    return pd.DataFrame([tuple(r) for r in rows], columns=list(MUTE_COLUMNS), dtype=object)


def relieve(output: RuleOutput, context: ScoringContext, config: dict, now: datetime | None = None) -> RuleOutput:
    """`output` with the mutes in force applied to its target proofs (the same object when none applies)."""
    mutes = active_mutes(now)
    if mutes.empty:
        return output
    proofs = context.proofs
    wanted = ["proof_id", *(c for c in ENTITY_COLUMNS.values() if c in proofs.columns)]
    targets = proofs.loc[proofs["is_target"].fillna(False).astype(bool), wanted] if "is_target" in proofs.columns \
        else proofs[wanted]
    return apply_mutes(output, targets, mutes, config)
