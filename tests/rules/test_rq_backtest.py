"""A backtest on the `backtest` queue, run by a real `flask worker` process against PostgreSQL and Redis."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.platform.jobs import BACKTEST
from app.rules.jobs import enqueue_backtest
from app.rules.services import backtest, versions
from models import Backtest, Task, db
from tests.factories import decision
from tests.integration.conftest import rq_app, run_worker  # noqa: F401 - the fixture
from tests.ml.worlds import honest_world
from tests.rules.conftest import FARM, HONEST, farm_links

pytestmark = pytest.mark.integration


def test_a_backtest_runs_on_its_own_queue(rq_app, world, tmp_path):  # noqa: F811
    honest_world(world, HONEST + FARM, links=farm_links(HONEST + 1, FARM))
    world.add("decisions", *(decision(proof_id=f"p{i}", decision="approved" if i <= HONEST else "rejected")
                             for i in range(1, HONEST + FARM + 1)))
    assert rq_app.test_cli_runner().invoke(args=["import", str(world.write()), "--no-score"]).exit_code == 0
    test = backtest.start(versions.resolve("active"), datetime(2026, 10, 1, tzinfo=UTC),
                          datetime(2026, 10, 2, tzinfo=UTC), None)
    db.session.commit()
    test = enqueue_backtest(test)
    task = db.session.get(Task, test.task_id)
    assert (test.status, task.rq_job_id) == ("queued", f"backtest-{test.id}")
    assert rq_app.extensions["jobs"].queue(BACKTEST).count == 1
    done = run_worker(rq_app, tmp_path, BACKTEST, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    db.session.expire_all()
    test, task = db.session.get(Backtest, test.id), db.session.get(Task, test.task_id)
    assert (test.status, task.status, task.done) == ("done", "done", 100), test.error
    assert test.results["proofs"] == HONEST + FARM and test.results["recall"] == 1.0


def test_a_backtest_over_several_days_forks_in_the_worker_and_gives_the_in_process_figures(
        rq_app, world, tmp_path):  # noqa: F811
    """Four days of proofs: the worker's job evaluates the later days in a forked child (BACKTEST_PROCESSES
    defaults to 2); its figures are those of the same backtest run here in one process."""
    def on_day(i: int) -> dict:
        day = f"2026-10-0{1 + i % 4}"
        return {"accepted_at": f"{day}T20:00:00+08:00", "started_at": f"{day}T20:00:30+08:00",
                "submitted_at": f"{day}T20:05:00+08:00"}
    farm = farm_links(HONEST + 1, FARM)
    honest_world(world, HONEST + FARM, links={i: {**farm.get(i, {}), **on_day(i)} for i in range(1, HONEST + FARM + 1)})
    world.add("decisions", *(decision(proof_id=f"p{i}", decision="approved" if i <= HONEST else "rejected",
                                      decided_at="2026-10-06T10:00:00+08:00") for i in range(1, HONEST + FARM + 1)))
    assert rq_app.test_cli_runner().invoke(args=["import", str(world.write()), "--no-score"]).exit_code == 0
    since, until = datetime(2026, 9, 30, tzinfo=UTC), datetime(2026, 10, 6, tzinfo=UTC)
    test = enqueue_backtest(backtest.start(versions.resolve("active"), since, until, None))
    db.session.commit()
    done = run_worker(rq_app, tmp_path, BACKTEST, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    db.session.expire_all()
    stored = db.session.get(Backtest, test.id)
    assert stored.status == "done", stored.error
    rq_app.config["BACKTEST_PROCESSES"] = 1
    alone = backtest.run_backtest(versions.resolve("active"), since, until)
    assert len(alone["by_day"]) >= 3 and stored.results["proofs"] == HONEST + FARM
    for figure in ("precision", "recall", "flagged", "held", "money_held_cents", "by_day", "signals"):
        assert stored.results[figure] == alone[figure], figure
