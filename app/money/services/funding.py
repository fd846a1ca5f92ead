"""Campaign money: funding escrow, admission of completions against budget and cap, refunds.

A campaign's budget moves from its brand into escrow when it goes live (`fund:<campaign>`); a
campaign loaded by `flask import` counts as funded at once. A proof holds a claim on one reward
from intake until it settles or is rejected ("live" proofs); intake refuses a proof when the
live ones already use the cap or the budget. A rejected proof's claim ends with the rejection, so
its reward is free for another completion; once a campaign is closed, what is neither spent nor
claimed goes back to the brand (`refund:<campaign>`, later sweeps `refund:<campaign>:<n>`).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from app.compliance.services.case_holds import campaign_is_held
from app.money.services import ledger
from app.platform.audit import record
from app.platform.bulk import existing_keys
from app.platform.i18n import _
from app.platform.sql import among, per_dialect
from models import Brand, Campaign, DomainError, EntryKind, LedgerEntry, Proof, ProofState, StaffUser, db

BARRED_KYC = ("suspended", "rejected")  # a brand compliance stopped: none of its campaigns goes live
# Proof states that no longer hold a claim on the campaign's budget.
RELEASED_STATES = (ProofState.REJECTED.value, ProofState.CLAWED_BACK.value)
# Proof states whose reward must stay in escrow until they settle or are rejected.
OPEN_STATES = (ProofState.RECEIVED.value, ProofState.SCORED.value, ProofState.IN_REVIEW.value,
               ProofState.APPROVED.value)
Storer = Callable[[list[tuple[int, dict]], object, str], None]


class FundingError(DomainError):
    status_code = 409


@dataclass
class Capacity:
    """How many more completions a campaign can take, and why not when it is none."""

    campaign_id: str
    status: str
    live: int
    reward_cents: int
    budget_cents: int
    max_completions: int | None

    @property
    def budget_slots(self) -> int:
        return self.budget_cents // self.reward_cents - self.live

    @property
    def slots(self) -> int:
        if self.status != "active":
            return 0
        cap_slots = self.budget_slots if self.max_completions is None else self.max_completions - self.live
        return max(0, min(cap_slots, self.budget_slots))

    def refusal(self) -> str:
        """The reason a further proof is refused, in words an operator can act on."""
        if self.status != "active":
            return f"campaign {self.campaign_id} is {self.status}, not taking completions"
        if self.max_completions is not None and self.max_completions - self.live <= self.budget_slots:
            return f"campaign {self.campaign_id} is full (max_completions {self.max_completions} reached)"
        return (f"campaign {self.campaign_id} is out of budget ({self.budget_cents} cents pays "
                f"{self.budget_cents // self.reward_cents} completions of {self.reward_cents} cents)")


def capacity(campaign_ids: set[str] | list[str], *, lock: bool = False,
             needed: Mapping[str, int] | None = None) -> dict[str, Capacity]:
    """Capacity of each known campaign; `lock` holds the campaign rows (PostgreSQL) until commit.

    `needed`: how many new proofs the caller wants to place in each campaign. A campaign whose
    stored proofs of any state (`proofs_received`, which bounds the live ones from above) leave room
    for them is not counted: its `live` is then that bound, exact only where it decides a refusal."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return {}
    campaigns_query, live_query = _capacity_queries(lock)
    campaigns = db.session.execute(campaigns_query, {"ids": ids}).all()
    bounded = {c.id: c.proofs_received for c in campaigns
               if needed is not None and c.proofs_received + needed.get(c.id, 0) <= _allowed(c)}
    to_count = [c.id for c in campaigns if c.id not in bounded]
    live = dict(db.session.execute(live_query, {"ids": to_count}).all()) if to_count else {}
    live.update(bounded)
    return {c.id: Capacity(c.id, c.status, live.get(c.id, 0), c.reward_cents, c.budget_cents, c.max_completions)
            for c in campaigns}


def _allowed(campaign) -> int:  # noqa: ANN001 - a row of _capacity_queries
    """Completions the campaign may hold at once: its budget's rewards, within its cap."""
    slots = campaign.budget_cents // campaign.reward_cents
    return slots if campaign.max_completions is None else min(slots, campaign.max_completions)


