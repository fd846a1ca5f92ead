"""The statements behind the scoring context's lookups, built once per database dialect.

Every lookup takes its keys, windows and caps as bind parameters, so one proof scored online
pays for running its statements, not for building them. The capped lookups keep the rows
closest in time to the targets. On PostgreSQL they read, per key value, a short ordered index
scan on each side of that moment (the key and the submission time share one index), so a device
farm, a carrier NAT range or a hot campaign costs its cap in rows, not its whole window.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.platform.sql import among, per_dialect
from models import Campaign, LiveSession, Proof, ReviewDecision, Worker
from review_rules.context import PROOF_COLUMNS

P, W, C = Proof.__table__, Worker.__table__, Campaign.__table__
S, D = LiveSession.__table__, ReviewDecision.__table__


def _plain(column: sa.Column) -> sa.ColumnElement:
    """A datetime column read as plain DateTime (naive UTC), converted in bulk by pandas."""
    return sa.type_coerce(column, sa.DateTime())


# The context's worker and campaign columns, read by key and appended to the proof rows: a join
# in every history lookup lets the planner pick a scan of the whole workers table for a few rows.
WORKER_FIELDS = {"worker_created_at": _plain(W.c.created_at), "worker_region": W.c.region,
                 "worker_timezone": W.c.timezone, "worker_language": W.c.language,
                 "worker_phone_hash": W.c.phone_hash}
CAMPAIGN_FIELDS = {"brand_id": C.c.brand_id, "room_id": C.c.room_id, "action": C.c.action,
                   "min_watch_seconds": C.c.min_watch_seconds, "campaign_starts_at": _plain(C.c.starts_at),
                   "campaign_ends_at": _plain(C.c.ends_at)}
PROOF_FIELDS = [_plain(P.c[c]).label(c) if c in ("accepted_at", "started_at", "submitted_at") else P.c[c]
                for c in PROOF_COLUMNS if c in P.c and c != "is_target"]


PROOF_QUERY = sa.select(P.c.id.label("proof_id"), *[c for c in PROOF_FIELDS if c.name != "id"])
PROOF_NAMES = list(PROOF_QUERY.selected_columns.keys())
AT = {name: position for position, name in enumerate(PROOF_NAMES)}  # where each column sits in a proof row
SESSIONS_QUERY = sa.select(S.c.room_id, _plain(S.c.starts_at).label("starts_at"), _plain(S.c.ends_at).label("ends_at"))
DECISIONS_QUERY = sa.select(D.c.proof_id, P.c.worker_id, D.c.decision, _plain(D.c.decided_at).label("decided_at")) \
    .select_from(D.join(P, P.c.id == D.c.proof_id)).where(D.c.decision.in_(("approved", "rejected")))


@dataclass(frozen=True)
class Lookups:
    targets: sa.Select
    same_phone: sa.Select  # accounts on the phone numbers of the accounts :ids
    nearest: sa.CompoundSelect  # the capped lookups (accounts, shared device/file, network, campaign), one UNION ALL
    linked: sa.Select
    workers: sa.Select
    campaigns: sa.Select
    sessions: sa.Select
    decisions: sa.CompoundSelect


@per_dialect
def lookups(dialect: str) -> Lookups:
    """The lookups for the session's database (built once per dialect)."""
    return _Builder(dialect).build()


