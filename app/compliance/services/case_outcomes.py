"""Closing a case with its outcomes, each with its reason.

- warning: on the record of the subject (brand, campaign or worker), nothing else changes;
- suspend_brand: the brand's KYC moves to suspended (brands.change_kyc, so its history shows it) and
  its live campaigns go back to draft as below: a suspended brand's campaign never goes live
  (funding.activate_campaign refuses it) until compliance restores the brand;
- suspend_campaigns: the brand's live campaigns (or the case's campaign) go back to draft: no new
  completions, escrow kept for the ones already made;
- refund: the honest parties get their money back through the ledger: every settled proof attached
  to the case, but those of a dispute compliance rejected (found genuine), is clawed back (escrow
  gets the reward back, the worker's payable and the commission
  give it up), then closed campaigns concerned return their unused escrow to the brand. Honest workers'
  approved proofs were only held by the open case: they settle in the next settlement run;
- referral: handed to someone outside (a regulator, the police), on the record.

The case is closed first, in the same transaction, so the money it held is free when the outcomes
move it. Services flush, never commit.
"""
from __future__ import annotations

import sqlalchemy as sa

from app.compliance.services import brands
from app.compliance.services.cases import CaseError, get_case, items_of
from app.money.services.clawback import claw_back_many
from app.money.services.funding import refund_unused
from app.platform.audit import record
from app.platform.i18n import _
from models import (
    CASE_OUTCOMES,
    Campaign,
    CaseOutcome,
    ComplianceCase,
    Dispute,
    DisputeProof,
    Proof,
    StaffUser,
    db,
    utcnow,
)

MIN_REASON = 5


def _campaigns_of(case: ComplianceCase) -> list[str]:
    if case.subject_type == "brand":
        return list(db.session.scalars(sa.select(Campaign.id).where(Campaign.brand_id == case.subject_id)
                                       .order_by(Campaign.id)))
    if case.subject_type == "campaign":
        return [case.subject_id]
    return []


def _warning(case: ComplianceCase, reason: str, actor: StaffUser) -> dict:
    kind = case.subject_type if case.subject_type != "ring" else "case"
    target = case.subject_id if case.subject_type != "ring" else str(case.id)
    record(f"{kind}.warned", kind, target, actor=actor, reason=reason, data={"case_id": case.id})
    return {"warned": f"{kind}:{target}"}


def _suspend_brand(case: ComplianceCase, reason: str, actor: StaffUser) -> dict:
    if case.brand_id is None:
        raise CaseError(_("only a case on a brand or a campaign can suspend a brand"))
    brand = brands.get_brand(case.brand_id)
    if brand.kyc_status == "suspended":
        return {"brand": brand.id, "already": "suspended"}
    brands.change_kyc(brand.id, "suspended", reason=f"case {case.id}: {reason}",
                      actor=actor)
    ids = list(db.session.scalars(sa.select(Campaign.id).where(Campaign.brand_id == brand.id).order_by(Campaign.id)))
    return {"brand": brand.id, "kyc": "suspended", **_to_draft(ids, case, reason, actor)}


def _suspend_campaigns(case: ComplianceCase, reason: str, actor: StaffUser) -> dict:
    ids = _campaigns_of(case)
    if not ids:
        raise CaseError(_("only a case on a brand or a campaign can suspend campaigns"))
    return _to_draft(ids, case, reason, actor)


def _to_draft(ids: list[str], case: ComplianceCase, reason: str, actor: StaffUser) -> dict:
    """The live campaigns among `ids` back to draft, each audited: no new completions."""
    suspended = []
    for campaign in db.session.scalars(sa.select(Campaign).where(Campaign.id.in_(ids), Campaign.status == "active")
                                       .order_by(Campaign.id).with_for_update()):
        campaign.status = "draft"
        record("campaign.suspended", "campaign", campaign.id, actor=actor, reason=reason,
               before={"status": "active"}, after={"status": "draft"}, data={"case_id": case.id})
        suspended.append(campaign.id)
    return {"campaigns": suspended}


