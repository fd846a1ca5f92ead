"""QA re-checks of moderators' decisions, and each moderator's agreement with QA and with appeals."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.review.services import leads
from app.review.services.appeals import decide_appeal, file_appeal
from app.review.services.claims import confirm_qa, qa_pending, reopen_from_qa
from app.review.services.decisions import decide, ensure_item
from app.review.services.queue import QA_DISAGREED, QueueError, QueueFilters, list_page
from models import AuditEvent, Proof, QaCheck, ReviewItem, db, utcnow
from tests.money import helpers as h

AUTO = QueueFilters(tab="auto")


@pytest.fixture()
def history(app, staff):
    """Ann approved p1 and rejected p2; Bob rejected p3 and approved p4. Every decision is sampled."""
    app.config["REVIEW_QA_HUMAN_EVERY"] = 1
    ann, bob = staff("moderator", "ann@example.test"), staff("moderator", "bob@example.test")
    lead = staff("senior_moderator", "lead@example.test")
    ann.name, bob.name, lead.name = "Ann", "Bob", "Lead"
    h.world()
    for pid in ("p1", "p2", "p3", "p4"):
        ensure_item(h.proof(pid), "hold", 0.9)
    db.session.commit()
    for pid, who, decision in (("p1", ann, "approved"), ("p2", ann, "rejected"), ("p3", bob, "rejected"),
                               ("p4", bob, "approved")):
        decide(db.session.get(Proof, pid), decision, actor=who,
               reason_code="fraud_bot" if decision == "rejected" else None)
    db.session.commit()
    return ann, bob, lead


def _item(pid: str) -> ReviewItem:
    return db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == pid))


def check(pid: str, who, agree: bool) -> None:  # noqa: ANN001
    proof = db.session.get(Proof, pid)
    if agree:
        confirm_qa(_item(pid), proof, who, None)
    else:
        reopen_from_qa(_item(pid), proof, who, "the screenshot is reused", utcnow())
    db.session.commit()


def test_agreement_with_qa_per_moderator(history):
    ann, bob, lead = history
    check("p1", lead, agree=True)
    check("p2", lead, agree=False)
    check("p3", ann, agree=True)  # a colleague may re-check too
    rows = {m.name: m for m in leads.moderators(utcnow())}
    assert (rows[ann.name].qa_checked, rows[ann.name].qa_agreed, rows[ann.name].qa_agreement) == (2, 1, 0.5)
    assert (rows[bob.name].qa_checked, rows[bob.name].qa_agreed, rows[bob.name].qa_agreement) == (1, 1, 1.0)
    assert lead.name not in rows  # checking is not deciding


def test_disagreeing_with_a_moderator_records_it_and_leaves_the_decision(history):
    _ann, _bob, lead = history
    check("p2", lead, agree=False)
    assert db.session.get(Proof, "p2").state == "rejected"
    row = db.session.scalar(sa.select(QaCheck).where(QaCheck.proof_id == "p2"))
    assert (row.agreed, row.checked_by, row.note) == (False, lead.id, "the screenshot is reused")
    assert db.session.scalar(sa.select(AuditEvent.actor_id).where(AuditEvent.action == QA_DISAGREED)) == lead.id


def test_the_sample_waits_in_the_auto_tab_until_rechecked_by_someone_else(history):
    _ann, bob, lead = history
    waiting = {r.proof_id for r in list_page(AUTO, lead.id, utcnow()).rows}
    assert waiting == {"p1", "p2", "p3", "p4"}
    check("p1", lead, agree=True)
    assert {r.proof_id for r in list_page(AUTO, lead.id, utcnow()).rows} == {"p2", "p3", "p4"}
    p4 = db.session.get(Proof, "p4")
    assert not qa_pending(_item("p4"), p4, bob.id) and qa_pending(_item("p4"), p4, lead.id)
    with pytest.raises(QueueError):
        confirm_qa(_item("p4"), p4, bob, None)  # nobody re-checks their own decision
    with pytest.raises(QueueError):
        check("p1", lead, agree=True)  # checked once


@pytest.mark.parametrize("every", [0, 2])
def test_the_share_drawn_is_configurable(app, staff, every):
    app.config["REVIEW_QA_HUMAN_EVERY"] = every
    ann, lead = staff("moderator", "ann@example.test"), staff("senior_moderator", "lead@example.test")
    h.world()
    for pid in ("p1", "p2", "p3", "p4"):
        ensure_item(h.proof(pid), "hold", 0.9)
        decide(db.session.get(Proof, pid), "approved", actor=ann)
    db.session.commit()
    drawn = {r.proof_id for r in list_page(AUTO, lead.id, utcnow()).rows}
    assert drawn == {pid for pid in ("p1", "p2", "p3", "p4") if every and _item(pid).id % every == 0}
    assert len(drawn) == (2 if every else 0)


def test_appeals_per_moderator_count_appealed_and_stood(history):
    ann, bob, lead = history
    for pid, uphold in (("p2", False), ("p3", True)):
        appeal, _ = file_appeal(pid, "冤枉", utcnow())
        decide_appeal(appeal, lead, uphold=uphold, note="看过证据", now=utcnow())
    db.session.commit()
    rows = {m.name: m for m in leads.moderators(utcnow())}
    assert (rows[ann.name].appealed, rows[ann.name].stood, rows[ann.name].appeal_agreement) == (1, 1, 1.0)
    assert (rows[bob.name].appealed, rows[bob.name].stood, rows[bob.name].appeal_agreement) == (1, 0, 0.0)


def test_the_leads_table_shows_both_agreements(client, history, auth):
    ann, _bob, lead = history
    check("p1", lead, agree=True)
    check("p2", lead, agree=False)
    auth.login(lead.email)
    page = client.get("/queue/leads").get_data(as_text=True)
    ann_row = page.split(f"<td>{ann.name}</td>", 1)[1].split("</tr>", 1)[0]
    assert '<td class="num qa-checked">2</td>' in ann_row and '<td class="num qa-agreement">50%</td>' in ann_row
    assert "QA re-checks" in page and "Agreement with QA" in page


def test_the_leads_chart_draws_each_moderators_agreement_and_no_bar_without_a_check(client, history, auth):
    ann, bob, lead = history
    check("p1", lead, agree=True)
    check("p2", lead, agree=False)
    auth.login(lead.email)
    chart = client.get("/queue/leads").get_data(as_text=True).split('id="agreement-chart"', 1)[1].split("</figure>")[0]
    qa_bars = chart.count('class="agreement-qa"')
    assert qa_bars == 1 and f"{ann.name} · agreement with QA: 50% (1 / 2)" in chart
    assert f"{bob.name} · agreement with QA: nothing to compare yet" in chart  # no re-check: no bar, not 0 %
    assert chart.count('class="agreement-appeals"') == 0  # nothing appealed yet
