"""Appeals: filed by the worker client through the API, upheld or denied by another senior moderator."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.auth.services.api_tokens import create_token
from app.money.jobs import run_settlement
from models import Appeal, AuditEvent, StaffUser, db
from tests.money import helpers as h


@pytest.fixture()
def headers(app) -> dict[str, str]:  # noqa: ANN001
    _, token = create_token("worker-app")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture()
def rejected(app):  # noqa: ANN001, ANN201
    """p1 rejected by the moderator mod@example.test, p2 approved."""
    h.world()
    h.proof("p1")
    h.reject("p1", "fraud_proxy")
    h.proof("p2")
    h.approve("p2")
    db.session.commit()


def _appeal(client, headers, proof_id: str, message: str = "我用的是家里的宽带，不是代理"):  # noqa: ANN001, ANN202
    return client.post(f"/api/v1/proofs/{proof_id}/appeal", json={"message": message}, headers=headers)


def test_the_worker_client_files_an_appeal_once(client, headers, rejected):
    first = _appeal(client, headers, "p1")
    assert first.status_code == 201 and first.get_json()["status"] == "open"
    assert _appeal(client, headers, "p1").status_code == 200  # a retried request
    assert _appeal(client, headers, "p1", "another story").status_code == 409
    assert _appeal(client, headers, "p2").status_code == 409  # approved: nothing to appeal
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appeal)) == 1


def test_an_upheld_appeal_approves_and_pays(client, login, headers, rejected):
    _appeal(client, headers, "p1")
    login("senior_moderator")
    page = client.get("/queue/appeals").get_data(as_text=True)
    assert "我用的是家里的宽带" in page and "fraud_proxy" in page
    appeal = db.session.scalar(sa.select(Appeal))
    client.post(f"/queue/appeals/{appeal.id}", data={"uphold": "1", "note": "家庭宽带，误判"})
    db.session.refresh(appeal)
    assert appeal.status == "upheld" and h.state("p1") == "approved"
    run_settlement()
    assert h.state("p1") == "settled" and h.balance("worker_payable:w1") == 85 * 2  # p1 and p2
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"appeal.filed", "appeal.upheld", "proof.reversed"} <= actions


def test_a_denied_appeal_leaves_the_rejection(client, login, headers, rejected):
    _appeal(client, headers, "p1")
    login("senior_moderator")
    appeal = db.session.scalar(sa.select(Appeal))
    client.post(f"/queue/appeals/{appeal.id}", data={"deny": "1", "note": "datacenter address, twice"})
    db.session.refresh(appeal)
    assert appeal.status == "denied" and h.state("p1") == "rejected"
    client.post(f"/queue/appeals/{appeal.id}", data={"uphold": "1", "note": "changed my mind"})
    db.session.refresh(appeal)
    assert appeal.status == "denied" and h.state("p1") == "rejected"  # decided once


def test_the_author_of_the_rejection_cannot_decide_its_appeal(client, auth, headers, rejected):
    from app.review.services.appeals import decide_appeal
    from app.review.services.claims import NotAllowed
    from models import utcnow

    _appeal(client, headers, "p1")
    author = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == "mod@example.test"))
    author.role = "senior_moderator"
    appeal = db.session.scalar(sa.select(Appeal))
    with pytest.raises(NotAllowed, match="four eyes"):
        decide_appeal(appeal, author, uphold=True, note="my own call", now=utcnow())
    assert appeal.status == "open" and h.state("p1") == "rejected"
