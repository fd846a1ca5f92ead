"""Scores that stay current: a new rule set or model reaches every proof still waiting for a decision."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.platform.audit import record
from app.review.services.decisions import decide
from app.scoring.jobs import enqueue_stale_rescore
from app.scoring.services.staleness import active_versions, stale_ids
from models import AuditEvent, ModelVersion, Proof, ProofScore, ReviewDecision, ReviewItem, RuleSet, Task, db, utcnow
from tests.ml.worlds import honest_world

HOLD_EVERYTHING = {"thresholds": {"auto_approve_below": 0.0, "hold_at_or_above": 0.0}}


@pytest.fixture()
def scored_world(runner, world):
    """Six clean proofs scored by the default rule set (v1): every one approved by policy."""
    honest_world(world, 6)
    result = runner.invoke(args=["import", str(world.write())])
    assert result.exit_code == 0, result.output
    assert _states() == {f"p{i}": "approved" for i in range(1, 7)}
    return [f"p{i}" for i in range(1, 7)]


def publish(config: dict) -> int:
    """Make a new rule-set version active (what the operators' publish does), retiring the old one."""
    version = (db.session.scalar(sa.select(sa.func.max(RuleSet.version))) or 0) + 1
    db.session.execute(sa.update(RuleSet).where(RuleSet.status == "active").values(status="retired"))
    db.session.add(RuleSet(version=version, status="active", config=config))
    db.session.commit()
    return version


def _states() -> dict[str, str]:
    return dict(db.session.execute(sa.select(Proof.id, Proof.state)).all())


def _versions() -> dict[str, tuple[int | None, str | None]]:
    return {pid: (rv, mv) for pid, rv, mv in db.session.execute(
        sa.select(ProofScore.proof_id, ProofScore.ruleset_version, ProofScore.model_version))}


def _reopen(pid: str, staff_user) -> None:  # noqa: ANN001
    """Put a policy approval back in review (as a QA reopen does), so it waits for a person."""
    proof = db.session.get(Proof, pid)
    proof.transition("in_review")
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == pid))
    item.queue, item.status = "review", "open"
    db.session.commit()


def _age_decisions(pid: str, hours: int) -> None:
    db.session.execute(sa.update(ReviewDecision).where(ReviewDecision.proof_id == pid)
                       .values(decided_at=utcnow() - timedelta(hours=hours)))
    db.session.commit()


def test_stale_means_an_old_version_on_a_proof_still_waiting(app, scored_world, staff):
    moderator = staff("moderator")
    _reopen("p1", moderator)  # waiting in review
    _reopen("p2", moderator)
    decide(db.session.get(Proof, "p2"), "approved", actor=moderator)  # a person decided: final
    _age_decisions("p3", app.config["SETTLEMENT_HOLD_HOURS"] + 1)  # policy approval past its hold window
    db.session.execute(sa.update(Proof).where(Proof.id == "p4").values(state="settled"))
    record("proof.qa_confirmed", "proof", "p5", actor_label="qa")  # the hash chain takes events through record()
    db.session.commit()
    assert stale_ids(active_versions(), utcnow(), app.config["SETTLEMENT_HOLD_HOURS"]) == []
    publish({})
    # p6: a policy approval inside the hold window nobody has confirmed.
    assert stale_ids(active_versions(), utcnow(), app.config["SETTLEMENT_HOLD_HOURS"]) == ["p1", "p6"]


def test_a_new_model_makes_waiting_scores_stale(app, scored_world, staff):
    _reopen("p1", staff("moderator"))
    db.session.add(ModelVersion(version="m-new", status="active", artifact_path="x", sha256="0" * 64))
    db.session.commit()
    assert active_versions().model == "m-new"
    assert "p1" in stale_ids(active_versions(), utcnow(), app.config["SETTLEMENT_HOLD_HOURS"])