def _refund(case: ComplianceCase, reason: str, actor: StaffUser) -> dict:
    genuine = set(db.session.scalars(sa.select(DisputeProof.proof_id).join(Dispute).where(
        Dispute.case_id == case.id, Dispute.status == "rejected")))
    proof_ids = sorted({i.ref for i in items_of(case.id) if i.kind == "proof" and i.ref} - genuine)
    settled = list(db.session.scalars(sa.select(Proof.id).where(Proof.id.in_(proof_ids), Proof.state == "settled")))
    summary = claw_back_many(settled, reason_code="other", note=f"case {case.id}: {reason}", actor=actor)
    campaigns = set(_campaigns_of(case)) | set(db.session.scalars(
        sa.select(Proof.campaign_id).where(Proof.id.in_(settled))))
    refunded = {cid: cents for cid in sorted(campaigns)
                if (cents := refund_unused(cid, actor_label=actor.email)) > 0}
    return {"clawed_back": summary.proofs, "escrow_cents": summary.cents, "refused": summary.refused,
            "kept": sorted(genuine),
            "refunded_to_brand_cents": sum(refunded.values()), "refunded": refunded}


def _referral(case: ComplianceCase, reason: str, actor: StaffUser) -> dict:
    record("case.referred", "case", str(case.id), actor=actor, reason=reason)
    return {"referred": True}


APPLY = {"warning": _warning, "suspend_brand": _suspend_brand, "suspend_campaigns": _suspend_campaigns,
         "refund": _refund, "referral": _referral}


def close_case(case_id: int, outcomes: list[tuple[str, str]], *, actor: StaffUser, reason: str) -> ComplianceCase:
    """Close a case and apply each (outcome, reason); a case with undecided disputes stays open."""
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise CaseError(_("closing a case needs a reason of at least %(n)s characters", n=MIN_REASON))
    kinds = [kind for kind, _why in outcomes]
    unknown = [k for k in kinds if k not in CASE_OUTCOMES]
    if unknown or len(set(kinds)) != len(kinds):
        raise CaseError(_("outcomes must be distinct and among: %(kinds)s", kinds=", ".join(CASE_OUTCOMES)))
    for kind, why in outcomes:
        if len((why or "").strip()) < MIN_REASON:
            raise CaseError(_("the outcome %(kind)s needs a reason of at least %(n)s characters", kind=kind,
                              n=MIN_REASON))
    case = get_case(case_id, lock=True)
    if not case.is_open:
        raise CaseError(_("case %(id)s is closed", id=case.id))
    undecided = db.session.scalar(sa.select(sa.func.count()).select_from(Dispute).where(
        Dispute.case_id == case.id, Dispute.status == "open")) or 0
    if undecided:
        raise CaseError(_("decide the %(n)s open disputes of this case before closing it", n=undecided))
    before = case.status
    case.status, case.closed_by, case.closed_at = "closed", actor.email, utcnow()
    db.session.flush()  # the holds of this case end here, so the outcomes below may move its money
    results = []
    for kind, why in outcomes:
        result = APPLY[kind](case, why.strip(), actor)
        db.session.add(CaseOutcome(case_id=case.id, kind=kind, reason=why.strip(), result=result,
                                   decided_by=actor.email, decided_at=utcnow()))
        results.append({"kind": kind, "reason": why.strip(), **result})
    record("case.closed", "case", str(case.id), actor=actor, reason=reason, before={"status": before},
           after={"status": "closed"}, data={"outcomes": results})
    db.session.flush()
    return case


def outcomes_of(case_id: int) -> list[CaseOutcome]:
    return list(db.session.scalars(sa.select(CaseOutcome).where(CaseOutcome.case_id == case_id)
                                   .order_by(CaseOutcome.id)))