class _Builder:
    def __init__(self, dialect: str):
        self.dialect = dialect
        self.postgres = dialect == "postgresql"
        self.moment = sa.bindparam("moment", type_=P.c.submitted_at.type)

    def build(self) -> Lookups:
        among = self.among
        busy = [self.nearest([(P.c.worker_id, "accounts")], "history", "account_cap"),
                # other accounts on the fingerprints and files: the targets' own come, capped, above
                self.nearest([(P.c.device_fp_hash, "devices"), (P.c.screenshot_sha256, "files")], "history",
                             "shared_cap", also=sa.not_(among(P.c.worker_id, "accounts"))),
                # the /24 (or /48) holds the address: its proofs include every proof on the address
                self.nearest([(P.c.ip_prefix_hash, "prefixes")], "network", "network_cap"),
                self.nearest([(P.c.campaign_id, "campaigns")], "campaign", "campaign_cap")]
        return Lookups(
            targets=PROOF_QUERY.where(among(P.c.id, "ids")),
            same_phone=sa.select(W.c.id).where(
                W.c.phone_hash.in_(sa.select(W.c.phone_hash).where(among(W.c.id, "ids")).scalar_subquery())),
            nearest=sa.union_all(*(sa.select(subquery) for subquery in busy)),
            linked=self.nearest_per_account(),
            workers=sa.select(W.c.id, *WORKER_FIELDS.values()).where(among(W.c.id, "ids")),
            campaigns=sa.select(C.c.id, *CAMPAIGN_FIELDS.values()).where(among(C.c.id, "ids")),
            sessions=SESSIONS_QUERY.where(among(S.c.room_id, "rooms"), S.c.ends_at >= sa.bindparam("since"),
                                          S.c.starts_at <= sa.bindparam("until")),
            # two branches: an OR across the joined tables defeats both indexes
            decisions=sa.union_all(DECISIONS_QUERY.where(among(P.c.worker_id, "workers")),
                                   DECISIONS_QUERY.where(among(D.c.proof_id, "proofs"))),
        )

    def among(self, column: sa.Column, name: str) -> sa.ColumnElement:
        return among(column, name, self.dialect)

    def values_of(self, column: sa.Column, name: str) -> sa.TableValuedAlias:
        """The array parameter `name` as a one-column table (PostgreSQL), to run a lateral scan per value."""
        return sa.func.unnest(sa.bindparam(name, type_=postgresql.ARRAY(column.type))) \
            .table_valued("value").render_derived(name=f"{name}_value")

    def distance(self, when: sa.ColumnElement) -> sa.ColumnElement:
        if self.postgres:
            return sa.func.abs(sa.extract("epoch", when - self.moment))
        return sa.func.abs(sa.func.julianday(when) - sa.func.julianday(self.moment))

    def closest(self, rows: sa.Subquery, cap: sa.BindParameter) -> sa.Select:
        return sa.select(*(rows.c[name] for name in PROOF_NAMES)) \
            .order_by(self.distance(rows.c.submitted_at), rows.c.proof_id).limit(cap)

    def either_side(self, condition: sa.ColumnElement, span: str, cap: sa.BindParameter,
                    keys: sa.TableValuedAlias) -> list[sa.Select]:
        """The `cap` rows matching `condition` (on a value of `keys`) just before the moment and just
        after it, in time order: each side is a short ordered index scan."""
        since, until = sa.bindparam(f"{span}_from"), sa.bindparam(f"{span}_to")
        return [PROOF_QUERY.where(condition, P.c.submitted_at.between(since, self.moment))
                .order_by(P.c.submitted_at.desc(), P.c.id).limit(cap).correlate(keys),
                PROOF_QUERY.where(condition, P.c.submitted_at > self.moment, P.c.submitted_at <= until)
                .order_by(P.c.submitted_at, P.c.id).limit(cap).correlate(keys)]

    def nearest(self, keys: list[tuple[sa.Column, str]], span: str, cap_name: str,
                also: sa.ColumnElement | None = None) -> sa.Subquery:
        """The `cap` rows with any of the keys within the window `span` closest in time to the
        targets: for a fresh proof its newest history, for a rescored one both sides of it."""
        cap = sa.bindparam(cap_name, type_=sa.Integer)
        extra = [also] if also is not None else []
        if not self.postgres:
            matching = sa.and_(sa.or_(*(self.among(column, name) for column, name in keys)), *extra)
            window = P.c.submitted_at.between(sa.bindparam(f"{span}_from"), sa.bindparam(f"{span}_to"))
            return PROOF_QUERY.where(matching, window).order_by(self.distance(P.c.submitted_at), P.c.id) \
                .limit(cap).subquery()
        # Per key value, the closest rows on each side, pooled: the closest `cap` of the pool are the
        # closest `cap` overall, and no row outside it is read from the table.
        sides = []
        for column, name in keys:
            values = self.values_of(column, name)
            for side in self.either_side(sa.and_(column == values.c.value, *extra), span, cap, values):
                rows = side.lateral()
                sides.append(sa.select(*(rows.c[n] for n in PROOF_NAMES)).select_from(values.join(rows, sa.true())))
        # Rows of one key are disjoint across values and sides; two keys can share a row.
        pooled = sa.union(*sides) if len(keys) > 1 else sa.union_all(*sides)
        return self.closest(pooled.subquery(), cap).subquery()

    def nearest_per_account(self) -> sa.Select:
        """The `per_account` proofs of each of `workers` within the linked window closest in time."""
        cap = sa.bindparam("per_account", type_=sa.Integer)
        if self.postgres:  # two short index scans per account
            accounts = self.values_of(P.c.worker_id, "workers")
            pooled = sa.union_all(*self.either_side(P.c.worker_id == accounts.c.value, "linked", cap, accounts))
            rows = self.closest(pooled.subquery(), cap).lateral()
            return sa.select(*(rows.c[name] for name in PROOF_NAMES)).select_from(accounts.join(rows, sa.true()))
        nth = sa.func.row_number().over(partition_by=P.c.worker_id,
                                        order_by=(self.distance(P.c.submitted_at), P.c.id))
        window = P.c.submitted_at.between(sa.bindparam("linked_from"), sa.bindparam("linked_to"))
        ranked = PROOF_QUERY.add_columns(nth.label("nth")).where(self.among(P.c.worker_id, "workers"), window) \
            .subquery()
        return sa.select(*(ranked.c[name] for name in PROOF_NAMES)).where(ranked.c.nth <= cap)
