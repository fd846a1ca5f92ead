"""The QA sample: which decided items come back for a second person's re-check.

Every QA_SAMPLE_EVERY-th item of the auto queue (policy approvals) and every REVIEW_QA_HUMAN_EVERY-th
item decided by a moderator (approved or rejected; drawn when the decision is made and flagged
`qa_due`, so reading the sample never probes decisions row by row) waits in the auto tab until someone
other than the decider re-checks it; the qa_checks row (agreed or not) is the record the leads'
dashboard reads per moderator. Nothing here writes.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, has_app_context

from models import AuditEvent, ReviewDecision, ReviewItem

QA_SAMPLE_EVERY = 20  # one policy approval in N comes back to a human for QA
QA_HUMAN_EVERY = 10  # default of REVIEW_QA_HUMAN_EVERY: one moderator's decision in N is re-checked (0: none)
QA_CONFIRMED = "proof.qa_confirmed"  # audit action: a sampled decision re-checked and found right
QA_DISAGREED = "proof.qa_disagreed"  # audit action: a sampled moderator's decision the re-check disagreed with


def human_sample_every() -> int:
    configured = current_app.config.get("REVIEW_QA_HUMAN_EVERY") if has_app_context() else None
    return int(QA_HUMAN_EVERY if configured is None else configured)


def sampled_for_qa() -> sa.ColumnElement[bool]:
    """Decided items of the sample that nobody has re-checked yet."""
    sampled = [sa.and_(ReviewItem.queue == "auto", ReviewItem.status == "decided",
                       ReviewItem.id % QA_SAMPLE_EVERY == 0, ~qa_checked(), ~human_decided())]
    # Moderators' decisions drawn when they were made; the flag is cleared by the re-check.
    sampled.append(sa.and_(ReviewItem.qa_due, ReviewItem.status == "decided"))
    return sa.or_(*sampled)


def qa_checked() -> sa.Exists:
    # A confirmed policy approval carries this audit row (also from before checks had rows of their
    # own); one sent back has left the auto queue.
    return sa.exists().where(AuditEvent.object_type == "proof", AuditEvent.object_id == ReviewItem.proof_id,
                             AuditEvent.action == QA_CONFIRMED)


def human_decided(decisions: tuple[str, ...] | None = None) -> sa.Exists:
    query = sa.exists().where(ReviewDecision.proof_id == ReviewItem.proof_id, ReviewDecision.actor_kind == "human")
    return query.where(ReviewDecision.decision.in_(decisions)) if decisions else query
