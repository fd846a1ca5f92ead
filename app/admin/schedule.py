"""Periodic work: one table of what runs when, and `flask scheduler`'s loop that puts it on RQ.

The loop is RQ's own CronScheduler (rq >= 2.4): it enqueues each job on its queue when due and the
`flask worker` processes run it. The scheduler holds no state worth keeping: every job reads what
is owed from the database, so a restarted scheduler (or Redis) simply runs each interval job once
at start, and two schedulers at once only do some work twice, which every job here tolerates.
When Redis is down the loop waits and starts again instead of dying with it.

Without REDIS_URL (the demo) the same table runs in this process, job after job.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.admin import jobs as periodic
from app.money.jobs import SETTLE_RUN, settle_approved
from app.platform.jobs import JobDispatcher, JobSpec
from app.review.jobs import expire_info_requests
from models import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    func: Callable[..., Any]
    spec: JobSpec
    every_seconds: int | None = None  # an interval ...
    cron: str | None = None  # ... or a crontab line, in UTC
    what: str = ""

    @property
    def name(self) -> str:
        return f"{self.func.__module__}.{self.func.__name__}"


def schedule() -> list[Periodic]:
    """Everything `flask scheduler` runs (README "Periodic work" lists the same)."""
    return [
        Periodic(periodic.reconcile, periodic.RECONCILE, every_seconds=120,
                 what="re-queue unscored proofs and unsettled approvals from the database"),
        Periodic(settle_approved, SETTLE_RUN, every_seconds=15 * 60,
                 what="settle approvals past their hold window; refund closed campaigns"),
        Periodic(periodic.release_claims, periodic.HOUSEKEEPING, every_seconds=60,
                 what="give expired review claims back to the queue"),
        Periodic(expire_info_requests, periodic.HOUSEKEEPING, every_seconds=300,
                 what="close questions to workers nobody answered in time; their proofs return to the queue"),
        Periodic(periodic.purge_expired_personal_data, periodic.RETENTION, cron="15 3 * * *",
                 what="retention: purge raw IP and device detail past the retention period"),
        Periodic(periodic.refresh_brand_scorecards, periodic.HOUSEKEEPING, cron="40 2 * * *",
                 what="recompute rings and brand scorecards"),
    ]


def cron_scheduler(jobs: JobDispatcher, table: list[Periodic]):  # noqa: ANN201 - rq.cron.CronScheduler
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=jobs.redis(), name=f"workbench:{int(time.time())}")
    for entry in table:
        scheduler.register(entry.func, entry.spec.queue, interval=entry.every_seconds, cron=entry.cron,
                           job_timeout=entry.spec.timeout, result_ttl=entry.spec.result_ttl,
                           failure_ttl=entry.spec.failure_ttl, name=entry.name)
    return scheduler


def run_on_rq(jobs: JobDispatcher, table: list[Periodic], *, max_restarts: int | None = None,
              pause: float = 5.0) -> None:
    """Run RQ's CronScheduler until SIGINT/SIGTERM; when Redis goes away, wait and start a new one."""
    from redis.exceptions import ConnectionError as RedisDown
    from redis.exceptions import TimeoutError as RedisSlow
    from rq.exceptions import StopRequested

    restarts = 0
    while True:
        try:
            cron_scheduler(jobs, table).start()  # returns on SIGINT/SIGTERM
            return
        except (RedisDown, RedisSlow) as exc:
            restarts += 1
            if max_restarts is not None and restarts > max_restarts:
                raise
            log.warning("Redis is unreachable (%s); the scheduler starts again in %.0f s", exc, pause)
            jobs.reconnect()
            try:
                time.sleep(pause)
            except (StopRequested, KeyboardInterrupt):  # rq's SIGTERM handler is still installed
                return


def run_in_process(table: list[Periodic], *, rounds: int | None = None, tick: float = 1.0,
                   now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
    """No Redis: call each job when due, one after the other, in this process. A failing job is
    logged and tried again at its next time; the loop goes on."""
    from croniter import croniter

    due = [now() if entry.every_seconds else croniter(entry.cron, now()).get_next(datetime) for entry in table]
    done_rounds = 0
    while rounds is None or done_rounds < rounds:
        for at, entry in enumerate(table):
            if now() < due[at]:
                continue
            try:
                entry.func()
            except Exception:  # noqa: BLE001 - one failing job must not stop the others
                db.session.rollback()
                log.exception("periodic job %s failed; it runs again at its next time", entry.name)
            due[at] = (datetime.fromtimestamp(now().timestamp() + entry.every_seconds, UTC)
                               if entry.every_seconds else croniter(entry.cron, now()).get_next(datetime))
        done_rounds += 1
        if rounds is None or done_rounds < rounds:
            time.sleep(tick)
