"""Backtests: the figures' arithmetic, a version evaluated over labelled history, the job and the command."""
from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from app.rules.jobs import enqueue_backtest
from app.rules.services import backtest, versions
from app.rules.services.metrics import pr_curve, summarise
from models import AuditEvent, Backtest, ReviewDecision, Task, db
from tests import factories as f
from tests.ml.worlds import honest_world
from tests.rules.conftest import FARM, HONEST

SINCE, UNTIL = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC)


def test_summary_counts_flags_money_and_signal_precision_by_hand():
    frame = pd.DataFrame({
        "label": [1, 1, 0, 0, 0, 1], "day": ["d1", "d1", "d1", "d2", "d2", "d2"],
        "reward_cents": [100, 200, 300, 400, 500, 600],
        "route": ["hold", "review", "review", "auto_approve", "auto_approve", "auto_approve"],
        "risk": [0.9, 0.5, 0.4, 0.1, 0.2, 0.05]}, index=pd.Index([f"p{i}" for i in range(6)], name="proof_id"))
    scores = pd.DataFrame({"a": [1.0, 0.5, 0.5, 0, 0, 0], "b": [0, 0, 0, 0.2, 0, 0]}, index=frame.index)
    baseline = pd.Series(["hold", "hold", "auto_approve", "auto_approve", "review", "auto_approve"], index=frame.index)
    out = summarise(frame, scores, {"a": 0.5, "b": 0.4}, baseline)
    assert (out["flagged"], out["held"], out["true_positives"]) == (3, 1, 2)
    assert (out["precision"], out["recall"]) == (round(2 / 3, 4), round(2 / 3, 4))
    assert (out["money_held_cents"], out["money_in_review_cents"], out["fraud_money_passed_cents"]) == (100, 600, 600)
    assert out["by_day"] == [{"day": "d1", "proofs": 3, "flagged": 3, "rejected": 2},
                             {"day": "d2", "proofs": 3, "flagged": 0, "rejected": 1}]
    a, b = out["signals"]
    assert (a["code"], a["fires_rejected"], a["fires_approved"], a["precision"], a["contribution"]) == \
        ("a", 2, 1, round(2 / 3, 4), 1.0)
    assert (b["fires"], b["fires_approved"], b["precision"], b["contribution"]) == (1, 1, 0.0, 0.0)
    changes = out["changes"]
    assert changes["count"] == 3
    assert {(m["before"], m["after"]): m["count"] for m in changes["by_move"]} == \
        {("hold", "review"): 1, ("auto_approve", "review"): 1, ("review", "auto_approve"): 1}
    assert changes["sample"][0] == {"proof_id": "p1", "before": "hold", "after": "review", "label": 1, "risk": 0.5}


def test_pr_curve_is_exact_at_each_threshold():
    rng = np.random.default_rng(3)
    risk, label = rng.random(500), rng.random(500) < 0.3
    for point in pr_curve(risk, label):
        flagged = risk >= point["threshold"]
        assert point["flagged"] == flagged.sum()
        assert point["recall"] == round((flagged & label).sum() / label.sum(), 4)
        assert point["precision"] == round((flagged & label).sum() / flagged.sum(), 4)
    assert pr_curve(risk, np.zeros(500, dtype=bool)) == []


def test_backtest_of_the_active_version_matches_its_routes(app, labelled_world):
    results = backtest.run_backtest(versions.resolve("active"), SINCE, UNTIL)
    assert (results["proofs"], results["rejected"], results["approved"]) == (HONEST + FARM, FARM, HONEST)
    assert results["recall"] == 1.0  # the farm is flagged, by the same rules that routed it at import
    assert results["changes"]["count"] == 0 and results["active"]["version"] == results["version"] == 1
    fired = {s["code"]: s for s in results["signals"] if s["fires"]}
    assert fired and all(s["fires_rejected"] + s["fires_approved"] == s["fires"] for s in fired.values())
    assert any(s["fires_rejected"] == FARM for s in fired.values())
    assert set(results["timings"]) >= {"labels", "load", "rules", "figures"}


def test_a_draft_that_flags_everything_changes_routes_and_costs_precision(app, labelled_world, staff):
    draft = versions.create_draft(versions.resolve("active"), {"thresholds.auto_approve_below": 0.0},
                                  staff("operator"))
    db.session.commit()
    results = backtest.run_backtest(draft, SINCE, UNTIL)
    assert results["flagged"] == HONEST + FARM and results["recall"] == 1.0
    assert results["precision"] == round(FARM / (HONEST + FARM), 4)
    moved = results["changes"]
    assert results["active"]["flagged"] < HONEST  # the honest proofs were approved by policy under version 1
    assert moved["count"] == HONEST + FARM - results["active"]["flagged"] == len(moved["sample"])
    assert {(row["before"], row["after"]) for row in moved["sample"]} == {("auto_approve", "review")}
    assert results["money_in_review_cents"] == 100 * (HONEST + FARM)  # the factory campaign pays 100


