"""The leads' page: what waits, and how each moderator decides."""
from __future__ import annotations

import sqlalchemy as sa

from app.review.services import leads
from app.review.services.appeals import decide_appeal, file_appeal
from app.review.services.decisions import ensure_item
from app.review.services.reversal import reverse
from models import Proof, ReviewItem, db, utcnow
from tests.money import helpers as h


def test_moderator_numbers_count_decisions_appeals_and_reversals(app, staff):
    lead = staff("senior_moderator", "lead@example.test")
    h.world()
    for pid in ("p1", "p2", "p3"):
        ensure_item(h.proof(pid), "hold", 0.9)
    db.session.commit()
    h.reject("p1")
    h.reject("p2")
    h.approve("p3")
    db.session.commit()
    appeal, _ = file_appeal("p1", "家里的网络", utcnow())
    decide_appeal(appeal, lead, uphold=True, note="误判", now=utcnow())
    second, _ = file_appeal("p2", "冤枉", utcnow())
    decide_appeal(second, lead, uphold=False, note="证据充分", now=utcnow())
    reverse("p3", lead, reason_code="fraud_bot", note="bot after all", now=utcnow())
    db.session.commit()

    rows = {m.name: m for m in leads.moderators(utcnow())}
    mod = rows["Mod"]
    assert (mod.decisions, mod.rejected, mod.approved) == (3, 2, 1)
    assert (mod.appealed, mod.upheld, mod.appeal_agreement) == (2, 1, 0.5)
    assert mod.reversed == 2  # p1 through its appeal, p3 by the lead
    assert mod.per_hour == 3.0 and mod.median_decide_seconds is not None
    assert rows[lead.name].decisions == 2  # the lead's own: the approval of the upheld appeal and the reversal
    assert sum(leads.decisions_by_hour(utcnow())) == 5


def test_the_page_shows_waiting_queues_and_is_for_seniors(app, client, login, auth):
    h.world()
    ensure_item(h.proof("p1"), "hold", 0.9)
    db.session.commit()
    assert db.session.scalar(sa.select(ReviewItem.queue)) == "hold"
    login("moderator")
    assert client.get("/queue/leads").status_code == 403
    auth.logout()
    login("senior_moderator")
    page = client.get("/queue/leads").get_data(as_text=True)
    assert 'id="queues-now"' in page and "<svg" in page
    hold_row = page.split("<td>Hold</td>", 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">1</td>' in hold_row
    assert db.session.get(Proof, "p1").state == "in_review"


def test_trends_rebuild_depth_over_time_and_count_breaches(app, staff):
    from datetime import timedelta

    from app.review.services import trends

    h.world()
    now = utcnow()
    for pid in ("p1", "p2", "p3"):
        ensure_item(h.proof(pid), "hold", 0.9)
    db.session.commit()
    # p1 arrived 10 h ago (the hold queue promises 4 h), p2 5 h ago; p3 just now.
    db.session.execute(sa.update(ReviewItem).where(ReviewItem.proof_id == "p1")
                       .values(created_at=now - timedelta(hours=10), updated_at=now - timedelta(hours=10)))
    db.session.execute(sa.update(ReviewItem).where(ReviewItem.proof_id == "p2")
                       .values(created_at=now - timedelta(hours=5), updated_at=now - timedelta(hours=5)))
    db.session.commit()
    h.reject("p2")  # decided now: 5 h after arrival, past the hold queue's 4 h
    db.session.commit()
    found = trends.trends(utcnow(), "48h")
    hold = found.depth["hold"]
    assert len(hold) == 48 and hold[-1] == 2  # p1 and p3 wait now
    assert hold[-6] == 2 and hold[-12] == 0  # at the end of the hour 5 h ago: p1 and p2; 11 h ago: none
    assert sum(found.arrivals) == 3 and sum(found.decided) == 1
    assert sum(found.breached_decisions) == 1 and found.breached_now["hold"] == 1
    assert found.median_decide_seconds is not None and found.median_decide_seconds >= 5 * 3600 - 60


def test_the_queue_list_counts_down_to_the_due_time(app, client, login):
    from datetime import timedelta

    h.world()
    ensure_item(h.proof("p1"), "hold", 0.9)
    ensure_item(h.proof("p2"), "hold", 0.5)
    db.session.commit()
    db.session.execute(sa.update(ReviewItem).where(ReviewItem.proof_id == "p1")
                       .values(created_at=utcnow() - timedelta(hours=6)))
    db.session.commit()
    login("moderator")
    page = client.get("/queue/?q=hold").get_data(as_text=True)
    rows = {tag.split('"', 1)[0]: tag for tag in page.split('<tr data-href="/queue/proofs/')[1:]}
    assert "breached" in rows["p1?q=hold"].split(">", 1)[0] and "breached" not in rows["p2?q=hold"].split(">", 1)[0]
    assert "2 h over" in page and "in 3 h" in page  # p1: due 4 h after arrival, 6 h ago; p2: due in about 4 h


def test_the_leads_page_shows_trends_for_both_windows(app, client, login):
    h.world()
    ensure_item(h.proof("p1"), "review", 0.5)
    db.session.commit()
    login("senior_moderator")
    for window in ("48h", "14d"):
        page = client.get(f"/queue/leads?window={window}").get_data(as_text=True)
        assert 'id="depth-chart"' in page and "<polyline" in page and 'id="median-claim"' in page
