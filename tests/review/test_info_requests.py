"""Asking the worker for more information: the proof leaves the queue, and returns when answered or due."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.services.api_tokens import create_token
from app.review.jobs import expire_info_requests
from app.review.services import info
from models import AuditEvent, InfoRequest, ReviewItem, db, utcnow
from tests.review.helpers import put_in_queue


@pytest.fixture()
def headers(app) -> dict[str, str]:  # noqa: ANN001
    _, token = create_token("worker-app")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def _item(proof_id: str) -> ReviewItem:
    db.session.expire_all()
    return db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == proof_id))


def _ask(client, proof_id: str = "p1", hours: str = "24"):  # noqa: ANN001, ANN202
    return client.post(f"/queue/proofs/{proof_id}/ask",
                       data={"question": "请上传完整的观看截图", "hours": hours})


def test_asked_proofs_wait_out_of_the_queue_until_the_worker_answers(client, imported, login, headers):
    imported(2)
    put_in_queue("p1", "review", 0.9)
    put_in_queue("p2", "review", 0.4)
    login("moderator")
    assert _ask(client).status_code == 302
    item = _item("p1")
    assert (item.status, item.claimed_by) == ("info_requested", None)
    listing = client.get("/queue/?q=review").get_data(as_text=True)
    assert "p2" in listing and "/queue/proofs/p1?" not in listing
    client.post("/queue/claim-next?q=review")
    assert _item("p2").status == "claimed"  # claim next skips the waiting proof
    page = client.get("/queue/proofs/p1").get_data(as_text=True)
    assert "请上传完整的观看截图" in page and 'id="info-waiting"' in page and 'id="decision-form"' not in page
    assert _ask(client).status_code == 302 and db.session.scalar(
        sa.select(sa.func.count()).select_from(InfoRequest)) == 1  # asked once only
    status = client.get("/api/v1/proofs/p1", headers=headers).get_json()
    assert status["info_request"]["status"] == "open" and status["info_request"]["question"] == "请上传完整的观看截图"

    answered = client.post("/api/v1/proofs/p1/info", json={"answer": "我重新看了一遍，截图已补充"}, headers=headers)
    assert answered.status_code == 201 and answered.get_json()["status"] == "answered"
    assert _item("p1").status == "open"
    assert "/queue/proofs/p1?" in client.get("/queue/?q=review").get_data(as_text=True)
    assert "我重新看了一遍" in client.get("/queue/proofs/p1").get_data(as_text=True)
    again = client.post("/api/v1/proofs/p1/info", json={"answer": "我重新看了一遍，截图已补充"}, headers=headers)
    assert again.status_code == 200
    assert client.post("/api/v1/proofs/p1/info", json={"answer": "other"}, headers=headers).status_code == 409
    actions = list(db.session.scalars(sa.select(AuditEvent.action)))
    assert "proof.info_requested" in actions and "proof.info_answered" in actions


def test_unanswered_questions_expire_back_into_the_queue(client, imported, login, runner, headers):
    imported(2)
    put_in_queue("p1", "review", 0.9)
    put_in_queue("p2", "hold", 0.9)
    login("moderator")
    _ask(client, "p1", "1")
    _ask(client, "p2", "48")
    assert expire_info_requests() == 0  # nothing due yet
    later = utcnow() + timedelta(hours=2)
    assert info.expire_due(later) == 1
    db.session.commit()
    assert (_item("p1").status, _item("p2").status) == ("open", "info_requested")
    assert _item("p1").queue == "review"
    late = client.post("/api/v1/proofs/p1/info", json={"answer": "too late"}, headers=headers)
    assert late.status_code == 409
    db.session.execute(sa.update(InfoRequest).values(due_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    result = runner.invoke(args=["review", "expire-info"])
    assert result.exit_code == 0 and "1 unanswered" in result.output
    assert _item("p2").status == "open" and _item("p2").queue == "hold"
    assert "proof.info_expired" in set(db.session.scalars(sa.select(AuditEvent.action)))
    assert "No answer by" in client.get("/queue/proofs/p1").get_data(as_text=True)


def test_a_bulk_decision_closes_the_open_question(client, imported, login, staff):
    imported(1)
    put_in_queue("p1", "review", 0.9)
    login("moderator")
    _ask(client)
    from app.review.services.decisions import decide
    from models import Proof

    decide(db.session.get(Proof, "p1"), "rejected", actor=staff("senior_moderator", "s@example.test"),
           reason_code="fraud_bot")
    db.session.commit()
    assert db.session.scalar(sa.select(InfoRequest.status)) == "closed"
    assert _item("p1").status == "decided"


def test_bad_questions_and_roles(client, imported, login, auth):
    imported(1)
    put_in_queue("p1", "review", 0.9)
    login("moderator")
    client.post("/queue/proofs/p1/ask", data={"question": "", "hours": "24"})
    client.post("/queue/proofs/p1/ask", data={"question": "why?", "hours": "9999"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InfoRequest)) == 0
    auth.logout()
    for role in ("compliance", "operator"):
        login(role)
        assert _ask(client).status_code == 403
        auth.logout()
    assert _item("p1").status == "open"
