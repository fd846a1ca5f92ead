"""Compliance cases: open one on a brand, a campaign, a worker or a ring; attach what was found;
move it along (status, owner, due date, priority); list them; read its timeline.

Closing, with its outcomes, is in case_outcomes.py; files in case_files.py. Every change writes an
audit row on the case (object type `case`), and the timeline is those rows together with the audit
rows of everything attached, so it shows what happened to the objects too (a proof reopened,
a brand's KYC changed). Services flush, never commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from app.platform.audit import record
from app.platform.i18n import _
from app.review.services.cluster import build_cluster
from models import (
    CASE_STATES,
    CASE_SUBJECTS,
    OPEN_CASE_STATES,
    AuditEvent,
    Brand,
    BrandScorecard,
    CampaignScreening,
    CaseItem,
    ComplianceCase,
    Dispute,
    DomainError,
    NotFound,
    Proof,
    ReviewDecision,
    StaffUser,
    Worker,
    db,
    utcnow,
)
from models import Campaign as CampaignModel

LOW, NORMAL, HIGH, URGENT = 1, 2, 3, 4
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}
TIMELINE_LIMIT = 500
RING_ACCOUNTS = 200  # accounts of a ring attached to its case (the cluster walk is bounded too)


class CaseError(DomainError):
    status_code = 422


def risk_rank(risk: float | None) -> int:
    """A brand's risk as a finding: its tenth (0.31 -> 3), so a jump to a higher tenth is a worse finding."""
    return int((risk or 0.0) * 10)


def get_case(case_id: int, *, lock: bool = False) -> ComplianceCase:
    query = sa.select(ComplianceCase).where(ComplianceCase.id == case_id)
    if lock:
        query = query.with_for_update()
    case = db.session.scalar(query)
    if case is None:
        raise NotFound(_("case %(id)s does not exist", id=case_id))
    return case


def _label(actor: StaffUser | None, actor_label: str) -> str:
    return actor.email if actor else actor_label


def _add_item(case: ComplianceCase, kind: str, label: str, *, ref: str | None = None, **fields) -> CaseItem:
    item = CaseItem(case_id=case.id, kind=kind, ref=ref, added_by=label, added_at=utcnow(), **fields)
    db.session.add(item)
    return item


def _has_item(case_id: int, kind: str, ref: str) -> bool:
    return db.session.scalar(sa.select(CaseItem.id).where(CaseItem.case_id == case_id, CaseItem.kind == kind,
                                                          CaseItem.ref == ref)) is not None


def _worst_screening(campaign_ids: list[str]) -> int:
    rows = db.session.scalars(sa.select(CampaignScreening.worst_severity).where(
        CampaignScreening.campaign_id.in_(campaign_ids), CampaignScreening.worst_severity.is_not(None)))
    return max((SEVERITY_RANK.get(s, 0) for s in rows), default=0)


def _subject(subject_type: str, subject_id: str) -> tuple[str | None, list[str], list[str], str]:
    """(brand whose money it holds, campaigns concerned, workers concerned, default title)."""
    if subject_type == "brand":
        brand = db.session.get(Brand, subject_id)
        if brand is None:
            raise NotFound(_("brand %(id)s does not exist", id=subject_id))
        campaigns = list(db.session.scalars(sa.select(CampaignModel.id).where(CampaignModel.brand_id == subject_id)))
        return brand.id, campaigns, [], _("Brand %(name)s", name=brand.name)
    if subject_type == "campaign":
        campaign = db.session.get(CampaignModel, subject_id)
        if campaign is None:
            raise NotFound(_("campaign %(id)s does not exist", id=subject_id))
        return campaign.brand_id, [campaign.id], [], _("Campaign %(id)s", id=campaign.id)
    if subject_type == "worker":
        if db.session.get(Worker, subject_id) is None:
            raise NotFound(_("worker %(id)s does not exist", id=subject_id))
        return None, [], [subject_id], _("Worker %(id)s", id=subject_id)
    if subject_type == "ring":
        cluster = build_cluster(subject_id)  # NotFound for an unknown proof
        workers = sorted(cluster.accounts, key=lambda w: (cluster.accounts[w].depth, w))[:RING_ACCOUNTS]
        return None, [], workers, _("Ring around proof %(id)s (%(n)s accounts)", id=subject_id, n=len(workers))
    raise CaseError(_("a case is opened on one of: %(kinds)s", kinds=", ".join(CASE_SUBJECTS)))


