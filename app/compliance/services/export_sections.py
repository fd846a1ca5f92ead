"""What a regulator export of a brand holds: one section (one CSV) per kind of record.

Each section is a header and an iterator of rows, read in id order with server-side batches, so a
brand with a million proofs streams to disk instead of into memory. PII stays masked: licence and
contact as the brand file shows them, no addresses or devices of workers.

"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.compliance.services.brands import BrandFile
from models import (
    AuditEvent,
    Campaign,
    CampaignScreening,
    CaseItem,
    CaseOutcome,
    ComplianceCase,
    Dispute,
    DisputeProof,
    LedgerAccount,
    LedgerEntry,
    LedgerPosting,
    Proof,
    ReviewDecision,
    db,
)

BATCH = 5000


@dataclass
class Section:
    name: str  # file name without .csv
    header: tuple[str, ...]
    rows: Iterable[tuple[Any, ...]]


SectionProvider = Callable[[BrandFile], "Section | list[Section]"]




def _streamed(query: sa.Select) -> Iterator[sa.Row]:
    """Rows in batches, the query run only when the rows are read (an open cursor on SQLite would
    keep the job's progress updates from committing)."""
    yield from db.session.execute(query.execution_options(yield_per=BATCH, stream_results=True))


def _campaign_ids(brand_id: str) -> sa.Select:
    return sa.select(Campaign.id).where(Campaign.brand_id == brand_id)


def _proof_ids(brand_id: str) -> sa.Select:
    return sa.select(Proof.id).join(Campaign, Campaign.id == Proof.campaign_id).where(Campaign.brand_id == brand_id)


def brand_section(file: BrandFile) -> Section:
    b, card = file.brand, file.card
    header = ("id", "name", "kyc_status", "licence_masked", "contact_masked", "registered_at", "imported_at",
              "proofs", "decided", "rejected", "rejected_share", "ring_share", "exclusive_share", "risk",
              "scorecard_computed_at")
    scores = ((card.proofs, card.decided, card.rejected, card.rejected_share, card.ring_share,
               card.exclusive_share, card.risk, card.computed_at) if card else (None,) * 8)
    return Section("brand", header, [(b.id, b.name, b.kyc_status, file.licence_masked, file.contact_masked,
                                      b.created_at, b.imported_at, *scores)])


def kyc_section(file: BrandFile) -> Section:
    return Section("kyc_history", ("at", "actor", "from", "to", "reason"),
                   [(c.at, c.actor, c.before, c.after, c.reason) for c in reversed(file.kyc_history)])


def trend_section(file: BrandFile) -> Section:
    return Section("weekly_trend", ("week_start", "proofs", "rejected_share", "ring_share"),
                   [(w.start, w.proofs, round(w.rejected_share, 4), round(w.ring_share, 4)) for w in file.trend])


def campaigns_section(file: BrandFile) -> Section:
    counts = dict(db.session.execute(
        sa.select(Proof.campaign_id, sa.func.count()).where(Proof.campaign_id.in_(_campaign_ids(file.brand.id)))
        .group_by(Proof.campaign_id)).all())
    header = ("id", "room_id", "action", "status", "reward_cents", "budget_cents", "commission_rate",
              "max_completions", "starts_at", "ends_at", "proofs", "funded_cents", "spent_cents", "refunded_cents",
              "held_cents", "brief")
    rows = []
    for c in file.campaigns:
        m = file.campaign_money.get(c.id)
        money = (m.funded, m.spent, m.refunded, m.held) if m else (0, 0, 0, 0)
        rows.append((c.id, c.room_id, c.action, c.status, c.reward_cents, c.budget_cents, c.commission_rate,
                     c.max_completions, c.starts_at, c.ends_at, counts.get(c.id, 0), *money, c.brief))
    return Section("campaigns", header, rows)


def screening_section(file: BrandFile) -> Section:
    """One row per finding; a screening without findings is one row with the finding columns empty."""
    header = ("screening_id", "campaign_id", "screened_at", "rule_set_version", "trigger", "status",
              "worst_severity", "rule", "severity", "matched", "decided_by", "decided_at", "reason")

    def rows() -> Iterator[tuple]:
        query = (sa.select(CampaignScreening).where(CampaignScreening.campaign_id.in_(_campaign_ids(file.brand.id)))
                 .order_by(CampaignScreening.id))
        for s in db.session.scalars(query):
            common = (s.id, s.campaign_id, s.created_at, s.rule_set_version, s.trigger, s.status, s.worst_severity)
            tail = (s.decided_by, s.decided_at, s.reason)
            if not s.findings:
                yield (*common, None, None, None, *tail)
            for f in s.findings:
                yield (*common, f.get("code"), f.get("severity"), f.get("matched"), *tail)
    return Section("screening_findings", header, rows())


def proofs_section(file: BrandFile) -> Section:
    p = Proof
    query = (sa.select(p.id, p.campaign_id, p.worker_id, p.accepted_at, p.submitted_at, p.state, p.source)
             .where(p.campaign_id.in_(_campaign_ids(file.brand.id))).order_by(p.id))
    return Section("proofs", ("id", "campaign_id", "worker_id", "accepted_at", "submitted_at", "state", "source"),
                   _streamed(query))


def decisions_section(file: BrandFile) -> Section:
    d = ReviewDecision
    query = (sa.select(d.id, d.proof_id, Proof.campaign_id, d.decision, d.reason_code, d.note, d.actor_kind,
                       d.actor_id, d.decided_at)
             .join(Proof, Proof.id == d.proof_id).where(Proof.campaign_id.in_(_campaign_ids(file.brand.id)))
             .order_by(d.id))
    return Section("decisions", ("id", "proof_id", "campaign_id", "decision", "reason_code", "note", "actor_kind",
                                 "actor_id", "decided_at"), _streamed(query))


def ledger_section(file: BrandFile) -> Section:
    """Every leg of every entry that moved the brand's money (its funding, escrow and refund accounts)."""
    mine = sa.select(LedgerAccount.id).where(LedgerAccount.brand_id == file.brand.id)
    entries = sa.select(LedgerPosting.entry_id).where(LedgerPosting.account_id.in_(mine))
    e = LedgerEntry
    query = (sa.select(e.id, e.created_at, e.kind, e.key, e.campaign_id, e.proof_id, e.worker_id, e.memo,
                       LedgerAccount.code, LedgerAccount.kind, LedgerPosting.amount)
             .join(LedgerPosting, LedgerPosting.entry_id == e.id)
             .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
             .where(e.id.in_(entries)).order_by(e.id, LedgerAccount.code))
    return Section("ledger", ("entry_id", "created_at", "kind", "key", "campaign_id", "proof_id", "worker_id",
                              "memo", "account", "account_kind", "amount_cents"), _streamed(query))


def money_section(file: BrandFile) -> Section:
    m = file.money
    values = (m.funded, m.spent, m.refunded, m.commission, m.held, m.reserved, m.available) if m else (0,) * 7
    return Section("money_summary", ("funded_cents", "spent_cents", "refunded_cents", "commission_cents",
                                     "held_cents", "reserved_cents", "available_cents"), [values])


def audit_section(file: BrandFile) -> Section:
    """Events on the brand, its campaigns and its proofs, in chain order, with their hashes."""
    e = AuditEvent
    about = sa.or_(sa.and_(e.object_type == "brand", e.object_id == file.brand.id),
                   sa.and_(e.object_type == "campaign", e.object_id.in_(_campaign_ids(file.brand.id))),
                   sa.and_(e.object_type == "proof", e.object_id.in_(_proof_ids(file.brand.id))))
    query = (sa.select(e.id, e.at, e.actor_label, e.actor_id, e.action, e.object_type, e.object_id, e.reason,
                       e.before, e.after, e.data, e.prev_hash, e.hash).where(about).order_by(e.id))
    return Section("audit_events", ("id", "at", "actor", "actor_id", "action", "object_type", "object_id", "reason",
                                    "before", "after", "data", "prev_hash", "hash"), _streamed(query))


def _table_section(name: str, table: sa.Table, where: Any, skip: tuple[str, ...] = ()) -> Section:
    columns = [c for c in table.c if c.name not in skip]
    query = sa.select(*columns).where(where).order_by(*table.primary_key.columns)
    return Section(name, tuple(c.name for c in columns), _streamed(query))


def case_sections(file: BrandFile) -> list[Section]:
    """The brand's cases (on the brand or its campaigns), what was attached to them (files by name and
    SHA-256, not their content), their outcomes, and the disputes the brand filed with each proof named."""
    cases, items, outcomes = ComplianceCase.__table__, CaseItem.__table__, CaseOutcome.__table__
    disputes, disputed = Dispute.__table__, DisputeProof.__table__
    mine = sa.select(cases.c.id).where(cases.c.brand_id == file.brand.id)
    filed = sa.select(disputes.c.id).where(disputes.c.brand_id == file.brand.id)
    return [_table_section("cases", cases, cases.c.brand_id == file.brand.id),
            _table_section("case_items", items, items.c.case_id.in_(mine), skip=("stored_name",)),
            _table_section("case_outcomes", outcomes, outcomes.c.case_id.in_(mine)),
            _table_section("disputes", disputes, disputes.c.brand_id == file.brand.id),
            _table_section("disputed_proofs", disputed, disputed.c.dispute_id.in_(filed))]


BUILT_IN: tuple[SectionProvider, ...] = (brand_section, kyc_section, trend_section, campaigns_section,
                                         screening_section, case_sections, decisions_section, proofs_section,
                                         money_section, ledger_section, audit_section)


def sections(file: BrandFile) -> list[Section]:
    """Every section of a brand's export, in the order the manifest lists them."""
    found: list[Section] = []
    for provider in BUILT_IN:
        made = provider(file)
        found.extend(made if isinstance(made, list) else [made])
    return found
