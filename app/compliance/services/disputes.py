"""Brand disputes: a brand says some completions it paid for are fake.

A dispute names proofs of the brand's own campaigns with a reason. It hangs on the brand's open case
(a case is opened when there is none, which also holds the brand's money until it is closed), and
each disputed proof is handled by its state:
- approved, not settled: reopened into review (the `hold` queue; audited `proof.reopened`);
- received or scored: put in the `hold` queue now rather than left to the score;
- settled: marked `clawback`: the money is gone to the worker, so compliance decides;
- waiting for review already, rejected or clawed back: unchanged.
Compliance then upholds or rejects the dispute. Upheld, every disputed proof ends rejected by a human
(a clawback for the settled ones), which is the fraud label the model trains on; rejected, the
reopened proofs stay with the moderators. Services flush, never commit.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.compliance.services.cases import CaseError, attach_proof, find_open_case, get_case, open_case
from app.money.services.clawback import claw_back
from app.money.services.holds import locked_proof, reopen_proof
from app.platform.audit import record
from app.platform.i18n import _
from app.review.services import reasons
from app.review.services.decisions import DECIDABLE, decide, ensure_item
from models import (
    Brand,
    Campaign,
    ComplianceCase,
    Dispute,
    DisputeProof,
    DomainError,
    NotFound,
    Proof,
    ProofState,
    StaffUser,
    db,
    utcnow,
)

MAX_PROOFS = 500
MIN_REASON = 5
UPHELD_REASON = "fraud_ring"


class DisputeError(DomainError):
    status_code = 422

    def __init__(self, message: str, problems: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or {}


@dataclass
class Filed:
    dispute: Dispute
    case: ComplianceCase
    case_opened: bool
    actions: dict[str, str]  # proof id -> reopened / queued / clawback / unchanged


def _check(brand_id: str, proof_ids: list, reason: str) -> list[str]:
    if db.session.get(Brand, brand_id) is None:
        raise NotFound(_("brand %(id)s does not exist", id=brand_id))
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:  # a JSON number or list is no reason
        raise DisputeError(_("reason: say why these completions are fake (at least %(n)s characters)", n=MIN_REASON))
    if not isinstance(proof_ids, list) or not proof_ids or not all(isinstance(p, str) and p.strip()
                                                                       for p in proof_ids):
        raise DisputeError(_("proof_ids: a list of proof ids (strings) is needed"))
    ids = list(dict.fromkeys(p.strip() for p in proof_ids))
    if len(ids) > MAX_PROOFS:
        raise DisputeError(_("proof_ids: at most %(n)s proofs per dispute", n=MAX_PROOFS))
    owners = dict(db.session.execute(sa.select(Proof.id, Campaign.brand_id)
                                     .join(Campaign, Campaign.id == Proof.campaign_id)
                                     .where(Proof.id.in_(ids))).all())
    # One answer for both: a brand's token must not learn which ids name another brand's proofs.
    problems = {p: _("unknown proof, or not a completion of this brand's campaigns") for p in ids
                if owners.get(p) != brand_id}
    if problems:
        raise DisputeError(_("%(n)s of the disputed proofs are unknown or not this brand's", n=len(problems)),
                           problems)
    return ids


def _pull_back(proof: Proof, dispute: Dispute, actor: StaffUser | None, label: str) -> str:
    state = proof.state
    if state == ProofState.APPROVED.value:
        reopen_proof(proof, reason=f"dispute {dispute.id}: {dispute.reason}"[:500], actor=actor, actor_label=label)
        return "reopened"
    if state in (ProofState.RECEIVED.value, ProofState.SCORED.value):
        ensure_item(proof, "hold", 1.0)
        return "queued"
    if state == ProofState.SETTLED.value:
        return "clawback"
    return "unchanged"


def file_dispute(brand_id: str, proof_ids: list, reason: str, *, source: str, actor: StaffUser | None = None,
                 actor_label: str = "system") -> Filed:
    """Record a brand's dispute, attach it to the brand's case and pull its proofs back (see module doc)."""
    ids = _check(brand_id, proof_ids, reason)
    label = actor.email if actor else actor_label
    # Concurrent disputes of one brand queue here, so they share one case instead of opening two.
    db.session.execute(sa.select(Brand.id).where(Brand.id == brand_id).with_for_update())
    case = find_open_case("brand", brand_id)
    opened = case is None
    if opened:
        case = open_case("brand", brand_id, actor=actor, actor_label=actor_label,
                         reason="opened by a dispute of the brand")  # the audit trail's words
    dispute = Dispute(brand_id=brand_id, case_id=case.id, reason=reason.strip()[:5000], source=source,
                      filed_by=label, status="open", created_at=utcnow())
    db.session.add(dispute)
    db.session.flush()
    actions = {}
    for proof_id in ids:
        proof = locked_proof(proof_id)
        state_then = proof.state
        actions[proof_id] = _pull_back(proof, dispute, actor, label)
        db.session.add(DisputeProof(dispute_id=dispute.id, proof_id=proof_id, action=actions[proof_id],
                                    state_then=state_then))
        attach_proof(case.id, proof_id, actor=actor, actor_label=actor_label, why=f"dispute {dispute.id}")
    counts = {a: sum(1 for v in actions.values() if v == a) for a in sorted(set(actions.values()))}
    record("dispute.filed", "dispute", str(dispute.id), actor=actor, actor_label=actor_label, reason=dispute.reason,
           data={"brand_id": brand_id, "case_id": case.id, "source": source, "proofs": len(ids), **counts})
    record("case.dispute_attached", "case", str(case.id), actor=actor, actor_label=actor_label,
           data={"dispute_id": dispute.id, "proofs": len(ids)})
    db.session.flush()
    return Filed(dispute, case, opened, actions)


def decide_dispute(dispute_id: int, upheld: bool, *, actor: StaffUser, note: str,
                   reason_code: str = UPHELD_REASON) -> dict[str, str]:
    """Uphold (every disputed proof rejected, settled ones clawed back) or reject a dispute."""
    if len((note or "").strip()) < MIN_REASON:
        raise DisputeError(_("say why (at least %(n)s characters)", n=MIN_REASON))
    if not reasons.usable(reason_code):
        raise DisputeError(_("reason_code: one of %(codes)s", codes=", ".join(reasons.usable_codes())))
    dispute = db.session.scalar(sa.select(Dispute).where(Dispute.id == dispute_id).with_for_update())
    if dispute is None:
        raise NotFound(_("dispute %(id)s does not exist", id=dispute_id))
    if dispute.status != "open":
        raise DisputeError(_("dispute %(id)s is already %(status)s", id=dispute_id, status=dispute.status))
    if not get_case(dispute.case_id).is_open:
        raise CaseError(_("case %(id)s is closed", id=dispute.case_id))
    results: dict[str, str] = {}
    if upheld:
        text = f"dispute {dispute.id} upheld: {note.strip()}"[:1000]
        for row in db.session.scalars(sa.select(DisputeProof).where(DisputeProof.dispute_id == dispute.id)
                                      .order_by(DisputeProof.proof_id)):
            results[row.proof_id] = _reject(row.proof_id, actor, reason_code, text)
    dispute.status = "upheld" if upheld else "rejected"
    dispute.decided_by, dispute.decided_at, dispute.decision_note = actor.email, utcnow(), note.strip()
    record(f"dispute.{dispute.status}", "dispute", str(dispute.id), actor=actor, reason=note.strip(),
           data={"case_id": dispute.case_id, "proofs": results})
    db.session.flush()
    return results


def _reject(proof_id: str, actor: StaffUser, reason_code: str, note: str) -> str:
    proof = locked_proof(proof_id)
    if proof.state == ProofState.SETTLED.value:
        claw_back(proof_id, reason_code=reason_code, note=note, actor=actor)
        return "clawed_back"
    if proof.state == ProofState.APPROVED.value:  # approved again by a moderator since: compliance overrules
        reopen_proof(proof, reason=note, actor=actor)
    if proof.state in DECIDABLE:
        decide(proof, "rejected", actor=actor, reason_code=reason_code, note=note)
        return "rejected"
    return "unchanged"


def disputes_of_case(case_id: int) -> list[tuple[Dispute, list[DisputeProof]]]:
    disputes = list(db.session.scalars(sa.select(Dispute).where(Dispute.case_id == case_id).order_by(Dispute.id)))
    proofs = list(db.session.scalars(sa.select(DisputeProof).where(
        DisputeProof.dispute_id.in_([d.id for d in disputes])).order_by(DisputeProof.proof_id))) if disputes else []
    return [(d, [p for p in proofs if p.dispute_id == d.id]) for d in disputes]


def dispute_counts() -> dict[str, tuple[int, int, int]]:
    """brand id -> (disputes, distinct disputed proofs, distinct proofs of upheld disputes)."""
    upheld = sa.case((Dispute.status == "upheld", DisputeProof.proof_id))
    rows = db.session.execute(sa.select(Dispute.brand_id, sa.func.count(sa.distinct(Dispute.id)),
                                        sa.func.count(sa.distinct(DisputeProof.proof_id)),
                                        sa.func.count(sa.distinct(upheld)))
                              .join(DisputeProof, DisputeProof.dispute_id == Dispute.id).group_by(Dispute.brand_id))
    return {brand: (n, proofs, up) for brand, n, proofs, up in rows}