@per_dialect
def _capacity_queries(dialect: str, lock: bool) -> tuple[sa.Select, sa.Select]:
    campaigns = sa.select(Campaign.id, Campaign.status, Campaign.reward_cents, Campaign.budget_cents,
                          Campaign.max_completions, Campaign.proofs_received,
                          ).where(among(Campaign.id, "ids", dialect)).order_by(Campaign.id)
    if lock and dialect == "postgresql":
        campaigns = campaigns.with_for_update()
    live = sa.select(Proof.campaign_id, sa.func.count()).where(
        among(Proof.campaign_id, "ids", dialect), Proof.state.not_in(RELEASED_STATES)).group_by(Proof.campaign_id)
    return campaigns, live


def refused_admissions(rows: list[dict], *, lock: bool = True, stored: set[str] | None = None,
                       limits: dict[str, Capacity] | None = None) -> dict[int, str]:
    """{position: why} for the new proofs among `rows` that their campaign cannot take (field campaign_id).

    Proofs already stored and proofs of unknown campaigns are never refused here (the caller
    reports unknown campaigns); new proofs take the free slots of their campaign in the order given.
    `lock` holds the campaign rows until commit (PostgreSQL), so concurrent intakes cannot overshoot.
    `stored`: the ids among `rows` already stored, and `limits`: the `capacity` of (at least) their
    campaigns, when the caller has read them (and locked them, if it should).
    """
    if stored is None:
        stored = existing_keys(Proof.__table__, "id", [r["id"] for r in rows])
    fresh: dict[str, list[int]] = defaultdict(list)
    for position, row in enumerate(rows):
        if row["id"] not in stored:
            fresh[row["campaign_id"]].append(position)
    if limits is None:
        limits = capacity(set(fresh), lock=lock, needed={c: len(positions) for c, positions in fresh.items()})
    refused: dict[int, str] = {}
    for campaign_id, positions in fresh.items():
        limit = limits.get(campaign_id)
        if limit is not None:
            refused.update((position, limit.refusal()) for position in positions[limit.slots:])
    return refused


def admit_proofs(rows: list[dict], *, lock: bool = True) -> tuple[list[dict], dict[int, str]]:
    """Split parsed proofs into admitted ones and refusals {position: "campaign_id: why"}."""
    refused = refused_admissions(rows, lock=lock)
    return ([row for i, row in enumerate(rows) if i not in refused],
            {i: f"campaign_id: {why}" for i, why in refused.items()})


def capacity_screen(store: Storer) -> Storer:
    """Wrap an import storer so proofs beyond a campaign's budget or cap are reported, not stored."""

    def screened(batch: list[tuple[int, dict]], report, filename: str) -> None:  # noqa: ANN001 - FileReport
        admitted, refused = admit_proofs([row for _, row in batch], lock=False)
        for position, problem in sorted(refused.items()):
            report.errors.append(f"{filename}:{batch[position][0]}: {problem}")
        kept = [item for i, item in enumerate(batch) if i not in refused]
        store(kept, report, filename)

    return screened


def defer_received_count() -> None:
    """Until the transaction ends, proofs it inserts are not added to campaigns.proofs_received as
    they go (PostgreSQL; models/proof.py): call `add_deferred_received` with them before committing.
    Meanwhile intake does not see them, as it would not see them in a count either."""
    if db.session.connection().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL workbench.defer_received_count = 'on'"))


def add_deferred_received(proof_ids: list[str]) -> None:
    """Add the deferred proofs to their campaigns' count, the campaigns locked in id order at once (as
    intake locks them), and count further inserts as they go again."""
    if db.session.connection().dialect.name != "postgresql":
        return
    db.session.execute(sa.text("SET LOCAL workbench.defer_received_count = 'off'"))
    added: dict[str, int] = defaultdict(int)
    for start in range(0, len(proof_ids), 10_000):
        for campaign_id, n in db.session.execute(sa.select(Proof.campaign_id, sa.func.count()).where(
                Proof.id.in_(proof_ids[start:start + 10_000])).group_by(Proof.campaign_id)):
            added[campaign_id] += n
    if added:
        campaigns = Campaign.__table__
        db.session.execute(sa.select(campaigns.c.id).where(campaigns.c.id.in_(sorted(added)))
                           .order_by(campaigns.c.id).with_for_update())
        db.session.execute(campaigns.update().where(campaigns.c.id == sa.bindparam("campaign")).values(
            proofs_received=campaigns.c.proofs_received + sa.bindparam("added")),
            [{"campaign": c, "added": n} for c, n in sorted(added.items())])


