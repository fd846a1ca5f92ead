"""Single proofs through the API queue one pending-scoring run between them, which a real worker
runs: every proof scored once, the run queued again for proofs that come after it started."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from rq import Queue

from app.auth.services.api_tokens import create_token
from app.platform.jobs import SCORING
from app.scoring import jobs as scoring_jobs
from models import Proof, ProofScore, db
from tests import factories as f
from tests.integration.conftest import run_worker
from tests.stored import store_api_world

pytestmark = pytest.mark.integration


def _seed(app) -> str:  # noqa: ANN001
    store_api_world(app.extensions["pii"], workers=1)
    _, token = create_token("partner-app")
    db.session.commit()
    return token


def test_single_proofs_share_one_pending_run_that_a_worker_scores(rq_app, tmp_path):
    token = _seed(rq_app)
    client, queue = rq_app.test_client(), Queue(SCORING, connection=rq_app.extensions["jobs"].redis())
    headers = {"Authorization": f"Bearer {token}"}
    for i in range(5):
        response = client.post("/api/v1/proofs", json=f.proof(id=f"p{i}"), headers=headers)
        assert response.status_code == 202 and response.get_json()["items"][0]["state"] == "received"
    assert queue.count == 1  # one run for the five
    assert queue.connection.exists(scoring_jobs.PENDING_FLAG)

    done = run_worker(rq_app, tmp_path, SCORING)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not queue.connection.exists(scoring_jobs.PENDING_FLAG)  # the run cleared it before reading
    assert client.post("/api/v1/proofs", json=f.proof(id="p5"), headers=headers).status_code == 202
    assert queue.count == 1  # a proof after the run started queues the next run
    assert run_worker(rq_app, tmp_path, SCORING).returncode == 0
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProofScore)) == 6
    assert set(db.session.scalars(sa.select(Proof.state))) <= {"in_review", "approved"}


def test_a_proof_committed_while_the_flag_is_set_is_read_by_that_flags_run(rq_app):
    token = _seed(rq_app)
    client = rq_app.test_client()
    assert client.post("/api/v1/proofs", json=f.proof(id="p1"),
                       headers={"Authorization": f"Bearer {token}"}).status_code == 202
    # The run that flag belongs to, run here: it reads p1 although p1's request queued nothing of its own.
    assert scoring_jobs.score_pending() == 1
    assert db.session.get(ProofScore, "p1") is not None
    assert scoring_jobs.score_pending() == 0  # nothing twice
