"""Actions on a worker: restrict, suspend, ban (four eyes), lift; the standing API; holds on arrival."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.auth.services.api_tokens import create_token
from models import AuditEvent, ModerationRequest, Proof, ReviewItem, WorkerSanction, db
from tests import factories as f
from tests.review.cluster_world import ring_world


@pytest.fixture()
def ring(runner, world):  # noqa: ANN001, ANN201
    ring_world(world)
    result = runner.invoke(args=["import", str(world.write()), "--no-score"])
    assert result.exit_code == 0, result.output


@pytest.fixture()
def headers(app) -> dict[str, str]:  # noqa: ANN001
    _, token = create_token("worker-app")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def _sanction(client, worker: str, **form: str):  # noqa: ANN001, ANN202
    data = {"kind": "restrict", "scope": "platform", "reason": "shares a device with a ring", **form}
    return client.post(f"/queue/workers/{worker}/sanctions", data=data)


def test_restrict_applies_at_once_and_the_api_reports_it(client, login, ring, headers):
    login("moderator")
    assert client.get("/api/v1/workers/w1", headers=headers).get_json()["status"] == "good"
    _sanction(client, "w1", days="7")
    standing = client.get("/api/v1/workers/w1", headers=headers).get_json()
    assert (standing["status"], standing["may_take_tasks"]) == ("restricted", False)
    assert standing["sanctions"][0]["ends_at"] is not None
    audited = db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.object_type == "worker"))
    assert audited == "worker.restrict"
    assert client.get("/api/v1/workers/w1").status_code == 401
    assert client.get("/api/v1/workers/nobody", headers=headers).status_code == 404


def test_a_campaign_scope_leaves_the_platform_open(client, login, ring, headers):
    login("moderator")
    _sanction(client, "w1", kind="suspend", scope="campaign", scope_id="c2", pending_decision="rejected",
              reason_code="fraud_ring")
    standing = client.get("/api/v1/workers/w1", headers=headers).get_json()
    assert (standing["status"], standing["may_take_tasks"]) == ("good", True)
    assert standing["sanctions"][0]["scope_id"] == "c2"
    db.session.expire_all()
    assert (db.session.get(Proof, "p1a").state, db.session.get(Proof, "p1b").state) == ("received", "rejected")


def test_a_ban_waits_for_a_second_senior_then_holds_new_proofs(client, login, auth, ring, headers):
    login("moderator")
    _sanction(client, "w1", kind="ban", pending_decision="rejected", reason_code="fraud_device_farm")
    asked = db.session.scalar(sa.select(ModerationRequest))
    assert asked.status == "pending" and db.session.scalar(sa.select(WorkerSanction)) is None
    assert client.get("/api/v1/workers/w1", headers=headers).get_json()["status"] == "good"
    auth.logout()
    login("senior_moderator")
    client.post(f"/queue/requests/{asked.id}", data={"approve": "1"})
    assert client.get("/api/v1/workers/w1", headers=headers).get_json()["status"] == "banned"
    db.session.expire_all()
    assert {db.session.get(Proof, p).state for p in ("p1a", "p1b")} == {"rejected"}

    # A new proof from the banned worker is stored, then waits for a senior whatever its score says.
    response = client.post("/api/v1/proofs", headers=headers, json=f.proof(
        id="new1", worker_id="w1", ip="223.104.9.9", screenshot_sha256="e" * 64, comment_text=None))
    assert response.status_code == 202
    other = client.post("/api/v1/proofs", headers=headers, json=f.proof(
        id="new7", worker_id="w7", ip="223.104.9.8", screenshot_sha256="d" * 64, comment_text=None))
    assert other.status_code == 202
    db.session.expire_all()
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == "new1"))
    assert (db.session.get(Proof, "new1").state, item.queue, item.status) == ("in_review", "senior", "open")
    assert db.session.scalar(sa.select(ReviewItem.queue).where(ReviewItem.proof_id == "new7")) != "senior"

    sanction = db.session.scalar(sa.select(WorkerSanction))
    page = client.post(f"/queue/workers/w1/sanctions/{sanction.id}/lift", data={"reason": "appeal upheld"})
    assert page.status_code == 302
    assert client.get("/api/v1/workers/w1", headers=headers).get_json()["status"] == "good"
    db.session.refresh(sanction)
    assert sanction.revoke_reason == "appeal upheld" and sanction.revoked_by is not None
    assert "worker.ban_lifted" in set(db.session.scalars(sa.select(AuditEvent.action)))


def test_bad_orders_are_refused_with_a_reason(client, login, ring):
    login("moderator")
    page = _sanction(client, "w1", scope="brand")
    assert page.status_code == 422 and "name the campaign or brand" in page.get_data(as_text=True)
    page = _sanction(client, "w1", pending_decision="rejected")
    assert page.status_code == 422 and "needs one reason code" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModerationRequest)) == 0
    worker_page = client.get("/queue/workers/w1").get_data(as_text=True)
    assert "No sanction so far." in worker_page


def test_the_importer_holds_new_proofs_of_banned_workers(runner, world, ring, staff):  # noqa: ANN001
    senior = staff("senior_moderator")
    db.session.add(WorkerSanction(worker_id="w1", kind="ban", scope="platform", reason="device farm",
                                  created_by=senior.id))
    db.session.add(WorkerSanction(worker_id="w7", kind="suspend", scope="platform", reason="watch",
                                  created_by=senior.id))
    db.session.commit()
    world.add("proofs", f.proof(id="imp1", worker_id="w1", ip="223.104.9.9", screenshot_sha256="e" * 64),
              f.proof(id="imp7", worker_id="w7", ip="223.104.9.8", screenshot_sha256="d" * 64))
    result = runner.invoke(args=["import", str(world.write()), "--no-score"])
    assert result.exit_code == 0, result.output
    assert "1 new proofs of banned workers held" in result.output
    db.session.expire_all()
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == "imp1"))
    assert (db.session.get(Proof, "imp1").state, item.queue, item.status) == ("in_review", "senior", "open")
    # A suspension is not a ban; the worker's earlier proofs, imported before the ban, are untouched.
    assert db.session.get(Proof, "imp7").state == "received"
    assert db.session.get(Proof, "p1a").state == "received"
    # Importing again changes nothing and holds nothing twice.
    again = runner.invoke(args=["import", str(world.write()), "--no-score"])
    assert again.exit_code == 0 and "held" not in again.output


def test_rejecting_a_workers_pending_proofs_leaves_the_senior_queue_and_others_claims_alone(client, login, ring,
                                                                                            staff):
    """A sanction decides each pending proof with the checks a decision from the queue makes: a plain
    moderator's order leaves the senior queue's proof and one another moderator is deciding."""
    from app.review.services.claims import try_claim
    from models import utcnow
    from tests.review.helpers import put_in_queue

    put_in_queue("p1a", "senior", 0.9)
    put_in_queue("p1b", "hold", 0.9)
    item = db.session.scalar(sa.select(ReviewItem.id).where(ReviewItem.proof_id == "p1b"))
    assert try_claim(item, staff("moderator", "other@example.test"), utcnow())
    db.session.commit()
    login("moderator")
    _sanction(client, "w1", pending_decision="rejected", reason_code="fraud_ring")
    asked = db.session.scalar(sa.select(ModerationRequest))
    assert (asked.result["decided"], asked.result["skipped"], asked.result["claimed"]) == (0, 1, 1)
    db.session.expire_all()
    assert {db.session.get(Proof, pid).state for pid in ("p1a", "p1b")} == {"in_review"}  # still waiting
    assert db.session.scalar(sa.select(WorkerSanction.kind)) == "restrict"  # the sanction itself is in force