def open_case(subject_type: str, subject_id: str, *, actor: StaffUser | None = None, actor_label: str = "system",
              title: str | None = None, priority: int = NORMAL, owner_id: int | None = None,
              due_on: date | None = None, reason: str | None = None) -> ComplianceCase:
    """Open a case on a subject; an object already under an open case gets no second one."""
    subject_id = (subject_id or "").strip()
    # two staff (or a dispute, or a double click) opening at once: one waits, then sees the other's case
    model = {"brand": Brand, "campaign": CampaignModel, "worker": Worker, "ring": Proof}.get(subject_type)
    if model is not None:
        db.session.execute(sa.select(model.id).where(model.id == subject_id).with_for_update())
    existing = find_open_case(subject_type, subject_id)
    if existing is not None:
        raise CaseError(_("case %(id)s is already open on this %(kind)s", id=existing.id, kind=subject_type))
    brand_id, campaigns, workers, default_title = _subject(subject_type, subject_id)
    if priority not in (LOW, NORMAL, HIGH, URGENT):
        raise CaseError(_("priority must be 1 (low) to 4 (urgent)"))
    seen = {}
    if campaigns:
        seen["screening"] = _worst_screening(campaigns)
    if subject_type == "brand":
        card = db.session.get(BrandScorecard, brand_id)
        seen["risk"] = risk_rank(card.risk if card else None)
    label = _label(actor, actor_label)
    case = ComplianceCase(subject_type=subject_type, subject_id=subject_id, brand_id=brand_id,
                          title=(title or "").strip()[:200] or default_title, status="open", priority=priority,
                          owner_id=owner_id, due_on=due_on, findings_seen=seen, opened_by=label, opened_at=utcnow())
    db.session.add(case)
    db.session.flush()
    if subject_type == "campaign":
        _add_item(case, "campaign", label, ref=subject_id)
    for worker in workers:
        _add_item(case, "worker", label, ref=worker)
    if subject_type == "ring":
        _add_item(case, "proof", label, ref=subject_id)
    record("case.opened", "case", str(case.id), actor=actor, actor_label=actor_label, reason=reason,
           data={"subject": f"{subject_type}:{subject_id}", "brand_id": brand_id, "priority": priority,
                 "workers": len(workers)})
    db.session.flush()
    return case


def find_open_case(subject_type: str, subject_id: str) -> ComplianceCase | None:
    return db.session.scalar(sa.select(ComplianceCase).where(
        ComplianceCase.subject_type == subject_type, ComplianceCase.subject_id == subject_id,
        ComplianceCase.status.in_(OPEN_CASE_STATES)).order_by(ComplianceCase.id))


def _open_for_change(case_id: int) -> ComplianceCase:
    case = get_case(case_id, lock=True)
    if not case.is_open:
        raise CaseError(_("case %(id)s is closed", id=case.id))
    return case


def attach_proof(case_id: int, proof_id: str, *, actor: StaffUser | None = None, actor_label: str = "system",
                 why: str | None = None) -> CaseItem | None:
    """Attach a proof (None when it already is)."""
    case = _open_for_change(case_id)
    proof_id = (proof_id or "").strip()
    if db.session.get(Proof, proof_id) is None:
        raise NotFound(_("proof %(id)s does not exist", id=proof_id))
    if _has_item(case.id, "proof", proof_id):
        return None
    item = _add_item(case, "proof", _label(actor, actor_label), ref=proof_id, body=why)
    record("case.proof_attached", "case", str(case.id), actor=actor, actor_label=actor_label,
           data={"proof_id": proof_id, "why": why})
    db.session.flush()
    return item


def attach_decision(case_id: int, decision_id: int, *, actor: StaffUser | None = None,
                    actor_label: str = "system") -> CaseItem | None:
    case = _open_for_change(case_id)
    decision = db.session.get(ReviewDecision, decision_id)
    if decision is None:
        raise NotFound(_("review decision %(id)s does not exist", id=decision_id))
    if _has_item(case.id, "decision", str(decision_id)):
        return None
    label = _label(actor, actor_label)
    item = _add_item(case, "decision", label, ref=str(decision_id),
                     body=f"{decision.proof_id} {decision.decision} {decision.reason_code or ''}".strip())
    if not _has_item(case.id, "proof", decision.proof_id):
        _add_item(case, "proof", label, ref=decision.proof_id)
    record("case.decision_attached", "case", str(case.id), actor=actor, actor_label=actor_label,
           data={"decision_id": decision_id, "proof_id": decision.proof_id, "decision": decision.decision})
    db.session.flush()
    return item


def add_note(case_id: int, body: str, *, actor: StaffUser | None = None, actor_label: str = "system") -> CaseItem:
    case = _open_for_change(case_id)
    body = (body or "").strip()
    if not body:
        raise CaseError(_("a note needs some text"))
    item = _add_item(case, "note", _label(actor, actor_label), body=body[:10000])
    db.session.flush()
    record("case.note_added", "case", str(case.id), actor=actor, actor_label=actor_label,
           data={"item_id": item.id, "chars": len(body)})
    return item


