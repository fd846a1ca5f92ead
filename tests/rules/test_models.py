"""Model lifecycle pages: train from the browser with a task page, compare on one window, promote and roll back."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.rules.services import models as model_service
from app.rules.services import versions
from app.scoring.services import model_training
from ml.registry import clear_cache
from models import AuditEvent, ModelVersion, Task, db
from tests.ml.synthetic import FAST, labelled_set


@pytest.fixture()
def labelled(monkeypatch):  # noqa: ANN001, ANN201
    """Training and evaluation read a synthetic labelled set instead of the database's features."""
    monkeypatch.setattr(model_training, "labelled_set",
                        lambda config, progress=None: (labelled_set(900, strength=3.0), {"version": 1}))
    monkeypatch.setattr(model_training, "TrainingConfig", lambda: FAST)
    clear_cache()
    yield
    clear_cache()


def _statuses() -> dict[str, str]:
    return dict(db.session.execute(sa.select(ModelVersion.version, ModelVersion.status)).all())


def test_train_compare_promote_and_roll_back_from_the_pages(client, login, labelled):
    operator = login("operator")
    assert b"No model yet" in client.get("/rules/models").data
    started = client.post("/rules/models/train", data={"submit": "1"})
    assert started.status_code == 302 and "/rules/tasks/" in started.location
    task = db.session.scalar(sa.select(Task).where(Task.kind == "train_model"))
    assert task.status == "done" and task.done == 100
    asked = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "model.training_started"))
    assert (asked.actor_id, asked.object_id) == (operator.id, str(task.id))
    assert b'id="task-status">done<' in client.get(started.location).data
    [first] = _statuses()
    assert _statuses() == {first: "active"}
    client.post("/rules/models/train", data={"submit": "1"})  # the same data: not better, stays a candidate
    [second] = set(_statuses()) - {first}
    assert _statuses() == {first: "active", second: "candidate"}

    compared = client.get("/rules/models/compare").data.decode()
    assert first in compared and second in compared and "recall_at_fpr" in compared
    assert f'id="curves-{first}"' in compared and "operating-point" in compared and "calibration-point" in compared
    report = model_service.compare()
    [active] = [m for m in report["models"] if m["version"] == first]
    assert sum(p["count"] for p in active["calibration"]) == report["window"]["rows"]
    assert active["per_reason"] == [{"reason": "unknown", "fraud": report["window"]["positives"],
                                     "recall": active["operating"][0]}]  # synthetic ids carry no decisions
    # each model is marked at its own operating point (the one that routes while it scores), if it recorded one
    for row in model_service.registry.list_versions():
        [shown] = [m for m in report["models"] if m["version"] == row.version]
        recorded = (row.meta or {}).get("operating_point", {}).get("auto_approve_below")
        assert shown["threshold"] == (recorded or versions.checked(versions.resolve("active"))["thresholds"][
            "auto_approve_below"])
        assert f"to a person from {shown['threshold']}" in compared

    refused = client.post(f"/rules/models/{first}/promote", data={"submit": "1"})
    assert refused.status_code == 422
    assert client.post(f"/rules/models/{second}/promote", data={"submit": "1"}).status_code == 302
    assert _statuses() == {first: "retired", second: "active"}
    promoted = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "model.promoted",
                                                             AuditEvent.object_id == second))
    assert promoted.actor_id == operator.id
    reasons = [e.data["reason"] for e in db.session.scalars(sa.select(AuditEvent)
                                                            .where(AuditEvent.action == "proofs.rescored"))]
    assert any(reason.startswith(f"model {second} promoted") for reason in reasons)  # stale scores rescored

    assert client.post(f"/rules/models/{second}/promote", data={"submit": "1", "rollback": "1"}).status_code == 422
    assert client.post(f"/rules/models/{first}/promote", data={"submit": "1", "rollback": "1"}).status_code == 302
    assert _statuses() == {first: "active", second: "retired"}


@pytest.mark.parametrize("role", ["moderator", "compliance"])
def test_model_pages_are_for_operators(client, login, role):
    login(role)
    for path in ("/rules/models", "/rules/models/compare", "/rules/tasks/1"):
        assert client.get(path).status_code == 403
    assert client.post("/rules/models/train", data={"submit": "1"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 0


def test_psi_is_zero_for_the_same_distribution_and_grows_with_a_shift():
    import numpy as np

    from app.rules.services.drift import drift_table, psi

    rng = np.random.default_rng(1)
    base = rng.normal(size=5000)
    assert psi(base, rng.normal(size=5000)) < 0.02
    assert 0.1 < psi(base, rng.normal(0.5, 1, 5000)) < psi(base, rng.normal(1.5, 1, 5000))
    with_gaps = np.where(rng.random(5000) < 0.5, np.nan, base)
    assert psi(base, with_gaps) > 0.2  # half the values missing is a shift too
    import pandas as pd

    rows = drift_table(pd.DataFrame({"same": base, "moved": base}),
                       pd.DataFrame({"same": rng.normal(size=3000), "moved": rng.normal(2, 1, 3000)}))
    assert [r["feature"] for r in rows] == ["moved", "same"]
    assert (rows[0]["level"], rows[1]["level"]) == ("shift", "stable")
    moved = rows[0]  # ten deciles of the training window and the missing share: 0.1 each, then 0
    assert moved["train_shares"] == pytest.approx([0.1] * 10 + [0.0], abs=0.002)
    assert sum(moved["recent_shares"][-3:-1]) > 0.8 and sum(moved["recent_shares"]) == pytest.approx(1.0, abs=1e-3)


def test_drift_page_compares_the_fit_window_with_the_last_days(client, login, labelled, labelled_world,
                                                                monkeypatch):
    import pandas as pd

    login("operator")
    assert b'id="drift-error"' in client.get("/rules/models/drift").data  # no model yet
    client.post("/rules/models/train", data={"submit": "1"})
    model = db.session.scalar(sa.select(ModelVersion))
    # the synthetic training set has its own dates: point the recorded fit window at the stored proofs
    model.meta = {**model.meta, "data_window": {"fit": {"from": "2026-10-01T12:00:00+00:00",
                                                        "to": "2026-10-01T12:08:00+00:00"}}}
    db.session.commit()
    seen = {}

    def features(ids, chunk_hours):  # noqa: ANN001, ANN202 - the rules' features, with one moved on purpose
        seen["ids"] = ids
        frame = pd.DataFrame({"steady": 1.0, "moved": [0.0 if i in ("p1", "p2", "p3") else 5.0 for i in ids]},
                             index=pd.Index(ids, name="proof_id"))
        return frame, pd.Series(dtype=object), {}

    monkeypatch.setattr(model_training, "rule_features", features)
    page = client.get("/rules/models/drift?days=1").data.decode()
    assert 'id="drift"' in page, page[-800:]
    assert page.index("moved") < page.index("steady")  # largest drift first
    assert page.count('class="share train"') == page.count('class="share recent"') >= 2  # both distributions drawn
    assert {"p1", "p2", "p3"} <= set(seen["ids"])
    assert client.get("/rules/models/drift?days=0").status_code == 400
