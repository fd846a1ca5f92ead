"""The model inside scoring: cold start, combination, explanations and degraded mode."""
from __future__ import annotations

import threading

import pandas as pd
import pytest
import sqlalchemy as sa

from app.scoring.services.models_registry import promote, register_candidate
from ml.predict import ModelTimeout, predict_within
from ml.registry import ModelBundle, clear_cache, save_artifact
from models import ModelVersion, Proof, ProofScore, ReviewDecision, db
from review_rules.engine import default_config
from tests.ml.synthetic import ColumnRisk
from tests.ml.worlds import honest_world

FEATURE = "comment_length"  # numeric evidence the engine emits for every proof with a comment
MODEL_WEIGHT = default_config()["combine"]["model_weight"]


@pytest.fixture(autouse=True)
def _fresh_model_cache():  # noqa: ANN202
    clear_cache()
    yield
    clear_cache()


def install_model(app, estimator, version: str = "m-test-1") -> ModelVersion:  # noqa: ANN001
    bundle = ModelBundle(version=version, estimator=estimator, feature_names=[FEATURE, "device.emulator"],
                         medians={FEATURE: 0.0, "device.emulator": 0.0}, explain_features=[FEATURE, "device.emulator"],
                         meta={"config": {"explain_features": 2}})
    path, digest = save_artifact(bundle, app.config["MODEL_DIR"])
    row = register_candidate(bundle, path, digest, {"pr_auc": 0.9})
    promote(row, reason="test")
    db.session.commit()
    return row


def scored(runner, world) -> dict[str, ProofScore]:  # noqa: ANN001
    result = runner.invoke(args=["import", str(honest_world(world).write())])
    assert result.exit_code == 0, result.output
    return {s.proof_id: s for s in db.session.scalars(sa.select(ProofScore))}


def system_approvals() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ReviewDecision)
                             .where(ReviewDecision.actor_kind == "system"))


def test_cold_start_scores_with_the_rules_alone(runner, world):
    scores = scored(runner, world)
    assert len(scores) == 6
    for s in scores.values():
        assert s.model_version is None and s.model_score is None and not s.degraded
        assert s.risk_score == pytest.approx(s.rule_score) and s.explanation is None
    assert {s.route for s in scores.values()} == {"auto_approve"}  # the control for the degraded test


def test_active_model_is_combined_with_the_rules_and_explained(app, runner, world):
    install_model(app, ColumnRisk(FEATURE, base=0.2, slope=0.08))
    scores = scored(runner, world)
    for s in scores.values():
        assert s.model_version == "m-test-1" and not s.degraded
        assert s.risk_score == pytest.approx(MODEL_WEIGHT * s.model_score + (1 - MODEL_WEIGHT) * s.rule_score)
        assert s.route == "review"
        assert isinstance(s.explanation, list) and 1 <= len(s.explanation) <= 5
        top = s.explanation[0]
        assert top["feature"] == FEATURE and top["contribution"] == pytest.approx(s.model_score - 0.2, abs=1e-3)
    assert system_approvals() == 0


def test_a_healthy_low_risk_model_lets_policy_approve(app, runner, world):
    install_model(app, ColumnRisk(FEATURE, base=0.01))
    scores = scored(runner, world)
    assert {s.route for s in scores.values()} == {"auto_approve"} and system_approvals() == 6
    assert all(s.explanation is None for s in scores.values())  # nobody reads auto-approved proofs


def test_tampered_artifact_scores_degraded_and_never_auto_approves(app, runner, world):
    row = install_model(app, ColumnRisk(FEATURE, base=0.01))  # healthy, this model would auto-approve
    with open(row.artifact_path, "r+b") as handle:
        handle.seek(64)
        handle.write(b"evil")
    scores = scored(runner, world)
    assert all(s.degraded and s.model_version is None and s.model_score is None for s in scores.values())
    assert {s.route for s in scores.values()} == {"review"}
    assert system_approvals() == 0
    assert set(db.session.scalars(sa.select(Proof.state))) == {"in_review"}


def test_missing_artifact_scores_degraded(app, runner, world):
    row = install_model(app, ColumnRisk(FEATURE, base=0.01))
    app.config["MODEL_DIR"].joinpath(f"{row.version}.joblib").unlink()
    assert {(s.degraded, s.route) for s in scored(runner, world).values()} == {(True, "review")}


