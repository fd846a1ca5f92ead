"""Bulk actions over a cluster: preview first, four eyes on the server, idempotent application."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import AuditEvent, ModerationRequest, Proof, ReviewDecision, db
from tests.review.cluster_world import ring_world


@pytest.fixture()
def ring(runner, world):  # noqa: ANN001, ANN201
    ring_world(world)
    result = runner.invoke(args=["import", str(world.write()), "--no-score"])
    assert result.exit_code == 0, result.output


def _states(*ids: str) -> dict[str, str]:
    db.session.expire_all()
    return {pid: db.session.get(Proof, pid).state for pid in ids}


def _act(client, proof_id: str, ids: list[str], decision: str = "rejected", reason: str = "fraud_ring",
         scope: str = "all", note: str = ""):  # noqa: ANN001, ANN202
    return client.post(f"/queue/proofs/{proof_id}/cluster/act", data={
        "decision": decision, "reason_code": reason, "scope": scope, "note": note, "proof_id": ids, "confirm": "1"})


def _decisions() -> int:
    """Decisions taken here (the world's imported history has one)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(ReviewDecision)
                             .where(ReviewDecision.actor_kind != "import"))


RING_PENDING = ["p1a", "p1b", "p2a", "p3a", "p3b", "p4a", "p4b", "p6a", "p6b"]


def test_cluster_page_draws_the_graph_and_lists_proofs(client, login, ring):
    login("moderator")
    page = client.get("/queue/proofs/p1a/cluster")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('class="account') == 5 and 'class="account seed"' in html  # one circle per account
    assert 'value="p2a"' in html and 'value="p2b"' not in html  # only waiting proofs can be ticked
    assert "Same device fingerprint" in html
    assert client.get("/queue/proofs/nope/cluster").status_code == 404


def test_preview_states_what_the_action_touches_and_changes_nothing(client, login, ring):
    login("moderator")
    page = client.post("/queue/proofs/p1a/cluster/preview", data={
        "decision": "rejected", "reason_code": "fraud_ring", "scope": "all", "preview": "1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "9 proofs of 5 workers, ¥35.00 of rewards." in html
    assert "rejects a whole ring of 5 accounts" in html
    assert _decisions() == 0
    refused = client.post("/queue/proofs/p1a/cluster/preview", data={
        "decision": "rejected", "reason_code": "", "scope": "all", "preview": "1"})
    assert refused.status_code == 422 and "needs one reason code" in refused.get_data(as_text=True)


def test_rejecting_a_whole_ring_waits_for_a_second_senior(client, login, auth, staff, ring):
    login("senior_moderator", "first@example.test")
    _act(client, "p1a", RING_PENDING)
    asked = db.session.scalar(sa.select(ModerationRequest))
    assert asked.status == "pending" and asked.preview == {"proofs": 9, "workers": 5, "cents": 3500, "skipped": 0}
    assert set(_states(*RING_PENDING).values()) == {"received"}  # nothing happened yet

    own = client.post(f"/queue/requests/{asked.id}", data={"approve": "1"})
    assert own.status_code == 303
    db.session.refresh(asked)
    assert asked.status == "pending"  # the requester cannot be the second pair of eyes

    auth.logout()
    login("moderator")
    assert client.post(f"/queue/requests/{asked.id}", data={"approve": "1"}).status_code == 403
    auth.logout()
    second = login("senior_moderator", "second@example.test")
    listed = client.get("/queue/requests").get_data(as_text=True)
    assert f'id="approve-{asked.id}"' in listed and "9 proofs of 5 workers" in listed
    client.post(f"/queue/requests/{asked.id}", data={"approve": "1", "note": "ring confirmed"})
    db.session.refresh(asked)
    assert (asked.status, asked.reviewed_by, asked.result) == ("applied", second.id,
                                                                {"decided": 9, "skipped": 0, "claimed": 0})
    assert set(_states(*RING_PENDING).values()) == {"rejected"}
    keys = set(db.session.scalars(sa.select(ReviewDecision.idempotency_key)
                                  .where(ReviewDecision.actor_kind == "human")))
    assert keys == {f"bulk:{asked.id}:{pid}" for pid in RING_PENDING}
    actions = [e.action for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "moderation_request").order_by(AuditEvent.id))]
    assert actions == ["moderation.requested", "moderation.approved"]

    again = client.post(f"/queue/requests/{asked.id}", data={"approve": "1"})
    assert again.status_code == 303  # already applied: refused, and nothing is decided twice
    assert _decisions() == 9


