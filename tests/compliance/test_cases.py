"""Cases: opening, attaching, priority raised by worse findings, money held while open, outcomes on close."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.compliance.services import case_outcomes, cases
from app.compliance.services.case_files import attach_file, file_path, safe_filename
from app.compliance.services.cases import CaseError
from app.money.jobs import run_settlement
from app.money.services import funding, payouts
from app.money.services.verify import verify
from app.platform.audit import verify_chain
from models import AuditEvent, Brand, BrandScorecard, Campaign, CaseItem, db
from tests.money import helpers as h


@pytest.fixture()
def officer(staff):  # noqa: ANN001, ANN201
    return staff("compliance")


def _approved(*pids: str, worker: str = "w1", campaign: str = "c1") -> None:
    for pid in pids:
        h.proof(pid, campaign=campaign, worker=worker)
        h.approve(pid)
    db.session.commit()


def test_an_open_brand_case_holds_settlement_until_closed_and_the_ledger_stays_balanced(app, officer):
    h.world()
    _approved("p1", "p2")
    case = cases.open_case("brand", "b1", actor=officer)
    db.session.commit()
    totals, _refunded = run_settlement()
    assert totals.proofs == 0 and h.state("p1") == "approved"
    assert h.balance("brand_escrow:b1:c1") == 100_000
    from app.money.services.settlement import waiting
    from models import utcnow
    assert waiting(utcnow(), 0)["held by a compliance case"] == 2
    case_outcomes.close_case(case.id, [], actor=officer, reason="nothing found after all")
    db.session.commit()
    totals, _refunded = run_settlement()
    assert totals.proofs == 2 and h.state("p1") == "settled"
    assert h.balance("brand_escrow:b1:c1") == 100_000 - 200
    assert verify().ok


def test_a_campaign_case_holds_only_that_campaign(app, officer):
    h.world(campaigns={"c1": {}, "c2": {}})
    _approved("p1", campaign="c1")
    _approved("p2", campaign="c2", worker="w2")
    cases.open_case("campaign", "c1", actor=officer)
    db.session.commit()
    run_settlement()
    assert h.state("p1") == "approved" and h.state("p2") == "settled"


def test_an_open_case_holds_the_refund_of_a_closed_campaign_until_closed(app, officer):
    h.world()
    case = cases.open_case("brand", "b1", actor=officer)
    db.session.commit()
    assert funding.close_campaign("c1", actor_label="test") == 0  # escrow stays while the case is open
    db.session.commit()
    assert h.balance("brand_escrow:b1:c1") == 100_000
    case_outcomes.close_case(case.id, [], actor=officer, reason="closed, brand is fine")
    db.session.commit()
    _totals, refunded = run_settlement()  # the settlement run sweeps closed campaigns
    assert refunded == 100_000 and h.balance("brand_refunds:b1") == 100_000
    assert verify().ok


def test_a_worker_case_holds_the_workers_payouts(app, officer):
    h.world(campaigns={"c1": {"reward_cents": 2000}})
    _approved("p1", worker="w1")
    _approved("p2", worker="w2")
    run_settlement()
    cases.open_case("worker", "w1", actor=officer)
    db.session.commit()
    result = payouts.create_batch(minimum=1000, new_account_days=0)
    db.session.commit()
    assert result.held["open compliance case"] == 1
    assert {p.worker_id for p in payouts.exportable()} == {"w2"}
    assert verify().ok


def test_one_open_case_per_subject_and_unknown_subjects_are_refused(app, officer):
    h.world()
    cases.open_case("brand", "b1", actor=officer)
    with pytest.raises(CaseError):
        cases.open_case("brand", "b1", actor=officer)
    from models import NotFound
    with pytest.raises(NotFound):
        cases.open_case("campaign", "nope", actor=officer)
    with pytest.raises(CaseError):
        cases.open_case("planet", "x", actor=officer)


def test_a_ring_case_attaches_the_linked_accounts_and_holds_their_payouts(app, officer):
    h.world()
    for pid, worker in (("p1", "w1"), ("p2", "w2")):
        row = h.proof(pid, worker=worker)
        row.device_fp_hash = "shared-device"
    db.session.commit()
    case = cases.open_case("ring", "p1", actor=officer)
    db.session.commit()
    workers = {i.ref for i in cases.items_of(case.id) if i.kind == "worker"}
    assert workers == {"w1", "w2"}
    assert "proof" in {i.kind for i in cases.items_of(case.id)}


def test_attachments_and_timeline(app, officer, tmp_path):
    h.world()
    _approved("p1")
    case = cases.open_case("brand", "b1", actor=officer, reason="ring suspected")
    assert cases.attach_proof(case.id, "p1", actor=officer, why="same device") is not None
    assert cases.attach_proof(case.id, "p1", actor=officer) is None  # once
    decision_id = db.session.scalar(sa.text("SELECT id FROM review_decisions WHERE proof_id = 'p1'"))
    cases.attach_decision(case.id, decision_id, actor=officer)
    cases.add_note(case.id, "called the brand", actor=officer)
    item = attach_file(case.id, io.BytesIO(b"%PDF-1.4 evidence"), "../../etc/报告 (1).pdf", instance_dir=tmp_path,
                       actor=officer)
    db.session.commit()
    assert item.filename == "报告 (1).pdf"
    assert "/" not in item.filename and ".." not in item.filename
    path, _item = file_path(case.id, item.id, tmp_path)
    assert path.read_bytes() == b"%PDF-1.4 evidence" and path.parent == tmp_path / "case_files" / str(case.id)
    kinds = [i.kind for i in cases.items_of(case.id)]
    assert kinds.count("proof") == 1 and {"decision", "note", "file"} <= set(kinds)
    actions = [e.action for e in cases.timeline(case)]
    assert {"case.opened", "case.proof_attached", "case.note_added", "case.file_attached"} <= set(actions)
    assert "proof.approved" in actions  # what happened to an attached object is on the timeline too
    assert verify_chain().ok


def test_file_limits_and_names(app, officer, tmp_path):
    h.world()
    case = cases.open_case("brand", "b1", actor=officer)
    with pytest.raises(CaseError):
        attach_file(case.id, io.BytesIO(b"x" * 11), "big.bin", instance_dir=tmp_path, actor=officer, max_bytes=10)
    with pytest.raises(CaseError):
        attach_file(case.id, io.BytesIO(b""), "empty.txt", instance_dir=tmp_path, actor=officer)
    assert safe_filename("..\\..\\a.txt") == "a.txt"
    assert safe_filename("...") == "file"
    assert safe_filename("<script>.html") == "script_.html"


def test_update_status_owner_due_and_priority_are_audited(app, officer, staff):
    h.world()
    moderator = staff("moderator")
    case = cases.open_case("brand", "b1", actor=officer)
    cases.update_case(case.id, actor=officer, status="investigating", owner_id=officer.id, priority=4)
    with pytest.raises(CaseError):
        cases.update_case(case.id, actor=officer, owner_id=moderator.id)
    with pytest.raises(CaseError):
        cases.update_case(case.id, actor=officer, status="closed")
    db.session.commit()
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "case.updated"))
    assert event.before["status"] == "open" and event.after == {"status": "investigating", "owner_id": officer.id,
                                                                 "priority": 4, "due_on": None}


def test_a_worse_screening_finding_raises_the_priority_once(app, officer):
    h.world()
    case = cases.open_case("campaign", "c1", actor=officer)
    assert cases.note_finding("campaign", "c1", source="screening", rank=2, summary="x medium") == [case.id]
    assert cases.note_finding("campaign", "c1", source="screening", rank=2, summary="again") == []
    assert cases.note_finding("campaign", "c1", source="screening", rank=3, summary="high") == [case.id]
    assert case.priority == 4


def test_screening_a_campaign_with_findings_raises_its_brand_case(app, officer):
    from app.compliance.services.screening import edit_brief

    h.world()
    case = cases.open_case("brand", "b1", actor=officer)
    db.session.commit()
    edit_brief("c1", "好评后联系客服领红包，评论请用我们提供的文案", actor=officer)
    db.session.commit()
    assert case.priority == 3
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "case.priority_raised")) == 1


def test_a_risk_jump_on_refresh_raises_the_brand_case(app, officer, monkeypatch):
    from app.compliance.services import scorecard

    h.world()
    case = cases.open_case("brand", "b1", actor=officer)  # no scorecard yet: risk seen 0
    db.session.commit()
    monkeypatch.setattr(scorecard, "risk_of", lambda shares: 0.42)
    scorecard.refresh_scorecards()
    db.session.commit()
    assert db.session.get(BrandScorecard, "b1").risk == 0.42
    assert case.priority == 3 and case.findings_seen["risk"] == 4
    scorecard.refresh_scorecards()  # the same risk again: no further raise
    assert case.priority == 3


def test_close_with_outcomes_suspends_refunds_and_keeps_money_balanced(app, officer):
    h.world(campaigns={"c1": {}, "c2": {}})
    _approved("p1", worker="w1")
    run_settlement()  # p1 settled before the case
    _approved("p2", worker="w2")  # honest, waiting: held by the case
    case = cases.open_case("brand", "b1", actor=officer)
    cases.attach_proof(case.id, "p1", actor=officer, why="fake")
    funding.close_campaign("c2", actor_label="test")
    db.session.commit()
    with pytest.raises(CaseError):
        case_outcomes.close_case(case.id, [("warning", "")], actor=officer, reason="done with it")
    case_outcomes.close_case(case.id, [("warning", "first and last warning"),
                                       ("suspend_campaigns", "bought comments"),
                                       ("suspend_brand", "colluded with a ring"),
                                       ("refund", "the fake completion is refunded"),
                                       ("referral", "sent to the market regulator")],
                             actor=officer, reason="collusion proven")
    db.session.commit()
    assert case.status == "closed" and case.closed_by == officer.email
    assert h.state("p1") == "clawed_back"
    assert db.session.get(Brand, "b1").kyc_status == "suspended"
    assert db.session.get(Campaign, "c1").status == "draft"
    refund = next(o for o in case_outcomes.outcomes_of(case.id) if o.kind == "refund")
    assert refund.result["escrow_cents"] == 100 and refund.result["refunded"] == {"c2": 100_000}
    assert h.balance("brand_refunds:b1") == 100_000
    run_settlement()  # the case is closed: the honest proof settles now
    assert h.state("p2") == "settled"
    assert verify().ok and verify_chain().ok
    with pytest.raises(CaseError):
        cases.add_note(case.id, "too late", actor=officer)


def test_a_suspended_brand_runs_no_campaign_until_restored(app, officer):
    from app.money.services.funding import FundingError

    h.world(campaigns={"c1": {}, "c2": {}})
    case = cases.open_case("brand", "b1", actor=officer)
    db.session.commit()
    case_outcomes.close_case(case.id, [("suspend_brand", "colluded with a ring")], actor=officer,
                             reason="collusion proven")
    db.session.commit()
    assert {db.session.get(Campaign, c).status for c in ("c1", "c2")} == {"draft"}
    [outcome] = case_outcomes.outcomes_of(case.id)
    assert outcome.result["campaigns"] == ["c1", "c2"]
    with pytest.raises(FundingError, match="b1 is suspended"):
        funding.activate_campaign("c1", actor_label="test")
    db.session.rollback()
    assert db.session.get(Campaign, "c1").status == "draft"


def test_case_list_filters_and_pages(app, officer):
    from datetime import date

    h.world(campaigns={"c1": {}, "c2": {}, "c3": {}})
    late = cases.open_case("campaign", "c1", actor=officer, due_on=date(2026, 1, 1), owner_id=officer.id)
    cases.open_case("campaign", "c2", actor=officer, priority=4)
    done = cases.open_case("campaign", "c3", actor=officer)
    case_outcomes.close_case(done.id, [], actor=officer, reason="nothing there")
    db.session.commit()
    assert cases.case_list(status="active").total == 2
    assert [r.case.id for r in cases.case_list(overdue=True, today=date(2026, 6, 1)).rows] == [late.id]
    assert [r.case.id for r in cases.case_list(owner_id=officer.id).rows] == [late.id]
    assert cases.case_list(status="closed").rows[0].case.id == done.id
    page = cases.case_list(per_page=2, page=2)
    assert page.total == 3 and page.pages == 2 and len(page.rows) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseItem)) == 3
