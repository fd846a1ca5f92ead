"""Bulk actions on rows ticked in a queue list: preview, then apply (or four eyes over the limit)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.review.services.decisions import decide
from models import ModerationRequest, Proof, db
from tests.review.helpers import put_in_queue


def _form(*proof_ids: str, **extra: str) -> dict:
    return {"decision": "rejected", "reason_code": "fraud_bot", "scope": "selected", "proof_id": list(proof_ids),
            "back": "/queue/?q=review", **extra}


def test_ticked_rows_are_previewed_then_rejected(client, imported, login):
    imported(4)
    for pid in ("p1", "p2", "p3", "p4"):
        put_in_queue(pid, "review", 0.6)
    decide(db.session.get(Proof, "p4"), "approved", actor=None, actor_kind="system")
    db.session.commit()
    login("moderator")
    listing = client.get("/queue/?q=review").get_data(as_text=True)
    assert listing.count('class="tick" form="list-bulk"') == 3 and 'id="bulk-preview"' in listing
    preview = client.post("/queue/bulk/preview", data=_form("p1", "p2", "p4", preview="1"))
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "2 proofs of 2 workers" in text and "1 ticked proof is no longer" in text
    assert db.session.get(Proof, "p1").state == "in_review"  # a preview changes nothing
    done = client.post("/queue/bulk/act", data=_form("p1", "p2", confirm="1"))
    assert done.status_code == 302 and done.location.endswith("/queue/?q=review")
    db.session.expire_all()
    assert [db.session.get(Proof, p).state for p in ("p1", "p2", "p3")] == ["rejected", "rejected", "in_review"]
    assert db.session.scalar(sa.select(ModerationRequest.status)) == "applied"


def test_over_the_limit_waits_for_a_second_reviewer_and_back_stays_local(client, imported, login, app):
    imported(3)
    for pid in ("p1", "p2", "p3"):
        put_in_queue(pid, "review", 0.6)
    app.config["FOUR_EYES_MAX_PROOFS"] = 2
    login("moderator")
    done = client.post("/queue/bulk/act", data=_form("p1", "p2", "p3", confirm="1", back="https://evil.example/"))
    assert done.status_code == 302 and done.location.endswith("/queue/")
    assert db.session.scalar(sa.select(ModerationRequest.status)) == "pending"
    assert db.session.get(Proof, "p1").state == "in_review"
    missing_reason = client.post("/queue/bulk/preview", data=_form("p1", reason_code="", preview="1"))
    assert missing_reason.status_code == 302


@pytest.mark.parametrize("role", ["compliance", "operator"])
def test_other_roles_get_403(client, imported, login, role):
    imported(1)
    put_in_queue("p1", "review", 0.6)
    login(role)
    assert client.post("/queue/bulk/preview", data=_form("p1", preview="1")).status_code == 403
    assert client.post("/queue/bulk/act", data=_form("p1", confirm="1")).status_code == 403
    assert db.session.get(Proof, "p1").state == "in_review"
