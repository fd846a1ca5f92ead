"""Jobs three ways: the function directly, the in-process dispatch, and (integration/) a real worker."""
from __future__ import annotations

import sqlalchemy as sa

from app.platform.jobs import JobDispatcher, JobSpec
from app.scoring.jobs import enqueue_scoring, score_batch
from models import Proof, ProofScore, db


def _imported(runner, world) -> list[str]:  # noqa: ANN001
    runner.invoke(args=["import", str(world.basic(proofs=3).write()), "--no-score"])
    return sorted(db.session.scalars(sa.select(Proof.id)))


def test_score_batch_called_directly_scores_and_is_idempotent(runner, world):
    ids = _imported(runner, world)
    assert score_batch(ids) == 3
    first = {s.proof_id: s.route for s in db.session.scalars(sa.select(ProofScore))}
    assert score_batch(ids) == 3  # a retried job rescoring the same batch changes no state
    assert {s.proof_id: s.route for s in db.session.scalars(sa.select(ProofScore))} == first
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProofScore)) == 3


def test_without_redis_enqueue_runs_in_process(app, runner, world):
    ids = _imported(runner, world)
    assert app.extensions["jobs"].synchronous
    assert enqueue_scoring(ids) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProofScore)) == 3


def test_dispatcher_runs_synchronously_without_a_url():
    calls = []
    JobDispatcher(None).enqueue(calls.append, 42, spec=JobSpec("default", timeout=5))
    assert calls == [42]


def test_worker_command_refuses_without_redis(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output


def test_full_context_scoring_matches_per_batch_scoring(runner, world):
    ids = _imported(runner, world)
    from app.scoring.services.scoring import score_proofs

    score_proofs(ids, batch_size=2)
    per_batch = stored_scores()
    summary = score_proofs(ids, batch_size=2, full_context_from=1)
    db.session.expire_all()
    whole = stored_scores()
    assert summary.scored == 3 and whole == per_batch


def stored_scores() -> dict[str, tuple]:
    return {s.proof_id: (s.route, s.reasons, round(s.risk_score, 6)) for s in db.session.scalars(sa.select(ProofScore))}
