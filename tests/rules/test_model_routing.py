"""With a model active that recorded its own operating point, try, backtest, shadow and the overview
route a version as live scoring does: on the model's thresholds, not the rule set's."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.rules.services import backtest, shadow, try_proof, versions
from app.rules.services import models as model_service
from app.rules.services.overview import overview
from app.scoring.services.models_registry import promote, register_candidate
from ml.registry import ModelBundle, clear_cache, save_artifact
from models import ProofScore, ShadowScore, db
from tests import factories as f
from tests.ml.synthetic import ColumnRisk
from tests.ml.worlds import honest_world
from tests.rules.test_models import labelled  # noqa: F401 - the fixture

FEATURE = "comment_length"
POINT = {"auto_approve_below": 0.99, "hold_at_or_above": 0.995, "novelty": {"min_support": 0},
         "target": {"honest_share": 0.05}}


@pytest.fixture()
def operating_model(app):  # noqa: ANN001, ANN201
    """A model that, on the rule set's thresholds (0.3 / 0.75), would send every honest proof to a
    person, and whose recorded operating point (0.99 / 0.995) approves them."""
    clear_cache()
    bundle = ModelBundle(version="m-op-1", estimator=ColumnRisk(FEATURE, base=0.2, slope=0.08),
                         feature_names=[FEATURE, "device.emulator"], medians={FEATURE: 0.0, "device.emulator": 0.0},
                         explain_features=[FEATURE], meta={"config": {"explain_features": 1}, "operating_point": POINT})
    path, digest = save_artifact(bundle, app.config["MODEL_DIR"])
    promote(register_candidate(bundle, path, digest, {"pr_auc": 0.9}), reason="test")
    db.session.commit()
    yield
    clear_cache()


def test_try_backtest_shadow_and_overview_route_on_the_models_operating_point(app, runner, world, staff,
                                                                              operating_model):
    honest_world(world).add("decisions", *(f.decision(proof_id=f"p{i}") for i in range(1, 7)))
    assert runner.invoke(args=["import", str(world.write())]).exit_code == 0
    stored = dict(db.session.execute(sa.select(ProofScore.proof_id, ProofScore.route)).all())
    assert set(stored.values()) == {"auto_approve"} and len(stored) == 6  # live scoring, on the operating point

    assert {pid: try_proof.compare(pid, "active")["active"]["route"] for pid in stored} == stored

    results = backtest.run_backtest(versions.resolve("active"), datetime(2026, 10, 1, tzinfo=UTC),
                                    datetime(2026, 10, 2, tzinfo=UTC))
    assert (results["proofs"], results["flagged"], results["active"]["flagged"]) == (6, 0, 0)
    assert results["thresholds_from"] == "model" and results["thresholds"] == {
        "auto_approve_below": 0.99, "hold_at_or_above": 0.995}

    draft = versions.create_draft(versions.resolve("active"), {"account.new.weight": 0.1}, staff("operator"))
    db.session.flush()
    assert shadow.score(draft, list(stored)) == 6
    shadowed = dict(db.session.execute(sa.select(ShadowScore.proof_id, ShadowScore.route)).all())
    assert shadowed == stored  # no disagreement made up by other thresholds

    point = overview()["operating_point"]
    assert point["thresholds"] == {"auto_approve_below": 0.99, "hold_at_or_above": 0.995}
    assert (point["thresholds_from"], point["target_honest_share"], point["model"]) == ("model", 0.05, "m-op-1")


def test_without_a_model_the_version_thresholds_route(app, runner, world):
    honest_world(world).add("decisions", *(f.decision(proof_id=f"p{i}") for i in range(1, 7)))
    assert runner.invoke(args=["import", str(world.write())]).exit_code == 0
    results = backtest.run_backtest(versions.resolve("active"), datetime(2026, 10, 1, tzinfo=UTC),
                                    datetime(2026, 10, 2, tzinfo=UTC))
    assert results["thresholds_from"] == "rules"
    assert results["thresholds"] == versions.checked(versions.resolve("active"))["thresholds"]
    point = overview()["operating_point"]
    assert (point["thresholds_from"], point["target_honest_share"], point["model"]) == ("rules", None, None)


def test_the_model_comparison_marks_a_model_at_its_own_operating_point(app, operating_model, labelled):  # noqa: F811
    report = model_service.compare()
    [shown] = [m for m in report["models"] if m["version"] == "m-op-1"]
    assert shown["threshold"] == POINT["auto_approve_below"]