def test_an_empty_period_is_refused(app, labelled_world):
    with pytest.raises(backtest.BacktestError, match="no labelled proofs"):
        backtest.run_backtest(versions.resolve("active"), datetime(2025, 1, 1, tzinfo=UTC),
                              datetime(2025, 2, 1, tzinfo=UTC))
    with pytest.raises(backtest.BacktestError, match="since must be before until"):
        backtest.run_backtest(versions.resolve("active"), UNTIL, SINCE)


def test_the_job_stores_results_and_progress(app, labelled_world, staff):
    user = staff("operator")
    test = backtest.start(versions.resolve("active"), SINCE, UNTIL, user)
    db.session.commit()
    assert db.session.get(Task, test.task_id).status == "queued"
    test = enqueue_backtest(test)  # no Redis: runs here
    db.session.expire_all()
    test = db.session.get(Backtest, test.id)
    task = db.session.get(Task, test.task_id)
    assert (test.status, task.status, task.done, task.kind) == ("done", "done", 100, "backtest")
    assert test.results["proofs"] == HONEST + FARM and test.finished_at is not None
    assert db.session.scalar(sa.select(AuditEvent.actor_id).where(AuditEvent.action == "backtest.started")) == user.id
    assert enqueue_backtest(test).status == "done"  # a finished backtest is not rerun
    assert backtest.page(None).rows[0].id == test.id and backtest.of_version(test.ruleset_version)[0].id == test.id


def test_the_job_records_a_failure(app, labelled_world):
    test = backtest.start(versions.resolve("active"), datetime(2025, 1, 1, tzinfo=UTC),
                          datetime(2025, 2, 1, tzinfo=UTC), None)
    db.session.commit()
    enqueue_backtest(test)
    db.session.expire_all()
    test = db.session.get(Backtest, test.id)
    assert test.status == "failed" and "no labelled proofs" in test.error
    assert db.session.get(Task, test.task_id).status == "failed"


def test_cli_prints_the_figures(app, runner, labelled_world):
    drafted = runner.invoke(args=["rules", "draft", "--set", "thresholds.auto_approve_below=0"])
    assert drafted.exit_code == 0, drafted.output
    result = runner.invoke(args=["rules", "backtest", "draft", "--since", "2026-10-01", "--until", "2026-10-02"])
    assert result.exit_code == 0, result.output
    assert f"version 2 vs active 1 over {HONEST + FARM} labelled proofs ({FARM} rejected)" in result.output
    assert f"precision {100 * FARM / (HONEST + FARM):.1f}%  recall 100.0%" in result.output
    assert "review load 12.0 per day over 1 day(s)" in result.output and "money held" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Backtest)) == 1
    bad = runner.invoke(args=["rules", "backtest", "active", "--since", "yesterday"])
    assert bad.exit_code != 0 and "not a date" in bad.output
    empty = runner.invoke(args=["rules", "backtest", "active", "--since", "2020-01-01", "--until", "2020-01-02"])
    assert empty.exit_code != 0 and "no labelled proofs" in empty.output
    kept = db.session.scalars(sa.select(Backtest).order_by(Backtest.id.desc())).first()
    assert kept.status == "failed" and "no labelled proofs" in kept.error  # not "queued" for ever
    assert db.session.get(Task, kept.task_id).status == "failed"


def test_the_backtest_list_shows_unfinished_and_failed_backtests(client, login, labelled_world):
    login("operator")
    period = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC))
    backtest.start(versions.resolve("active"), *period, None)  # queued, no figures yet
    backtest.finish(backtest.start(versions.resolve("active"), *period, None), None, error="stopped")
    db.session.commit()
    page = client.get("/rules/backtests")
    assert page.status_code == 200 and page.get_data(as_text=True).count("<td class=\"num\">–</td>") == 4


def test_one_pass_and_point_in_time_agree_on_labels_and_both_flag_the_farm(app, labelled_world):
    stepped = backtest.run_backtest(versions.resolve("active"), SINCE, UNTIL)
    one_pass = backtest.run_backtest(versions.resolve("active"), SINCE, UNTIL, chunk_hours=0)
    assert (stepped["chunk_hours"], one_pass["chunk_hours"]) == (24.0, 0)
    assert one_pass["proofs"] == stepped["proofs"] and one_pass["recall"] == stepped["recall"] == 1.0


@pytest.mark.parametrize(("setting", "runs"), [({"thresholds.hold_at_or_above": 0.9}, 1),
                                               ({"combine.model_weight": 0.5}, 1),
                                               ({"ip.shared_accounts.weight": 0.9}, 2),
                                               ({"ip.shared_accounts.min_accounts": 2}, 2)])
