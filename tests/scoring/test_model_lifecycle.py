"""Training through the service and CLI: registration, promotion only when better, hash checks."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.scoring.jobs import enqueue_training
from app.scoring.services import model_training
from app.scoring.services.models_registry import load_active
from ml.registry import clear_cache
from models import AuditEvent, ModelVersion, Task, db
from tests.ml.synthetic import FAST, labelled_set


@pytest.fixture()
def labelled(monkeypatch):  # noqa: ANN001, ANN201
    """Swap the database features for a synthetic set; returns a setter for the next training run."""
    holder = {"data": labelled_set(900, strength=3.0)}
    monkeypatch.setattr(model_training, "labelled_set",
                        lambda config, progress=None: (holder["data"], {"version": 1}))
    monkeypatch.setattr(model_training, "TrainingConfig", lambda: FAST)
    clear_cache()
    yield holder
    clear_cache()


def _train(app, force: bool = False):  # noqa: ANN001, ANN202
    report = model_training.train_and_register(app.config["MODEL_DIR"], force=force)
    db.session.commit()
    return report


def _statuses() -> dict[str, str]:
    return dict(db.session.execute(sa.select(ModelVersion.version, ModelVersion.status)).all())


def test_first_model_is_promoted_with_its_audit_row(app, labelled):
    report = _train(app)
    assert report.promoted and "first model" in report.reason
    row = db.session.scalar(sa.select(ModelVersion))
    assert row.status == "active" and row.metrics["pr_auc"] > 0.8
    assert {"data_window", "libraries", "metrics"} <= set(row.meta)
    assert (app.config["MODEL_DIR"] / f"{row.version}.joblib").is_file()
    audit = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_id == row.version)).all()
    assert sorted(audit) == ["model.promoted", "model.trained"]


def test_a_model_that_does_not_beat_the_active_one_stays_candidate_unless_forced(app, labelled):
    first = _train(app)
    again = _train(app)  # same data and seed: equal, so not better
    assert not again.promoted and again.active_metrics == pytest.approx(first.metrics)
    assert _statuses() == {first.version: "active", again.version: "candidate"}
    forced = _train(app, force=True)
    assert forced.promoted and forced.reason.startswith("forced")
    assert _statuses() == {first.version: "retired", again.version: "candidate", forced.version: "active"}
    promoted = db.session.scalar(sa.select(ModelVersion).where(ModelVersion.version == forced.version))
    assert promoted.meta["compared_with"]["version"] == first.version  # kept through the promotion


def test_training_does_not_overwrite_a_promotion_made_while_it_trained(app, labelled, monkeypatch):
    """Training compared its candidate with the model active when it started; an operator rolled
    back meanwhile, so the candidate was never compared with what it would replace."""
    from app.scoring.services import models_registry

    first = _train(app)
    labelled["data"] = labelled_set(900, strength=6.0)
    compared = models_registry.active_version
    rolled_back = {}

    def operator_rolls_back_after_the_comparison():  # noqa: ANN202
        row = compared()
        if row is not None and not rolled_back:  # the comparison has read it: now the operator acts
            rolled_back["done"] = True
            row.status = "retired"
            db.session.flush()
        return row
    monkeypatch.setattr(models_registry, "active_version", operator_rolls_back_after_the_comparison)
    report = model_training.train_and_register(app.config["MODEL_DIR"], force=True)
    monkeypatch.undo()
    assert not report.promoted and "became active after" in report.reason
    assert _statuses()[report.version] == "candidate" and _statuses()[first.version] == "retired"


def test_a_promotion_retires_every_active_model(app, labelled):
    from app.scoring.services import models_registry

    first, second = _train(app), _train(app)
    db.session.get(ModelVersion, db.session.scalar(sa.select(ModelVersion.id).where(
        ModelVersion.version == second.version))).status = "active"  # left by a race before this fix
    third = _train(app, force=True)
    assert models_registry.active_version().version == third.version
    assert _statuses() == {first.version: "retired", second.version: "retired", third.version: "active"}


def test_a_better_model_replaces_a_useless_one(app, labelled):
    labelled["data"] = labelled_set(900, strength=0.0)  # features carry no signal
    weak = _train(app)
    labelled["data"] = labelled_set(900, strength=3.0)  # same labels and times, informative features
    strong = _train(app)
    assert strong.promoted and strong.metrics["pr_auc"] > strong.active_metrics["pr_auc"]
    assert _statuses() == {weak.version: "retired", strong.version: "active"}


def test_tampered_active_artifact_means_degraded_not_loaded(app, labelled):
    report = _train(app)
    assert load_active(app.config["MODEL_DIR"]).bundle is not None
    clear_cache()  # a fresh process
    with (app.config["MODEL_DIR"] / f"{report.version}.joblib").open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00\x01\x02")
    active = load_active(app.config["MODEL_DIR"])
    assert active.degraded and active.bundle is None and "does not match" in active.error


def test_no_active_model_is_a_cold_start(app):
    active = load_active(app.config["MODEL_DIR"])
    assert active.cold_start and not active.degraded


def test_train_command_with_too_few_labels_fails_and_stores_nothing(runner, world):
    world.basic(proofs=3).add("decisions", {"proof_id": "p1", "decision": "rejected", "reason": "fraud_bot",
                                            "decided_at": "2026-10-02T10:00:00+08:00"})
    runner.invoke(args=["import", str(world.write()), "--no-score"])
    result = runner.invoke(args=["ml", "train"])
    assert result.exit_code != 0
    assert "1 labelled proofs" in result.output and "Nothing was stored or promoted" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModelVersion)) == 0


def test_train_command_and_evaluate_print_the_comparison(app, runner, labelled):
    first = runner.invoke(args=["ml", "train"])
    assert first.exit_code == 0, first.output
    assert "promoted: first model" in first.output
    second = runner.invoke(args=["ml", "train"])
    assert "not promoted" in second.output and "(active)" in second.output
    evaluation = runner.invoke(args=["ml", "evaluate"])
    assert evaluation.exit_code == 0, evaluation.output
    assert "active" in evaluation.output and "candidate" in evaluation.output and "window" in evaluation.output


def test_training_job_records_progress_and_failure_in_its_task(app, labelled):
    task = enqueue_training()
    assert task.status == "done" and task.done == 100 and "promoted" in task.message
    labelled["data"] = labelled_set(900).subset(labelled_set(900).labels.index[:50])
    failed = enqueue_training()
    assert failed.status == "failed" and "not enough labels" in failed.message
    kinds = db.session.scalars(sa.select(Task.kind).order_by(Task.id)).all()
    assert kinds == ["train_model", "rescore_stale", "train_model"]  # the promotion queued a rescoring


def test_train_command_chooses_and_prints_the_operating_point_towards_the_target(app, runner, monkeypatch):
    import numpy as np
    import pandas as pd

    from review_rules.engine import default_config

    data = labelled_set(900, strength=3.0)
    data.signals = ("ip.hosting_asn",)
    rng = np.random.default_rng(2)
    data.rule_score = pd.Series(np.clip(0.3 * data.labels + rng.uniform(0, 0.4, len(data.labels)), 0, 1),
                                index=data.labels.index)
    data.hard_hold = pd.Series(False, index=data.labels.index)
    monkeypatch.setattr(model_training, "labelled_set",
                        lambda config, progress=None: (data, {"version": 1, "config": default_config()}))
    monkeypatch.setattr(model_training, "TrainingConfig", lambda: FAST)
    clear_cache()
    result = runner.invoke(args=["ml", "train", "--honest-share", "0.05"])
    assert result.exit_code == 0, result.output
    assert "at most 5.0% of honest proofs" in result.output and "fraud routed" in result.output
    row = db.session.scalar(sa.select(ModelVersion))
    point = row.meta["operating_point"]
    assert point["target"]["honest_share"] == 0.05 and point["validation"]["honest_routed"] <= 0.05 + 0.005
    evaluation = runner.invoke(args=["ml", "evaluate"])
    assert f"auto-approve below {point['auto_approve_below']:.4f}" in evaluation.output
    # the weights learned on the labels wait in a draft rule set; the active one is untouched
    from models import RuleSet

    sets = {r.status: r for r in db.session.scalars(sa.select(RuleSet))}
    draft, active = sets["draft"], sets["active"]
    assert f"draft rule set {draft.version}" in result.output
    learned = draft.config["learned"]
    assert learned["model_version"] == row.version and learned["window"]["rows"] > 0
    assert draft.config["signals"]["ip.hosting_asn"]["weight"] == learned["signals"]["ip.hosting_asn"]["weight"]
    assert active.config["signals"]["ip.hosting_asn"]["weight"] == default_config()["signals"]["ip.hosting_asn"][
        "weight"] != draft.config["signals"]["ip.hosting_asn"]["weight"]
    again = runner.invoke(args=["ml", "train", "--honest-share", "0.05"])
    assert again.exit_code == 0 and "draft rule set" not in again.output  # same weights: no second draft
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RuleSet).where(RuleSet.status == "draft")) == 1
    clear_cache()


def test_evaluate_without_a_model_states_the_cold_start_thresholds(runner):
    result = runner.invoke(args=["ml", "evaluate"])
    assert result.exit_code != 0
    assert "cold start" in result.output and "auto-approve below 0.3" in result.output