def test_a_small_selection_applies_at_once_and_skips_what_was_decided(client, login, ring):
    user = login("moderator")
    _act(client, "p1a", ["p1a", "p4b"], decision="approved", scope="selected")
    asked = db.session.scalar(sa.select(ModerationRequest))
    assert (asked.status, asked.four_eyes, asked.result["decided"]) == ("applied", None, 2)
    assert _states("p1a", "p4b", "p1b") == {"p1a": "approved", "p4b": "approved", "p1b": "received"}
    decision = db.session.scalar(sa.select(ReviewDecision).where(ReviewDecision.proof_id == "p1a"))
    assert decision.actor_id == user.id and decision.note == f"bulk #{asked.id}"
    _act(client, "p1a", ["p1a", "p4b"], decision="approved", scope="selected")  # a retried post
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModerationRequest)) == 1
    assert _decisions() == 2


def test_money_over_the_limit_needs_four_eyes(app, client, login, ring):
    app.config["FOUR_EYES_MAX_CENTS"] = 700
    login("moderator")
    _act(client, "p1a", ["p1a", "p1b"], decision="approved", scope="selected")
    asked = db.session.scalar(sa.select(ModerationRequest))
    assert asked.status == "pending" and "¥8.00" in asked.four_eyes
    assert _states("p1a", "p1b") == {"p1a": "received", "p1b": "received"}


def test_a_proof_claimed_by_someone_else_is_left_to_them(client, login, staff, ring):
    from app.review.services.claims import try_claim
    from models import utcnow
    from tests.review.helpers import put_in_queue

    put_in_queue("p1a", "hold", 0.9)
    other = staff("moderator", "other@example.test")
    item_id = db.session.scalar(sa.text("SELECT id FROM review_items WHERE proof_id = 'p1a'"))
    assert try_claim(item_id, other, utcnow())
    db.session.commit()
    login("moderator")
    _act(client, "p1a", ["p1a", "p1b"], decision="escalated", scope="selected")
    asked = db.session.scalar(sa.select(ModerationRequest))
    assert asked.result == {"decided": 1, "skipped": 0, "claimed": 1}
    assert db.session.scalar(sa.select(ReviewDecision.proof_id).where(ReviewDecision.actor_kind == "human")) == "p1b"



def test_a_senior_who_escalated_a_proof_cannot_decide_it_in_bulk(client, login, ring):
    """Four eyes: the escalator is skipped in a bulk action, as claims.assert_may_decide refuses them directly."""
    from tests.review.helpers import put_in_queue

    put_in_queue("p1a", "hold", 0.9)
    db.session.commit()
    login("senior_moderator")
    _act(client, "p1a", ["p1a"], decision="escalated", scope="selected")
    assert db.session.scalar(sa.text("SELECT queue FROM review_items WHERE proof_id = 'p1a'")) == "senior"
    _act(client, "p1a", ["p1a", "p1b"], decision="approved", scope="selected")
    asked = db.session.scalars(sa.select(ModerationRequest).order_by(ModerationRequest.id.desc())).first()
    assert asked.result == {"decided": 1, "skipped": 1, "claimed": 0}
    assert _states("p1a", "p1b") == {"p1a": "in_review", "p1b": "approved"}


def test_ticking_every_proof_of_a_ring_is_rejecting_the_whole_ring(client, login, ring):
    """The server reads the ring from what the action reaches, not from the form's scope field."""
    login("moderator")
    _act(client, "p1a", RING_PENDING, decision="rejected", scope="selected")
    asked = db.session.scalar(sa.select(ModerationRequest))
    assert asked.status == "pending" and "whole ring" in asked.four_eyes
    assert set(_states(*RING_PENDING).values()) == {"received"}
    _act(client, "p1a", RING_PENDING[:2], decision="rejected", scope="all")  # "all" but two proofs: not the ring
    latest = db.session.scalars(sa.select(ModerationRequest).order_by(ModerationRequest.id.desc())).first()
    assert latest.status == "applied" and latest.four_eyes is None


def test_ticking_a_whole_ring_in_the_queue_list_needs_four_eyes_too(client, login, ring):
    """The list has no cluster in its form: the server walks the ticked accounts' clusters itself."""
    login("moderator")
    form = {"decision": "rejected", "reason_code": "fraud_ring", "scope": "selected", "proof_id": RING_PENDING,
            "back": "/queue/?q=review"}
    preview = client.post("/queue/bulk/preview", data={**form, "preview": "1"}).get_data(as_text=True)
    assert "rejects a whole ring of 5 accounts" in preview
    client.post("/queue/bulk/act", data={**form, "confirm": "1"})
    asked = db.session.scalar(sa.select(ModerationRequest))
    assert asked.status == "pending" and "whole ring" in asked.four_eyes and asked.payload["whole_ring"]
    assert set(_states(*RING_PENDING).values()) == {"received"}
    client.post("/queue/bulk/act", data={**form, "proof_id": RING_PENDING[:2], "confirm": "1"})  # part of it
    latest = db.session.scalars(sa.select(ModerationRequest).order_by(ModerationRequest.id.desc())).first()
    assert latest.status == "applied" and latest.four_eyes is None