def test_versions_that_differ_only_in_routing_share_one_rules_run(app, labelled_world, staff, monkeypatch,
                                                                  setting, runs):
    calls = []
    real = backtest.point_in_time_many
    monkeypatch.setattr(backtest, "point_in_time_many",
                        lambda context, configs, *a, **k: calls.extend(configs) or real(context, configs, *a, **k))
    draft = versions.create_draft(versions.resolve("active"), setting, staff("operator"))
    db.session.commit()
    shared = backtest.run_backtest(draft, SINCE, UNTIL)
    assert len(calls) == runs
    # the same routes as the draft evaluated on its own
    _, context = backtest.labels_and_context(SINCE, UNTIL, backtest.Timings())
    alone = backtest.evaluate_configs([versions.checked(draft)], context)[0]
    assert alone["route"].value_counts().to_dict() == \
        {k: v for k, v in {"hold": shared["held"], "review": shared["flagged"] - shared["held"],
                           "auto_approve": shared["auto_approved"]}.items() if v}


def test_cli_try_prints_both_versions_and_timings(app, runner, labelled_world):
    assert runner.invoke(args=["rules", "draft", "--set", "thresholds.auto_approve_below=0"]).exit_code == 0
    result = runner.invoke(args=["rules", "try", "p1", "--repeat", "3"])
    assert result.exit_code == 0, result.output
    active, draft, timing = result.output.strip().splitlines()
    assert active.startswith("v1") and "auto_approve" in active
    assert draft.startswith("v2") and "review" in draft
    assert "over 3 run(s)" in timing
    assert runner.invoke(args=["rules", "try", "nope"]).exit_code != 0


def test_cli_try_warm_runs_the_web_warm_up_first(app, runner, labelled_world):
    result = runner.invoke(args=["rules", "try", "p1", "--version", "active", "--repeat", "2", "--warm"])
    assert result.exit_code == 0, result.output
    warmed, active, draft, timing = result.output.strip().splitlines()
    assert warmed.startswith("warmed up in") and "try on one proof (proof p" in warmed
    assert active.startswith("v1") and "over 2 run(s)" in timing


def test_warm_try_writes_nothing_and_works_without_proofs(app, labelled_world):
    import sqlalchemy as sa

    from app.platform.warmup import run_warm_ups
    from models import AuditEvent, ProofScore, db

    def counts() -> tuple[int, int]:
        return (db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)),
                db.session.scalar(sa.select(sa.func.count()).select_from(ProofScore)))
    before = counts()
    said = run_warm_ups("web_warm_ups")
    assert "try on one proof (proof p12)" in said  # the newest proof, scored by the active version
    assert any(s.endswith("reason templates") for s in said)  # the proof page's reasons in Chinese
    assert counts() == before


def test_warm_try_on_an_empty_database_warms_the_patterns_only(app):
    from app.rules.services.try_proof import warm_try

    assert warm_try() == "user-agent patterns"


def test_the_label_is_the_newest_human_or_imported_decision_of_the_period(app, labelled_world):
    """p1 approved at import, then rejected by a person: rejected; p2 approved at import, then rejected by
    the system (not a label): approved. The query differs by database (DISTINCT ON on PostgreSQL)."""
    later = datetime(2026, 10, 5, tzinfo=UTC)
    db.session.add_all([ReviewDecision(proof_id="p1", decision="rejected", actor_kind="human", decided_at=later),
                        ReviewDecision(proof_id="p2", decision="rejected", actor_kind="system", decided_at=later)])
    db.session.commit()
    frame = backtest.labelled_window(SINCE, UNTIL)
    assert frame.index.tolist() == sorted(labelled_world)
    assert frame.loc["p1", "label"] == 1 and frame.loc["p2", "label"] == 0
    assert int(frame["label"].sum()) == FARM + 1
    assert set(frame["day"]) == {"2026-10-01"} and (frame["reward_cents"] > 0).all()
    assert backtest.labelled_window(UNTIL, datetime(2026, 10, 9, tzinfo=UTC)).empty


def test_the_context_targets_exactly_the_labelled_proofs(app, runner, world):
    """On PostgreSQL the labels come from a second connection while the proofs load; either way the
    context holds every stored proof, the labelled ones its targets."""
    honest_world(world, 4).add("decisions", f.decision(proof_id="p1"), f.decision(proof_id="p3", decision="rejected"))
    assert runner.invoke(args=["import", str(world.write())]).exit_code == 0
    timings = backtest.Timings()
    frame, context = backtest.labels_and_context(SINCE, UNTIL, timings)
    targets = context.proofs.loc[context.proofs["is_target"].to_numpy(), "proof_id"]
    assert sorted(targets) == frame.index.tolist() == ["p1", "p3"] and frame["label"].tolist() == [0, 1]
    assert sorted(context.proofs["proof_id"]) == ["p1", "p2", "p3", "p4"]
    assert set(timings.stages) == {"labels", "load"}
    with pytest.raises(backtest.BacktestError, match="no labelled proofs"):
        backtest.labels_and_context(UNTIL, datetime(2026, 10, 9, tzinfo=UTC), backtest.Timings())
