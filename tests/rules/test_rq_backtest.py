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
