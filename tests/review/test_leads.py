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
    hold_row = page.split("<td>hold</td>", 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">1</td>' in hold_row
    assert db.session.get(Proof, "p1").state == "in_review"
