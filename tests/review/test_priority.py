"""Queue order: risk x money at stake x age against the service level, past-due items first."""
from __future__ import annotations

import math
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.review.services import priority
from app.review.services.claims import claim_next
from app.review.services.decisions import decide
from app.review.services.queue import QueueFilters, list_page
from models import Campaign, Proof, ReviewItem, db, utcnow
from tests.review.helpers import put_in_queue

REVIEW = QueueFilters(tab="review")  # service level 24 h: tau = 24 h / ln 10


@pytest.fixture()
def rewards(imported):
    """Six proofs; odd ones in campaign c1, even ones in c2. `set_up` prices the campaigns and queues them."""
    imported(6)

    def set_up(c1_cents: int, c2_cents: int, items: dict[str, tuple[float, float]]) -> None:
        db.session.get(Campaign, "c1").reward_cents = c1_cents
        db.session.get(Campaign, "c2").reward_cents = c2_cents
        db.session.commit()
        now = utcnow()
        for proof_id, (risk, hours_ago) in items.items():
            item = put_in_queue(proof_id, "review", risk)
            item.created_at = now - timedelta(hours=hours_ago)
        db.session.commit()

    return set_up


def order(now=None) -> list[str]:  # noqa: ANN001
    return [row.proof_id for row in list_page(REVIEW, 0, now or utcnow()).rows]


def test_rich_new_item_comes_before_a_cheap_old_one(rewards):
    # p1: 0.5 x 1 yuan, waited 20 h (weight e^(20/24 ln 10) = 6.8) -> 340; p2: 0.5 x 10 yuan, new -> 500.
    rewards(100, 1000, {"p1": (0.5, 20), "p2": (0.5, 0)})
    assert order() == ["p2", "p1"]


def test_waiting_lifts_a_cheaper_item_over_a_new_one(rewards):
    # p1: 0.5 x 1 yuan after 20 h -> 340; p2: 0.5 x 3 yuan, new -> 150. Risk alone would tie them.
    rewards(100, 300, {"p1": (0.5, 20), "p2": (0.5, 0)})
    assert order() == ["p1", "p2"]


def test_money_weighs_against_risk(rewards):
    # Same arrival: p1 0.9 x 1 yuan = 0.9 against p2 0.3 x 10 yuan = 3; risk alone would take p1.
    rewards(100, 1000, {"p1": (0.9, 1), "p2": (0.3, 1)})
    assert order() == ["p2", "p1"]


def test_past_due_items_come_first_in_the_list_and_in_claim_next(rewards, staff):
    # p1 is 25 h old (past its 24 h), cheap and low risk; p2 is new, rich and risky; p3 in between.
    rewards(1, 100_000, {"p1": (0.1, 25), "p2": (1.0, 0), "p3": (0.3, 2)})
    assert order() == ["p1", "p2", "p3"]
    ann = staff("moderator")
    assert claim_next(ann, REVIEW, utcnow()).proof_id == "p1"
    db.session.commit()
    assert claim_next(staff("moderator", "bob@example.test"), REVIEW, utcnow()).proof_id == "p2"


def test_an_item_becomes_past_due_as_time_passes(rewards):
    rewards(1, 100_000, {"p1": (0.1, 20), "p2": (1.0, 0)})
    assert order() == ["p2", "p1"]
    assert order(utcnow() + timedelta(hours=5)) == ["p1", "p2"]


def test_pages_walk_both_tiers_forwards_and_back(rewards):
    rewards(100, 500, {"p1": (0.2, 30), "p2": (0.9, 26), "p3": (0.5, 1), "p4": (0.4, 3), "p5": (0.7, 0)})
    now = utcnow()
    whole = order(now)
    walked, cursor, pages = [], None, []
    while True:
        page = list_page(REVIEW, 0, now, after=cursor, limit=2)
        pages.append(page)
        walked += [r.proof_id for r in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert walked == whole and len(whole) == 5 and set(whole[:2]) == {"p1", "p2"}
    back = list_page(REVIEW, 0, now, before=pages[-1].prev_cursor, limit=2)
    assert [r.proof_id for r in back.rows] == [r.proof_id for r in pages[-2].rows]


def test_the_key_follows_risk_and_queue_changes(rewards, staff):
    rewards(100, 100, {"p1": (0.5, 1)})
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == "p1"))
    hours = priority.sla.sla_hours()
    assert item.sort_key == pytest.approx(priority.sort_key(0.5, 100, item.created_at, "review", hours))
    put_in_queue("p1", "review", 0.9)  # rescored by hand: riskier
    db.session.refresh(item)
    assert item.sort_key == pytest.approx(priority.sort_key(0.9, 100, item.created_at, "review", hours))
    decide(db.session.get(Proof, "p1"), "escalated", actor=staff("moderator"))
    db.session.commit()
    db.session.refresh(item)
    assert item.queue == "senior"
    assert item.sort_key == pytest.approx(priority.sort_key(0.9, 100, item.created_at, "senior", hours))


def test_rekey_rewrites_waiting_items_only(rewards, staff):
    rewards(100, 100, {"p1": (0.5, 1), "p2": (0.5, 1)})
    decide(db.session.get(Proof, "p2"), "approved", actor=staff("moderator"))
    db.session.execute(sa.update(ReviewItem).values(sort_key=0.0))
    assert priority.rekey() == 1
    keys = {pid: (key, arrived) for pid, key, arrived in db.session.execute(
        sa.select(ReviewItem.proof_id, ReviewItem.sort_key, ReviewItem.created_at))}
    assert keys["p2"][0] == 0.0
    assert keys["p1"][0] == pytest.approx(priority.sort_key(0.5, 100, keys["p1"][1], "review"))


def test_age_weight_is_ten_at_the_due_time():
    assert priority.age_weight(24 * 3600, "review", {"review": 24}) == pytest.approx(10.0)
    assert priority.age_weight(0, "review", {"review": 24}) == 1.0
    assert priority.value_log(5.0, 10**9) == pytest.approx(math.log(1.0) + math.log(priority.MONEY_CAP_CENTS))


def test_the_list_shows_money_and_why(client, rewards, login):
    rewards(1234, 100, {"p1": (0.5, 30), "p3": (0.5, 1)})
    login("moderator")
    page = client.get("/queue/?q=review").get_data(as_text=True)
    assert "¥12.34" in page
    assert "past due" in page and "for waiting" in page


def test_flask_review_rekey_rewrites_keys_after_a_service_level_change(app, runner, rewards):
    rewards(100, 100, {"p1": (0.5, 1)})
    app.config["REVIEW_SLA_HOURS"] = {"review": 48}
    result = runner.invoke(args=["review", "rekey"])
    assert result.exit_code == 0, result.output
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == "p1"))
    db.session.refresh(item)
    assert item.sort_key == pytest.approx(priority.sort_key(0.5, 100, item.created_at, "review", {"review": 48}))