def _fund_drafts(campaigns: list) -> list[ledger.Draft]:
    specs = [s for c in campaigns for s in (ledger.brand_funding(c.brand_id), ledger.brand_escrow(c.brand_id, c.id))]
    ids = ledger.ensure_accounts(specs)
    return [ledger.Draft(
        key=f"fund:{c.id}", kind=EntryKind.FUND.value, campaign_id=c.id, brand_id=c.brand_id,
        legs={ids[ledger.brand_funding(c.brand_id).code]: -c.budget_cents,
              ids[ledger.brand_escrow(c.brand_id, c.id).code]: c.budget_cents},
        memo=f"budget of campaign {c.id}") for c in campaigns if c.budget_cents > 0]


def fund_campaigns(campaign_ids: list[str], *, actor_label: str = "system") -> int:
    """Post `fund:<campaign>` for each active campaign not funded yet; returns cents moved to escrow."""
    total = 0
    for start in range(0, len(campaign_ids), 5000):
        chunk = campaign_ids[start:start + 5000]
        campaigns = db.session.execute(sa.select(Campaign.id, Campaign.brand_id, Campaign.budget_cents).where(
            Campaign.id.in_(chunk), Campaign.status == "active")).all()
        posted = ledger.post(_fund_drafts(campaigns))
        if posted:
            moved = sum(max(d.legs.values()) for d in posted)
            total += moved
            record("ledger.fund", "campaign", f"{len(posted)} campaigns", actor_label=actor_label,
                   data={"campaign_ids": [d.campaign_id for d in posted], "cents": moved})
    return total


def fund_imported_campaigns(campaign_ids: list[str]) -> int:
    """The import hook: campaigns loaded from a world directory are funded by their brand in full."""
    return fund_campaigns(list(campaign_ids), actor_label="import")


def unfunded_campaign_ids() -> list[str]:
    """Active campaigns with no `fund:` entry (loaded before the ledger existed)."""
    funded = sa.select(LedgerEntry.campaign_id).where(LedgerEntry.kind == EntryKind.FUND.value)
    return list(db.session.scalars(sa.select(Campaign.id).where(
        Campaign.status == "active", Campaign.id.not_in(funded)).order_by(Campaign.id)))


def _locked_campaign(campaign_id: str) -> Campaign:
    return ledger.locked(Campaign, campaign_id, "campaign")


def activate_campaign(campaign_id: str, *, actor: StaffUser | None = None, actor_label: str = "system") -> int:
    """draft -> active, moving the budget into escrow; returns the cents funded."""
    campaign = _locked_campaign(campaign_id)
    if campaign.status == "closed":
        raise FundingError(f"campaign {campaign_id} is closed; a closed campaign cannot go live again")
    kyc = db.session.scalar(sa.select(Brand.kyc_status).where(Brand.id == campaign.brand_id))
    if kyc in BARRED_KYC:
        raise FundingError(_("brand %(brand)s is %(kyc)s: its campaigns cannot go live until compliance restores it",
                             brand=campaign.brand_id, kyc=kyc))
    if campaign.status == "active" and campaign_id not in unfunded_campaign_ids():
        raise FundingError(f"campaign {campaign_id} is already active and funded")
    campaign.status = "active"
    db.session.flush()
    moved = fund_campaigns([campaign_id], actor_label=actor.email if actor else actor_label)
    record("campaign.activated", "campaign", campaign_id, actor=actor, actor_label=actor_label,
           data={"funded_cents": moved})
    return moved


def escrow_balances(campaign_ids: list[str]) -> dict[str, int]:
    """The escrow balance held for each campaign (campaigns never funded are absent)."""
    accounts = ledger.ACCOUNTS
    return dict(db.session.execute(sa.select(accounts.c.campaign_id, accounts.c.balance).where(
        accounts.c.kind == "brand_escrow", accounts.c.campaign_id.in_(campaign_ids))).all())


