"""Scoring jobs. The database says what is unscored, so a lost queue is refilled by `flask score`."""
from __future__ import annotations

from flask import current_app

from app.jobs.queues import SCORING, JobSpec, dispatcher, job
from app.services.scoring import score_proofs
from models import db

SCORE_BATCH = JobSpec(SCORING, timeout=30 * 60)


@job
def score_batch(proof_ids: list[str]) -> int:
    """Score one batch of proofs and commit; safe to run twice."""
    summary = score_proofs(proof_ids, batch_size=current_app.config["SCORING_BATCH_SIZE"])
    db.session.commit()
    return summary.scored


def enqueue_scoring(proof_ids: list[str]) -> list[str]:
    """Queue scoring in batches (one in-process run when there is no Redis). Commit first."""
    jobs = dispatcher()
    if not proof_ids:
        return []
    size = len(proof_ids) if jobs.synchronous else current_app.config["SCORING_BATCH_SIZE"]
    ids = []
    for start in range(0, len(proof_ids), size):
        job_id = jobs.enqueue(score_batch, proof_ids[start:start + size], spec=SCORE_BATCH)
        if job_id:
            ids.append(job_id)
    return ids
