"""Two operators publishing different drafts at the same moment on PostgreSQL: one active version after."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.rules.services import versions
from models import AuditEvent, RuleSet, StaffUser, db
from tests.together import run_together

ROUNDS = 4


def test_concurrent_publications_leave_one_active_version(app, staff):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time by construction; the lock matters on PostgreSQL")
    maker = staff("operator", "maker@example.test")
    checkers = [staff("operator", f"checker{n}@example.test").id for n in range(2)]
    for round_ in range(ROUNDS):
        drafts = [versions.create_draft(versions.resolve("active"),
                                        {"thresholds.hold_at_or_above": 0.8 + 0.01 * (2 * round_ + n)}, maker).version
                  for n in range(2)]
        db.session.commit()
        assert not run_together(app, *(
            lambda draft=draft, checker=checker: versions.publish(versions.resolve(draft),
                                                                  db.session.get(StaffUser, checker))
            for draft, checker in zip(drafts, checkers, strict=True)))
        db.session.expire_all()
        active = db.session.scalars(sa.select(RuleSet.version).where(RuleSet.status == "active")).all()
        assert len(active) == 1 and active[0] in drafts, active
        # the second publication names the first as the version it replaced: nothing retired unaudited
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "ruleset.published")
                                    .order_by(AuditEvent.id.desc()).limit(2)).all()
        assert events[0].data["previous_active"] == int(events[1].object_id)