def update_case(case_id: int, *, actor: StaffUser, status: str | None = None, owner_id: int | None = None,
                due_on: date | None = None, priority: int | None = None, reason: str | None = None,
                clear_owner: bool = False, clear_due: bool = False) -> ComplianceCase:
    """Change status (open <-> investigating; closing is `close_case`), owner, due date or priority."""
    case = _open_for_change(case_id)
    before = _facts(case)
    if status is not None:
        if status not in OPEN_CASE_STATES:
            raise CaseError(_("close a case with its outcomes, not by changing its status"))
        case.status = status
    if owner_id is not None or clear_owner:
        if owner_id is not None:
            owner = db.session.get(StaffUser, owner_id)
            if owner is None or not owner.has_role("compliance"):
                raise CaseError(_("the owner of a case must be a compliance account"))
        case.owner_id = owner_id
    if due_on is not None or clear_due:
        case.due_on = due_on
    if priority is not None:
        if priority not in (LOW, NORMAL, HIGH, URGENT):
            raise CaseError(_("priority must be 1 (low) to 4 (urgent)"))
        case.priority = priority
    after = _facts(case)
    if after != before:
        record("case.updated", "case", str(case.id), actor=actor, before=before, after=after, reason=reason)
    db.session.flush()
    return case


def _facts(case: ComplianceCase) -> dict:
    return {"status": case.status, "owner_id": case.owner_id, "priority": case.priority,
            "due_on": case.due_on.isoformat() if case.due_on else None}


def note_finding(subject_type: str, subject_id: str, *, source: str, rank: int, summary: str,
                 brand_id: str | None = None) -> list[int]:
    """A new finding on an object: each open case on it (or on its brand) whose worst finding from
    `source` was milder gets one step more priority. Returns the ids of the cases raised."""
    conditions = [sa.and_(ComplianceCase.subject_type == subject_type, ComplianceCase.subject_id == subject_id)]
    if brand_id is not None:
        conditions.append(sa.and_(ComplianceCase.subject_type == "brand", ComplianceCase.subject_id == brand_id))
    raised = []
    for case in db.session.scalars(sa.select(ComplianceCase).where(
            ComplianceCase.status.in_(OPEN_CASE_STATES), sa.or_(*conditions)).order_by(ComplianceCase.id)):
        seen = dict(case.findings_seen or {})
        if rank <= seen.get(source, 0):
            continue
        seen[source] = rank
        case.findings_seen = seen
        before = case.priority
        case.priority = min(URGENT, case.priority + 1)
        record("case.priority_raised", "case", str(case.id), actor_label="system",
               before={"priority": before}, after={"priority": case.priority},
               data={"source": source, "rank": rank, "finding": summary[:300]})
        raised.append(case.id)
    db.session.flush()
    return raised


@dataclass
class CaseRow:
    case: ComplianceCase
    owner: str | None
    items: int
    overdue: bool


@dataclass
class CasePage:
    rows: list[CaseRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def case_list(*, status: str | None = None, owner_id: int | None = None, overdue: bool = False,
              brand_id: str | None = None, page: int = 1, per_page: int = 50, today: date | None = None) -> CasePage:
    """Cases, most urgent first. `status` "active" means open or investigating."""
    today = today or utcnow().date()
    where = []
    if status == "active":
        where.append(ComplianceCase.status.in_(OPEN_CASE_STATES))
    elif status in CASE_STATES:
        where.append(ComplianceCase.status == status)
    if owner_id is not None:
        where.append(ComplianceCase.owner_id == owner_id)
    if overdue:
        where += [ComplianceCase.status.in_(OPEN_CASE_STATES), ComplianceCase.due_on < today]
    if brand_id is not None:
        where.append(ComplianceCase.brand_id == brand_id)
    page = max(page, 1)
    items = (sa.select(sa.func.count()).where(CaseItem.case_id == ComplianceCase.id).scalar_subquery())
    is_open = sa.case((ComplianceCase.status.in_(OPEN_CASE_STATES), 0), else_=1)
    rows = db.session.execute(
        sa.select(ComplianceCase, StaffUser.email, items).outerjoin(StaffUser, StaffUser.id == ComplianceCase.owner_id)
        .where(*where).order_by(is_open, ComplianceCase.priority.desc(), ComplianceCase.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(ComplianceCase).where(*where)) or 0
    return CasePage([CaseRow(c, owner, n, bool(c.is_open and c.due_on and c.due_on < today))
                     for c, owner, n in rows], total, page, per_page)


def items_of(case_id: int) -> list[CaseItem]:
    return list(db.session.scalars(sa.select(CaseItem).where(CaseItem.case_id == case_id).order_by(CaseItem.id)))


def timeline(case: ComplianceCase, limit: int = TIMELINE_LIMIT) -> list[AuditEvent]:
    """The audit events of the case and of its subject and attached objects, newest first."""
    objects: dict[str, set[str]] = {"case": {str(case.id)}}
    if case.subject_type in ("brand", "campaign", "worker"):
        objects.setdefault(case.subject_type, set()).add(case.subject_id)
    for item in items_of(case.id):
        if item.kind in ("proof", "worker", "campaign") and item.ref:
            objects.setdefault(item.kind, set()).add(item.ref)
    disputes = db.session.scalars(sa.select(Dispute.id).where(Dispute.case_id == case.id))
    objects["dispute"] = {str(d) for d in disputes}
    conditions = [sa.and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_(sorted(ids)))
                  for kind, ids in objects.items() if ids]
    return list(db.session.scalars(sa.select(AuditEvent).where(sa.or_(*conditions))
                                   .order_by(AuditEvent.id.desc()).limit(limit)))