def test_publishing_rescores_the_backlog_pulls_back_policy_approvals_and_leaves_decided_ones(
        app, scored_world, staff, runner):
    moderator = staff("moderator")
    _reopen("p1", moderator)
    _reopen("p2", moderator)
    decide(db.session.get(Proof, "p2"), "approved", actor=moderator)
    db.session.commit()
    settled = runner.invoke(args=["settle"])  # p2 (a person's approval) settles at once
    assert settled.exit_code == 0, settled.output
    assert _states()["p2"] == "settled"
    version = publish(HOLD_EVERYTHING)

    task = enqueue_stale_rescore("rule set published")
    assert task.status == "done" and task.done == 5, task.message

    states, versions = _states(), _versions()
    assert states["p2"] == "settled" and versions["p2"][0] == 1  # money moved: never rescored
    assert states["p1"] == "in_review" and versions["p1"][0] == version
    for pid in ("p3", "p4", "p5", "p6"):  # policy approvals inside the hold window: back to a person
        assert states[pid] == "in_review" and versions[pid][0] == version
    items = {i.proof_id: (i.queue, i.status) for i in db.session.scalars(sa.select(ReviewItem))}
    assert items["p1"] == ("hold", "open") and items["p4"] == ("hold", "open")
    reopened = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "proof.reopened"))
    assert reopened.data["from"] == "rescore" and set(reopened.data["proof_ids"]) == {"p3", "p4", "p5", "p6"}
    assert stale_ids(active_versions(), utcnow(), app.config["SETTLEMENT_HOLD_HOURS"]) == []

    again = enqueue_stale_rescore("run twice")  # nothing left: a second run rescores nothing
    assert again.status == "done" and again.done == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == 2


def test_a_rescore_that_fails_ends_its_task_failed_not_running(app, scored_world, monkeypatch):
    from app.scoring import jobs

    publish(HOLD_EVERYTHING)

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("worker lost its database")
    monkeypatch.setattr(jobs, "rescore_stale", broken)
    with pytest.raises(RuntimeError):
        enqueue_stale_rescore("rule set published")
    task = db.session.scalar(sa.select(Task).order_by(Task.id.desc()))
    assert task.status == "failed" and task.finished_at is not None
    assert "worker lost its database" in task.message and task.message.startswith("rule set published")


def test_a_rescore_that_now_approves_by_policy_takes_an_open_item_only(app, scored_world, staff):
    moderator = staff("moderator")
    publish(HOLD_EVERYTHING)
    enqueue_stale_rescore("hold everything")
    assert set(_states().values()) == {"in_review"}
    claimed = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == "p1"))
    claimed.status, claimed.claimed_by, claimed.claimed_at = "claimed", moderator.id, utcnow()
    decide(db.session.get(Proof, "p2"), "escalated", actor=moderator)
    db.session.commit()
    publish({})  # the default thresholds again: clean proofs are low risk
    enqueue_stale_rescore("back to defaults")
    states = _states()
    assert states["p1"] == "in_review"  # a moderator holds it: the policy does not take it away
    assert states["p2"] == "in_review"  # escalated by a person: the seniors decide
    assert db.session.scalar(sa.select(ReviewItem.queue).where(ReviewItem.proof_id == "p2")) == "senior"
    assert {states[p] for p in ("p3", "p4", "p5", "p6")} == {"approved"}
    kinds = set(db.session.scalars(sa.select(ReviewDecision.actor_kind).where(ReviewDecision.proof_id == "p3")))
    assert kinds == {"system"}


def test_flask_score_says_how_many_were_unscored_and_how_many_stale(app, runner, world, staff):
    honest_world(world, 3)
    assert runner.invoke(args=["import", str(world.write()), "--no-score"]).exit_code == 0
    first = runner.invoke(args=["score"])
    assert "scored 3 unscored proofs" in first.output and "rescored 0 stale proofs" in first.output
    _reopen("p1", staff("moderator"))
    publish({})
    second = runner.invoke(args=["score"])
    assert second.exit_code == 0, second.output
    assert "scored 0 unscored proofs" in second.output and "rescored 3 stale proofs" in second.output
    assert "nothing to score" in runner.invoke(args=["score"]).output


def test_the_proof_page_says_a_newer_rule_set_is_active(app, client, auth, scored_world, staff):
    user = staff("moderator")
    _reopen("p1", user)
    auth.login(user.email)
    page = client.get("/queue/proofs/p1").get_data(as_text=True)
    assert "score-origin" in page and "Stale:" not in page
    publish({})
    page = client.get("/queue/proofs/p1").get_data(as_text=True)
    assert "rule set v2 is active" in page