def open_commitments(campaign_ids: list[str]) -> dict[str, int]:
    """Cents each campaign must keep in escrow for proofs not yet settled or rejected."""
    rows = db.session.execute(
        sa.select(Proof.campaign_id, sa.func.count() * Campaign.reward_cents)
        .join(Campaign, Campaign.id == Proof.campaign_id)
        .where(Proof.campaign_id.in_(campaign_ids), Proof.state.in_(OPEN_STATES))
        .group_by(Proof.campaign_id, Campaign.reward_cents)).all()
    return {cid: int(cents) for cid, cents in rows}


def reclaim_reward(campaign_id: str) -> None:
    """A rejected proof approved again (a reversal, an upheld appeal) claims one reward from its
    campaign's escrow again. The rejection released it: another completion may have taken the slot,
    or a closed campaign returned it to the brand. So it is refused (FundingError) unless the escrow
    still holds a reward beyond the other live proofs; approving anyway would leave one of them unpaid."""
    campaign = _locked_campaign(campaign_id)  # a second restoration waits for this one's commit
    held = escrow_balances([campaign_id]).get(campaign_id, 0)
    free = held - open_commitments([campaign_id]).get(campaign_id, 0)
    if free < campaign.reward_cents:
        raise FundingError(_("campaign %(c)s's escrow no longer holds this proof's reward (%(free)s of %(reward)s "
                             "cents free): fund the campaign again before approving it",
                             c=campaign_id, free=max(free, 0), reward=campaign.reward_cents))


def _refund(campaign: Campaign, key: str, actor_label: str) -> int:
    if campaign_is_held(campaign.id, campaign.brand_id):  # refunded by a later sweep, once the case is closed
        return 0
    held = escrow_balances([campaign.id]).get(campaign.id, 0)
    refundable = held - open_commitments([campaign.id]).get(campaign.id, 0)
    if refundable <= 0:
        return 0
    ids = ledger.ensure_accounts([ledger.brand_escrow(campaign.brand_id, campaign.id),
                                  ledger.brand_refunds(campaign.brand_id)])
    draft = ledger.Draft(key=key, kind=EntryKind.REFUND.value, campaign_id=campaign.id, brand_id=campaign.brand_id,
                         legs={ids[ledger.brand_escrow(campaign.brand_id, campaign.id).code]: -refundable,
                               ids[ledger.brand_refunds(campaign.brand_id).code]: refundable},
                         memo=f"unused escrow of campaign {campaign.id}")
    if not ledger.post([draft]):
        return 0
    record("ledger.refund", "campaign", campaign.id, actor_label=actor_label, data={"key": key, "cents": refundable})
    return refundable


def close_campaign(campaign_id: str, *, actor: StaffUser | None = None, actor_label: str = "system") -> int:
    """active/draft -> closed; refunds escrow that no live proof still needs. Returns cents refunded."""
    campaign = _locked_campaign(campaign_id)
    if campaign.status == "closed":
        raise FundingError(f"campaign {campaign_id} is already closed")
    campaign.status = "closed"
    db.session.flush()
    refunded = _refund(campaign, f"refund:{campaign_id}", actor.email if actor else actor_label)
    record("campaign.closed", "campaign", campaign_id, actor=actor, actor_label=actor_label,
           data={"refunded_cents": refunded})
    return refunded


def refund_closed_campaigns(*, actor_label: str = "settlement") -> int:
    """Return to brands what closed campaigns hold beyond their live proofs (rejections, clawbacks since)."""
    accounts = ledger.ACCOUNTS
    candidates = list(db.session.scalars(
        sa.select(Campaign.id).join(accounts, accounts.c.campaign_id == Campaign.id)
        .where(Campaign.status == "closed", accounts.c.kind == "brand_escrow", accounts.c.balance > 0)
        .order_by(Campaign.id)))
    return sum(refund_unused(campaign_id, actor_label=actor_label) for campaign_id in candidates)


def refund_unused(campaign_id: str, *, actor_label: str = "system") -> int:
    """Return to the brand what a closed campaign holds beyond its live proofs; 0 for an open campaign."""
    campaign = _locked_campaign(campaign_id)
    if campaign.status != "closed":
        return 0
    done = db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry).where(
        LedgerEntry.kind == EntryKind.REFUND.value, LedgerEntry.campaign_id == campaign_id)) or 0
    key = f"refund:{campaign_id}" if done == 0 else f"refund:{campaign_id}:{done + 1}"
    return _refund(campaign, key, actor_label)
