"""The reconciler reads what is owed from the database: lost scoring and settlement jobs heal, once."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.admin.jobs import reconcile
from app.admin.services import reconcile as reconciling
from models import AuditEvent, LedgerEntry, Proof, ProofScore, ReviewItem, db, utcnow
from tests.money import helpers as h


def _imported_unscored(runner, world, proofs: int = 3, minutes_ago: int = 30) -> list[str]:  # noqa: ANN001
    """Proofs accepted `minutes_ago` whose scoring jobs were lost (imported without scoring)."""
    assert runner.invoke(args=["import", str(world.basic(proofs=proofs).write()), "--no-score"]).exit_code == 0
    db.session.execute(sa.update(Proof).values(ingested_at=utcnow() - timedelta(minutes=minutes_ago)))
    db.session.commit()
    return sorted(db.session.scalars(sa.select(Proof.id)))


def _scores() -> dict[str, object]:
    db.session.expire_all()
    return dict(db.session.execute(sa.select(ProofScore.proof_id, ProofScore.scored_at)).all())


def test_unscored_proofs_past_the_grace_period_are_scored_and_a_second_run_does_nothing(app, runner, world):
    ids = _imported_unscored(runner, world)
    assert set(db.session.scalars(sa.select(Proof.state))) == {"received"}
    assert reconcile() == "unscored 3, settleable False"
    first = _scores()
    assert sorted(first) == ids
    assert set(db.session.scalars(sa.select(Proof.state))) <= {"in_review", "approved"}
    assert reconcile() == "nothing owed"
    assert _scores() == first  # nobody was scored a second time
    events = list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "reconciler.requeued")))
    assert len(events) == 1 and events[0].data["unscored"] == 3


def test_proofs_inside_the_grace_period_are_left_to_their_own_jobs(app, runner, world):
    _imported_unscored(runner, world, minutes_ago=1)
    assert reconciling.backlog(utcnow(), 24).unscored == 0
    assert reconcile() == "nothing owed"
    assert _scores() == {}


def test_after_an_outage_the_command_takes_even_the_newest_proofs(app, runner, world):
    ids = _imported_unscored(runner, world, minutes_ago=0)
    assert "nothing owed" in runner.invoke(args=["reconcile"]).output  # inside the grace period
    result = runner.invoke(args=["reconcile", "--grace-minutes", "0"])
    assert result.exit_code == 0 and "unscored 3" in result.output and sorted(_scores()) == ids
    assert runner.invoke(args=["reconcile", "--grace-minutes", "-1"]).exit_code == 2


def test_approved_proofs_past_their_hold_settle_once(app):
    h.world()
    h.proof("p1"), h.proof("p2", worker="w2"), h.proof("p3")
    h.approve("p1")  # a human approval settles at once
    h.approve("p2", kind="system", at=utcnow() - timedelta(hours=30))  # policy approval past the 24 h hold
    h.approve("p3", kind="system", at=utcnow() - timedelta(hours=2))  # still inside the hold window
    db.session.commit()
    assert reconcile() == "unscored 0, settleable True"
    assert (h.state("p1"), h.state("p2"), h.state("p3")) == ("settled", "settled", "approved")
    assert reconcile() == "nothing owed"
    entries = list(db.session.scalars(sa.select(LedgerEntry.proof_id).where(LedgerEntry.kind == "settle")))
    assert sorted(entries) == ["p1", "p2"]
    assert h.balance("worker_payable:w1") == 85 and h.balance("worker_payable:w2") == 85


def test_the_grace_period_is_an_admin_setting(app, runner, world, staff):
    from app.admin.services import settings

    _imported_unscored(runner, world, minutes_ago=20)
    settings.change({"reconcile_grace_minutes": 60}, actor=staff("admin"))
    db.session.commit()
    assert reconcile() == "nothing owed"
    settings.change({"reconcile_grace_minutes": 10}, actor=staff("admin", "admin2@example.test"))
    db.session.commit()
    assert reconcile() == "unscored 3, settleable False"


def test_a_batch_that_fails_to_score_does_not_hold_back_the_rest(app, runner, world, monkeypatch):

    from app.admin import jobs
    from app.scoring import jobs as scoring_jobs

    _imported_unscored(runner, world, proofs=5)
    app.config["SCORING_BATCH_SIZE"] = 2
    real = scoring_jobs.score_proofs

    def flaky(ids, batch_size):  # noqa: ANN001, ANN202
        if "p3" in ids:
            raise RuntimeError("model server down")
        return real(ids, batch_size=batch_size)

    monkeypatch.setattr(scoring_jobs, "score_proofs", flaky)
    assert jobs.score_backlog() == 4  # p4 scored alone once its batch failed
    assert sorted(_scores()) == ["p1", "p2", "p4", "p5"]
    # p3, which scoring fails on by itself, waits for a person in the hold queue instead of every tick
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == "p3"))
    assert (item.queue, item.status, db.session.get(Proof, "p3").state) == ("hold", "open", "in_review")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "proof.scoring_failed"))
    assert event.object_id == "p3" and "model server down" in event.data["error"]
    assert jobs.score_backlog() == 0


def test_a_batch_that_fails_whole_is_an_outage_and_waits_for_the_next_tick(app, runner, world, monkeypatch):
    import pytest

    from app.admin import jobs
    from app.scoring import jobs as scoring_jobs

    _imported_unscored(runner, world, proofs=5)
    app.config["SCORING_BATCH_SIZE"] = 2
    real = scoring_jobs.score_proofs

    def down(ids, batch_size):  # noqa: ANN001, ANN202
        if {"p3", "p4"} & set(ids):
            raise RuntimeError("database went away")
        return real(ids, batch_size=batch_size)

    monkeypatch.setattr(scoring_jobs, "score_proofs", down)
    with pytest.raises(jobs.BacklogBatchesFailed, match="p3"):
        jobs.score_backlog()
    assert sorted(_scores()) == ["p1", "p2", "p5"]  # p3 and p4 failed alike: nobody set aside
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "proof.scoring_failed")) == 0
    monkeypatch.setattr(scoring_jobs, "score_proofs", real)
    assert jobs.score_backlog() == 2


def test_tasks_whose_job_died_end_failed_and_so_does_what_waits_on_them(app):
    from datetime import UTC, datetime

    from app.admin.services.lost_tasks import end_lost_tasks
    from models import Backtest, Task

    old = utcnow() - timedelta(minutes=10)
    tasks = {name: Task(kind="backtest", status=status, rq_job_id=f"job-{name}", created_at=old, message="backtest")
             for name, status in (("killed", "running"), ("flushed", "queued"), ("alive", "running"))}
    db.session.add_all(tasks.values())
    db.session.flush()
    test = Backtest(ruleset_version=1, since=datetime(2026, 10, 1, tzinfo=UTC), until=datetime(2026, 10, 2, tzinfo=UTC),
                    status="running", task_id=tasks["killed"].id)
    db.session.add(test)
    db.session.commit()
    states = {"job-killed": "failed", "job-flushed": None, "job-alive": "started"}
    ended = end_lost_tasks(states.get, utcnow())
    db.session.commit()
    assert ended == [tasks["killed"].id, tasks["flushed"].id]
    assert [tasks[n].status for n in ("killed", "flushed", "alive")] == ["failed", "failed", "running"]
    assert "job job-killed is failed" in tasks["killed"].message and "gone from Redis" in tasks["flushed"].message
    assert db.session.get(Backtest, test.id).status == "failed"
    assert end_lost_tasks(states.get, utcnow()) == []  # ended once
    # a job that finishes its task while the reconciler asks RQ about it keeps its "done"
    late = Task(kind="backtest", status="running", rq_job_id="job-late", created_at=old, message="backtest")
    db.session.add(late)
    db.session.commit()

    def finished_meanwhile(job_id: str) -> str:
        if job_id != "job-late":
            return "started"
        db.session.execute(sa.update(Task).where(Task.id == late.id).values(status="done"))
        return "finished"
    assert end_lost_tasks(finished_meanwhile, utcnow()) == []
    db.session.expire_all()
    assert db.session.get(Task, late.id).status == "done"


def test_the_reconciler_rescores_stale_scores_a_lost_rescore_left(app, runner, world, staff):
    from app.rules.services import versions
    from models import Task

    assert runner.invoke(args=["import", str(world.basic(proofs=3).write())]).exit_code == 0
    maker, checker = staff("operator", "maker@example.test"), staff("operator", "checker@example.test")
    draft = versions.create_draft(versions.resolve("active"), {"thresholds.hold_at_or_above": 0.8}, maker)
    versions.publish(draft, checker)  # committed, and then the process died before queueing the rescore
    db.session.commit()
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(ProofScore).where(
        ProofScore.ruleset_version == 1))
    assert waiting and reconciling.backlog(utcnow(), 24).stale
    assert reconcile().endswith("stale rescore queued")
    task = db.session.scalar(sa.select(Task).where(Task.kind == "rescore_stale"))
    assert task.status == "done" and task.message.startswith("rescored")
    assert not reconciling.backlog(utcnow(), 24).stale
    # what a finished rescore could not update (say the model was unusable) is not rescored every tick
    db.session.execute(sa.update(ProofScore).values(ruleset_version=1))
    db.session.commit()
    assert not reconciling.backlog(utcnow(), 24).stale
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 1
    # a failed rescore is retried, a few times at most
    task.status = "failed"
    db.session.commit()
    assert reconciling.backlog(utcnow(), 24).stale
    db.session.add_all([Task(kind="rescore_stale", status="failed") for _ in range(2)])
    db.session.commit()
    assert not reconciling.backlog(utcnow(), 24).stale
