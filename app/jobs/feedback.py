"""Feedback jobs: a fraud rejection re-scores the pending proofs of every linked account at once."""
from __future__ import annotations

import logging

from flask import current_app

from app.jobs.queues import SCORING, JobSpec, dispatcher, job
from app.services.feedback import linked_pending_proofs
from app.services.scoring import score_proofs
from models import db

log = logging.getLogger(__name__)
RESCORE_LINKED = JobSpec(SCORING, timeout=30 * 60)
# Rejections for these reasons say "fraud"; a rejected but honest attempt links nobody.
FRAUD_REASONS = frozenset({"fraud_device_farm", "fraud_bot", "fraud_proxy", "fraud_ring",
                           "duplicate_screenshot", "duplicate_comment"})


@job
def rescore_linked(proof_id: str) -> int:
    """Re-score the in-review proofs of accounts linked to `proof_id`; safe to run twice."""
    ids = linked_pending_proofs(proof_id)
    if ids:
        score_proofs(ids, batch_size=current_app.config["SCORING_BATCH_SIZE"])
    db.session.commit()
    return len(ids)


def enqueue_linked_rescore(proof_id: str, reason_code: str | None = None) -> str | None:
    """Call after committing a rejection: queue the linked re-score when the reason is fraud.

    Returns the RQ job id (None when run in-process or when the reason is not fraud).
    """
    if reason_code is not None and reason_code not in FRAUD_REASONS:
        return None
    try:
        return dispatcher().enqueue(rescore_linked, proof_id, spec=RESCORE_LINKED,
                                    job_id=f"rescore-linked-{proof_id}")
    except Exception:  # noqa: BLE001 - the decision is committed; a lost re-score must not undo the answer
        db.session.rollback()
        log.exception("could not re-score the accounts linked to %s; `flask score --all` catches up", proof_id)
        return None
