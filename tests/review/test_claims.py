"""Claiming: two moderators never hold the same item; claims expire; skip and release."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.review.services.claims import claim_next, try_claim
from app.review.services.queue import CLAIM_MINUTES, QueueFilters
from models import ReviewItem, StaffUser, db, utcnow
from tests.review.helpers import put_in_queue

REVIEW = QueueFilters(tab="review")


@pytest.fixture()
def three_items(imported):
    imported(3)
    for proof_id, risk in (("p1", 0.4), ("p2", 0.9), ("p3", 0.6)):
        put_in_queue(proof_id, "review", risk)


def holder(proof_id: str) -> int | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(ReviewItem.claimed_by).where(ReviewItem.proof_id == proof_id))


def test_two_moderators_claim_different_items(three_items, staff):
    ann, bob = staff("moderator", "ann@example.test"), staff("moderator", "bob@example.test")
    now = utcnow()
    first, second = claim_next(ann, REVIEW, now), claim_next(bob, REVIEW, now)
    db.session.commit()
    assert (first.proof_id, second.proof_id) == ("p2", "p3")
    assert (holder("p2"), holder("p3"), holder("p1")) == (ann.id, bob.id, None)


def test_claim_next_returns_the_item_you_already_hold(three_items, staff):
    ann = staff("moderator")
    now = utcnow()
    assert claim_next(ann, REVIEW, now).proof_id == "p2"
    assert claim_next(ann, REVIEW, now + timedelta(minutes=1)).proof_id == "p2"


def test_the_conditional_update_refuses_a_live_claim(three_items, staff):
    """Both saw p2 as the best candidate; only the first UPDATE wins."""
    ann, bob = staff("moderator", "ann@example.test"), staff("moderator", "bob@example.test")
    item_id = db.session.scalar(sa.select(ReviewItem.id).where(ReviewItem.proof_id == "p2"))
    now = utcnow()
    assert try_claim(item_id, ann, now) is True
    assert try_claim(item_id, bob, now) is False
    assert holder("p2") == ann.id


def test_an_expired_claim_can_be_taken_over(three_items, staff):
    ann, bob = staff("moderator", "ann@example.test"), staff("moderator", "bob@example.test")
    then = utcnow()
    claim_next(ann, REVIEW, then)
    later = then + timedelta(minutes=CLAIM_MINUTES + 1)
    assert claim_next(bob, REVIEW, later).proof_id == "p2"
    assert holder("p2") == bob.id


def test_claim_respects_filters(imported, staff):
    imported(4)
    for proof_id, risk in (("p1", 0.3), ("p2", 0.9), ("p3", 0.5), ("p4", 0.8)):
        put_in_queue(proof_id, "review", risk)
    item = claim_next(staff("moderator"), QueueFilters(tab="review", campaign="c1"), utcnow())
    assert item.proof_id == "p3"  # p2 and p4 are riskier but on campaign c2


def test_claim_next_post_redirects_to_the_proof(client, three_items, login):
    login("moderator")
    response = client.post("/queue/claim-next?q=review", data={"claim": "1"})
    assert response.status_code == 302 and response.location.endswith("/queue/proofs/p2?q=review")


def test_empty_view_says_so(client, imported, login):
    imported(1)
    login("moderator")
    response = client.post("/queue/claim-next?q=hold", data={"claim": "1"}, follow_redirects=True)
    assert b"Nothing left to claim in this view." in response.data


def test_skip_releases_and_moves_on(client, three_items, login):
    user = login("moderator")
    client.post("/queue/claim-next?q=review", data={"claim": "1"})
    response = client.post("/queue/proofs/p2/release?q=review", data={"skip": "1"})
    assert response.location.endswith("/queue/proofs/p3?q=review")
    assert (holder("p2"), holder("p3")) == (None, user.id)


def test_release_needs_to_be_the_holder(client, three_items, login, staff):
    ann = staff("moderator", "ann@example.test")
    claim_next(ann, REVIEW, utcnow())
    db.session.commit()
    login("moderator", "bob@example.test")
    client.post("/queue/proofs/p2/release?q=review", data={"release": "1"})
    assert holder("p2") == ann.id


def test_parallel_claims_never_hand_out_an_item_twice(app, imported, staff):
    """Four moderators in four threads (own sessions, own connections) drain one queue."""
    imported(12)
    for i in range(1, 13):
        put_in_queue(f"p{i}", "review", 0.5)
    users = [staff("moderator", f"m{i}@example.test").id for i in range(4)]
    claimed: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    lock, start = threading.Lock(), threading.Barrier(len(users))

    def drain(user_id: int) -> None:
        with app.app_context():
            try:
                start.wait()
                while True:
                    user = db.session.get(StaffUser, user_id)
                    item = claim_next(user, REVIEW, utcnow())
                    if item is None:
                        db.session.commit()
                        return
                    item.status = "decided"  # done with it, so the next claim moves on
                    db.session.commit()
                    with lock:
                        claimed.append((user_id, item.proof_id))
            except BaseException as exc:  # surfaced below with the thread's own message
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=drain, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    proofs = [p for _, p in claimed]
    assert sorted(proofs) == sorted(f"p{i}" for i in range(1, 13))  # each exactly once