class FailingModel:
    """A picklable 'model' whose every prediction raises `failure`."""

    def __init__(self, failure: Exception):
        self.failure = failure

    def predict_proba(self, x: pd.DataFrame):  # noqa: ANN201
        raise self.failure


@pytest.mark.parametrize("failure", [ModelTimeout("took longer than 5s"), ValueError("feature mismatch")])
def test_a_model_that_times_out_or_raises_degrades_to_rules(app, runner, world, failure):
    install_model(app, FailingModel(failure))
    scores = scored(runner, world)
    assert {(s.degraded, s.route) for s in scores.values()} == {(True, "review")}
    assert all(s.risk_score == pytest.approx(s.rule_score) for s in scores.values())


class StuckModel:
    def __init__(self, release: threading.Event):
        self.release = release

    def predict_proba(self, x: pd.DataFrame):  # noqa: ANN201
        self.release.wait()
        raise RuntimeError("released")


def test_predict_within_gives_up_on_a_stuck_model():
    release = threading.Event()
    bundle = ModelBundle("m-stuck", StuckModel(release), ["a"], {}, [])
    try:
        with pytest.raises(ModelTimeout):
            predict_within(bundle, pd.DataFrame({"a": [1.0]}, index=["p1"]), timeout=0.05)
    finally:
        release.set()
    ok = ModelBundle("m-ok", ColumnRisk("a", slope=0.5), ["a"], {}, [])
    assert predict_within(ok, pd.DataFrame({"a": [1.0]}, index=["p1"]), timeout=5).tolist() == [0.5]


def test_scoring_routes_on_the_operating_point_stored_with_the_model(app, runner, world):
    bundle = ModelBundle(version="m-op-1", estimator=ColumnRisk(FEATURE, base=0.2, slope=0.08),
                         feature_names=[FEATURE, "device.emulator"], medians={FEATURE: 0.0, "device.emulator": 0.0},
                         explain_features=[FEATURE], meta={"config": {"explain_features": 1}, "operating_point": {
                             "auto_approve_below": 0.99, "hold_at_or_above": 0.995, "novelty": {"min_support": 0}}})
    path, digest = save_artifact(bundle, app.config["MODEL_DIR"])
    promote(register_candidate(bundle, path, digest, {"pr_auc": 0.9}), reason="test")
    db.session.commit()
    scores = scored(runner, world)
    # the same model routes every proof to review on the rule set's thresholds (test above)
    assert {s.route for s in scores.values()} == {"auto_approve"}
    assert all(s.model_version == "m-op-1" and s.risk_score < 0.99 for s in scores.values())


def test_a_novel_proof_keeps_the_rules_reading_and_says_so(app, runner, world):
    """A model that approves everything, trained on labels that never showed an emulator: the
    emulator proof is routed as the rules alone would route it, and says why."""
    import numpy as np

    from ml.novelty import SignalCoverage
    from tests.factories import device

    coverage = SignalCoverage.fit(pd.DataFrame({"device.emulator": np.zeros(100)}))  # labels: nothing ever fired
    point = {"auto_approve_below": 0.2, "hold_at_or_above": 0.9,
             "novelty": {"min_support": 5, "min_rule_score": 0.3}}
    bundle = ModelBundle(version="m-novel-1", estimator=ColumnRisk(FEATURE, base=0.0),
                         feature_names=[FEATURE, "device.emulator"], medians={FEATURE: 0.0, "device.emulator": 0.0},
                         explain_features=[FEATURE], meta={"config": {"explain_features": 1}, "operating_point": point},
                         coverage=coverage)
    path, digest = save_artifact(bundle, app.config["MODEL_DIR"])
    promote(register_candidate(bundle, path, digest, {"pr_auc": 0.9}), reason="test")
    db.session.commit()
    links = {1: {"device": device(fingerprint="fp-1", canvas_hash="canvas1", emulator=True)}}
    result = runner.invoke(args=["import", str(honest_world(world, links=links).write())])
    assert result.exit_code == 0, result.output
    scores = {s.proof_id: s for s in db.session.scalars(sa.select(ProofScore))}
    novel = scores["p1"]
    assert novel.rule_score >= 0.3 and novel.model_score == 0.0
    assert novel.route == "review" and "model.novel" in novel.reasons.split(";")
    assert any(s["code"] == "model.novel" for s in novel.signals)
    others = [s for pid, s in scores.items() if pid != "p1"]
    assert {s.route for s in others} == {"auto_approve"} and not any("model.novel" in s.reasons for s in others)
