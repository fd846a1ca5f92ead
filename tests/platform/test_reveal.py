"""A personal value is shown in clear only to a role that needs it, only with a reason, and every
reveal is in the audit trail (who, what, why; never the value)."""
from __future__ import annotations

import sqlalchemy as sa

from models import AuditEvent, db
from tests.review.helpers import put_in_queue


def _reveals() -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "pii.revealed")))


def test_a_senior_reveals_an_ip_with_a_reason_and_it_is_audited(client, login, imported):
    imported(2)
    put_in_queue("p1", "review", 0.5)
    db.session.commit()
    senior = login("senior_moderator")
    page = client.get("/queue/proofs/p1").get_data(as_text=True)
    assert "223.104.3.x" in page and "223.104.3.1<" not in page and 'id="reveal-ip"' in page
    short = client.post("/queue/proofs/p1/reveal-ip", data={"reason": "why"})
    assert short.status_code == 422 and "223.104.3.1<" not in short.get_data(as_text=True)
    assert _reveals() == []
    shown = client.post("/queue/proofs/p1/reveal-ip", data={"reason": "appeal: worker says it was a campus VPN"})
    assert 'id="revealed-ip">223.104.3.1<' in shown.get_data(as_text=True)
    (event,) = _reveals()
    assert (event.actor_id, event.object_id) == (senior.id, "p1")
    assert event.data == {"field": "proof.ip", "reason": "appeal: worker says it was a campus VPN"}
    assert "223.104.3.1" not in str(event.data)
    assert "223.104.3.1<" not in client.get("/queue/proofs/p1").get_data(as_text=True)  # masked again


def test_a_moderator_may_not_reveal(client, login, imported):
    imported(2)
    put_in_queue("p1", "review", 0.5)
    db.session.commit()
    login("moderator")
    assert 'id="reveal-ip"' not in client.get("/queue/proofs/p1").get_data(as_text=True)
    assert client.post("/queue/proofs/p1/reveal-ip", data={"reason": "just curious, really"}).status_code == 403
    assert _reveals() == []


def test_compliance_reveals_a_brand_licence_with_a_reason(client, login, imported):
    imported(2)
    login("compliance")
    assert 'id="revealed-licence"' not in client.get("/compliance/brands/b1").get_data(as_text=True)
    shown = client.post("/compliance/brands/b1/reveal-licence", data={"reason": "regulator request 2026-118"})
    assert shown.status_code == 200 and 'id="revealed-licence"' in shown.get_data(as_text=True)
    (event,) = _reveals()
    assert event.object_type == "brand" and event.data["field"] == "brand.licence"
