"""`flask scheduler`: one table of periodic jobs, on RQ's CronScheduler, surviving a Redis outage."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from redis.exceptions import ConnectionError as RedisDown

from app.admin.schedule import Periodic, cron_scheduler, run_in_process, run_on_rq, schedule
from app.platform.jobs import JobDispatcher, JobSpec

SPEC = JobSpec("default", timeout=60)


def test_the_table_holds_every_periodic_job_with_its_queue():
    names = {entry.name: entry for entry in schedule()}
    assert set(names) == {"app.admin.jobs.reconcile", "app.money.jobs.settle_approved", "app.admin.jobs.release_claims",
                          "app.admin.jobs.purge_expired_personal_data", "app.admin.jobs.refresh_brand_scorecards",
                          "app.review.jobs.expire_info_requests"}
    assert names["app.money.jobs.settle_approved"].spec.queue == "settlement"
    assert all(bool(e.every_seconds) != bool(e.cron) for e in names.values())


def test_rq_cron_scheduler_gets_every_job_with_its_timeout():
    scheduler = cron_scheduler(JobDispatcher("redis://127.0.0.1:1/0"), schedule())  # no connection is made here
    registered = {job.func_name: job for job in scheduler.get_jobs()}
    assert set(registered) == {entry.name for entry in schedule()}
    assert registered["app.admin.jobs.reconcile"].interval == 120
    assert registered["app.admin.jobs.purge_expired_personal_data"].cron == "15 3 * * *"
    assert registered["app.admin.jobs.purge_expired_personal_data"].job_options["job_timeout"] == 6 * 3600


def test_list_prints_the_schedule_and_exits(runner):
    result = runner.invoke(args=["scheduler", "--list"])
    assert result.exit_code == 0, result.output
    assert "app.admin.jobs.reconcile [default] every 120 s" in result.output
    assert "15 3 * * *" in result.output


def test_in_process_runs_due_jobs_and_a_failing_job_does_not_stop_the_others(app, monkeypatch):
    calls = []

    def fine() -> None:
        calls.append("fine")

    def broken() -> None:
        calls.append("broken")
        raise RuntimeError("boom")

    clock = [datetime(2026, 12, 7, 3, 14, 30, tzinfo=UTC)]
    table = [Periodic(broken, SPEC, every_seconds=60), Periodic(fine, SPEC, every_seconds=3600),
             Periodic(fine, SPEC, cron="15 3 * * *")]
    monkeypatch.setattr("app.admin.schedule.time.sleep", lambda seconds: clock.__setitem__(0, clock[0] + timedelta(
        seconds=61)))
    run_in_process(table, rounds=2, tick=1, now=lambda: clock[0])
    # round 1 (03:14:30): both interval jobs; round 2 (03:15:31): the broken one again and the 03:15 cron job
    assert calls == ["broken", "fine", "broken", "fine"]


def test_on_rq_the_loop_waits_for_redis_instead_of_dying(monkeypatch):
    attempts = []

    class Unreachable:
        def start(self) -> None:
            attempts.append(1)
            raise RedisDown("connection refused")

    monkeypatch.setattr("app.admin.schedule.cron_scheduler", lambda jobs, table: Unreachable())
    with pytest.raises(RedisDown):
        run_on_rq(JobDispatcher("redis://127.0.0.1:1/0"), schedule(), max_restarts=3, pause=0)
    assert len(attempts) == 4  # the first try and three restarts
