"""The one place that knows about RQ.

With REDIS_URL set, jobs go to Redis queues served by `rq worker` processes anywhere; without it
they run in-process at once, so the demo needs nothing installed. Callers commit before they
enqueue: a job must find the rows it is about.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context

log = logging.getLogger(__name__)

SCORING = "scoring"
SETTLEMENT = "settlement"
TRAINING = "training"
DEFAULT = "default"
BACKTEST = "backtest"  # operators' backtests: long, and never in the way of scoring
ALL_QUEUES = (SCORING, SETTLEMENT, TRAINING, BACKTEST, DEFAULT)


@dataclass(frozen=True)
class JobSpec:
    queue: str
    timeout: int  # seconds a job may run
    result_ttl: int = 3600
    failure_ttl: int = 7 * 24 * 3600


class JobDispatcher:
    def __init__(self, redis_url: str | None):
        self.redis_url = redis_url
        self._redis = None

    @property
    def synchronous(self) -> bool:
        return not self.redis_url

    def redis(self):  # noqa: ANN201 - redis.Redis, imported lazily
        if self._redis is None:
            from redis import Redis

            self._redis = Redis.from_url(self.redis_url)
        return self._redis

    def reconnect(self) -> None:
        """Drop the connection pool: the next call opens a new one (after Redis came back)."""
        self._redis = None

    def queue(self, name: str):  # noqa: ANN201 - rq.Queue
        from rq import Queue

        return Queue(name, connection=self.redis())

    def enqueue(self, func: Callable[..., Any], *args: Any, spec: JobSpec, job_id: str | None = None) -> str | None:
        """Run `func(*args)` now (no Redis) or queue it; returns the RQ job id when queued."""
        if self.synchronous:
            func(*args)
            return None
        path = f"{func.__module__}.{func.__qualname__}"
        job = self.queue(spec.queue).enqueue(
            path, *args, job_id=job_id, job_timeout=spec.timeout,
            result_ttl=spec.result_ttl, failure_ttl=spec.failure_ttl,
        )
        return job.id

    def enqueue_once(self, func: Callable[..., Any], *args: Any, spec: JobSpec, job_id: str) -> str | None:
        """Queue `func` under the fixed `job_id` unless a job of that id is still waiting or running.

        Periodic callers (the reconciler) ask for the same work every few minutes; this keeps one
        copy in the queue however often they ask. A flushed Redis forgets the id, so the next call
        queues it again. Without Redis the work runs at once. Returns the id when newly queued.
        """
        if self.synchronous:
            func(*args)
            return None
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus

        try:
            status = Job.fetch(job_id, connection=self.redis()).get_status(refresh=False)
        except NoSuchJobError:
            status = None
        if status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
            return None
        if status is not None:
            Job.fetch(job_id, connection=self.redis()).delete()  # finished or failed: make room for the new run
        return self.enqueue(func, *args, spec=spec, job_id=job_id)


    def job_state(self, job_id: str) -> str | None:
        """RQ's status of a job ("queued", "started", "finished", "failed", ...); None when Redis no
        longer knows it (flushed, or expired after its result's time to live)."""
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            return str(Job.fetch(job_id, connection=self.redis()).get_status(refresh=False).value)
        except NoSuchJobError:
            return None


def dispatcher() -> JobDispatcher:
    return current_app.extensions["jobs"]


def worker_class(fork: bool) -> type:
    """rq's forking Worker, or one that runs every job in the worker process itself (see `flask worker`)."""
    from rq import SimpleWorker, Worker

    if fork:
        return Worker

    class InProcessWorker(SimpleWorker):
        """A fresh database session for every job: a failed job's session must not reach the next."""

        def perform_job(self, job, queue) -> bool:  # noqa: ANN001 - rq.Job, rq.Queue
            from models import db

            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()

    return InProcessWorker


_worker_app: Flask | None = None


def job(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a job an app context (a plain `rq worker` has none) and a clean session after it."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return func(*args, **kwargs)
        global _worker_app
        if _worker_app is None:
            from app import create_app

            _worker_app = create_app()
        with _worker_app.app_context():
            from models import db

            try:
                return func(*args, **kwargs)
            finally:
                db.session.remove()

    return run
