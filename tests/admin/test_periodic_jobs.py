"""The small periodic jobs: expired claims go back to the queue; brand scorecards refresh; both audited."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.admin.jobs import refresh_brand_scorecards, release_claims
from app.review.services.claims import try_claim
from app.review.services.queue import CLAIM_MINUTES
from models import AuditEvent, ReviewItem, db, utcnow
from tests.review.conftest import imported  # noqa: F401 - a fixture
from tests.review.helpers import put_in_queue


def _status(proof_id: str) -> tuple[str, int | None]:
    db.session.expire_all()
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == proof_id))
    return item.status, item.claimed_by


def test_expired_claims_are_released_and_live_ones_kept(imported, staff):  # noqa: F811
    imported(3)
    items = {pid: put_in_queue(pid, "review", 0.5).id for pid in ("p1", "p2", "p3")}
    ann, bob = staff("moderator", "ann@example.test"), staff("moderator", "bob@example.test")
    try_claim(items["p1"], ann, utcnow() - timedelta(minutes=CLAIM_MINUTES + 5))  # expired
    try_claim(items["p2"], bob, utcnow() - timedelta(minutes=2))  # live
    db.session.commit()
    assert release_claims() == 1
    assert _status("p1") == ("open", None) and _status("p2") == ("claimed", bob.id) and _status("p3") == ("open", None)
    (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "review.claims_expired"))
    assert event.data["item_ids"] == [items["p1"]] and event.actor_label == "scheduler"
    assert release_claims() == 0  # nothing left: no second audit row
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "review.claims_expired")) == 1


def test_the_release_job_honours_the_configured_claim_length(app, imported, staff):  # noqa: F811
    """QUEUE_CLAIM_MINUTES set to an hour: the queue lets a moderator hold a claim that long, so the
    periodic job must not hand it back after the default quarter of an hour."""
    imported(2)
    items = {pid: put_in_queue(pid, "review", 0.5).id for pid in ("p1", "p2")}
    ann = staff("moderator", "ann@example.test")
    app.config["QUEUE_CLAIM_MINUTES"] = 60
    try_claim(items["p1"], ann, utcnow() - timedelta(minutes=CLAIM_MINUTES + 5))  # live for an hour
    try_claim(items["p2"], ann, utcnow() - timedelta(minutes=65))  # expired even so
    db.session.commit()
    assert release_claims() == 1
    assert _status("p1") == ("claimed", ann.id) and _status("p2") == ("open", None)


def test_brand_scorecards_refresh_is_audited(imported):  # noqa: F811
    imported(3)
    assert refresh_brand_scorecards() >= 1
    assert db.session.scalar(sa.select(AuditEvent.actor_label).where(
        AuditEvent.action == "brands.scorecards_refreshed")) == "scheduler"
