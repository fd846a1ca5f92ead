"""Shadow mode: a draft scores live traffic beside the active version, and nothing it says moves a proof."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.rules.jobs import enqueue_shadow_catch_up
from app.rules.services import shadow, versions
from models import AuditEvent, DomainError, Proof, ProofScore, ReviewItem, RuleSet, ShadowScore, db
from tests import factories as f
from tests.factories import WorldBuilder
from tests.ml.worlds import COMMENTS


def _live_traffic(runner, tmp_path, n: int = 4) -> list[str]:
    """New honest proofs arriving (and scored) after the shadow started."""
    world = WorldBuilder(tmp_path / "live")
    world.add("workers", *(f.worker(id=f"lw{i}", phone=f"+86139001390{i:02d}") for i in range(n)))
    world.add("proofs", *(f.proof(id=f"live{i}", worker_id=f"lw{i}", ip=f"223.105.{i}.9",
                                  screenshot_sha256=f"{i:063x}f",
                                  screenshot_phash=f"{(i + 40) * 0x7654321:016x}", comment_text=COMMENTS[i],
                                  device=f.device(fingerprint=f"live-{i}", canvas_hash=f"lc{i}")) for i in range(n)))
    assert runner.invoke(args=["import", str(world.write())]).exit_code == 0
    return [f"live{i}" for i in range(n)]


def _state() -> tuple:
    """Everything routing and money read: scores, proof states, review items."""
    return (sorted(db.session.execute(sa.select(ProofScore.proof_id, ProofScore.route, ProofScore.risk_score))),
            sorted(db.session.execute(sa.select(Proof.id, Proof.state))),
            sorted(db.session.execute(sa.select(ReviewItem.proof_id, ReviewItem.queue, ReviewItem.status))))


@pytest.fixture()
def shadow_draft(app, labelled_world, staff):
    """A draft that sends everything to a person, in shadow."""
    draft = versions.create_draft(versions.resolve("active"), {"thresholds.auto_approve_below": 0.0},
                                  staff("operator"))
    shadow.start(draft, None)
    db.session.commit()
    return draft


def test_only_a_draft_runs_in_shadow_and_one_at_a_time(app, labelled_world, staff):
    user = staff("operator")
    with pytest.raises(DomainError, match="only a draft"):
        shadow.start(versions.resolve("active"), user)
    first = versions.create_draft(versions.resolve("active"), {"thresholds.hold_at_or_above": 0.8}, user)
    second = versions.create_draft(versions.resolve("active"), {"thresholds.hold_at_or_above": 0.9}, user)
    shadow.start(first, user)
    shadow.start(second, user)
    db.session.commit()
    assert (first.status, second.status) == ("draft", "shadow") and shadow.current().version == second.version
    actions = list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "ruleset")
                                      .order_by(AuditEvent.id)))
    assert actions[-3:] == ["ruleset.shadow_started", "ruleset.shadow_stopped", "ruleset.shadow_started"]
    assert versions.resolve("shadow").version == second.version


def test_live_proofs_are_shadow_scored_as_they_are_scored_without_moving_anything(app, runner, tmp_path,
                                                                                  shadow_draft):
    assert shadow.pending_ids(shadow_draft) == []  # scored before the shadow started
    live = _live_traffic(runner, tmp_path)  # imported and scored: the shadow follows (no Redis: right here)
    assert shadow.pending_ids(shadow_draft) == []
    rows = {r.proof_id: r for r in db.session.scalars(sa.select(ShadowScore))}
    assert set(rows) == set(live)
    for pid in live:
        stored = db.session.get(ProofScore, pid)
        assert (rows[pid].active_route, rows[pid].active_version) == (stored.route, 1)
        assert rows[pid].route in ("review", "hold")  # the draft sends everything to a person
    report = shadow.comparison(shadow_draft)
    moved = sum(1 for pid in live if rows[pid].active_route == "auto_approve")
    assert moved and report["disagree"] == moved and report["scored"] == len(live)
    assert report["agree"] == round(1 - moved / len(live), 4)
    assert {(c["active"], c["shadow"]) for c in report["matrix"]} >= {("auto_approve", "review")}


def test_a_lost_shadow_job_is_found_by_the_catch_up_and_nothing_moves(app, runner, tmp_path, shadow_draft):
    app.extensions["hooks"] = {}  # as if the shadow jobs were lost with Redis
    live = _live_traffic(runner, tmp_path)
    assert shadow.pending_ids(shadow_draft) == live
    before = _state()
    enqueue_shadow_catch_up()  # no Redis: runs here
    db.session.expire_all()
    assert _state() == before and shadow.pending_ids(shadow_draft) == []
    assert enqueue_shadow_catch_up() is None and db.session.scalar(
        sa.select(sa.func.count()).select_from(ShadowScore)) == len(live)  # twice changes nothing


def test_a_failing_shadow_never_fails_scoring(app, runner, tmp_path, shadow_draft, monkeypatch):
    def broken(*_args):
        raise RuntimeError("shadow broke")
    monkeypatch.setattr(shadow, "score", broken)
    live = _live_traffic(runner, tmp_path)
    assert {pid: db.session.get(ProofScore, pid) is not None for pid in live} == dict.fromkeys(live, True)


def test_a_shadow_version_can_be_published_by_a_second_operator(app, shadow_draft, staff):
    versions.publish(shadow_draft, staff("operator", "checker@example.test"))
    db.session.commit()
    assert shadow.current() is None and versions.resolve("active").version == shadow_draft.version


def test_shadow_commands(app, runner, tmp_path, labelled_world):
    assert runner.invoke(args=["rules", "draft", "--set", "thresholds.auto_approve_below=0"]).exit_code == 0
    started = runner.invoke(args=["rules", "shadow", "start", "draft"])
    assert started.exit_code == 0 and "version 2 runs in shadow" in started.output
    app.extensions["hooks"] = {}  # shadow jobs lost: `rules shadow run` catches up
    live = _live_traffic(runner, tmp_path)
    ran = runner.invoke(args=["rules", "shadow", "run"])
    assert ran.exit_code == 0 and f"{len(live)} proofs to shadow-score with version 2" in ran.output
    report = runner.invoke(args=["rules", "shadow", "report"])
    assert f"{len(live)} proofs shadow-scored, 0 pending" in report.output and "agreement" in report.output
    stopped = runner.invoke(args=["rules", "shadow", "stop"])
    assert stopped.exit_code == 0
    assert db.session.scalar(sa.select(RuleSet.status).where(RuleSet.version == 2)) == "draft"
    assert runner.invoke(args=["rules", "shadow", "run"]).exit_code != 0  # nothing in shadow


def test_shadow_pages(client, login, runner, tmp_path, labelled_world):
    user = login("operator")
    assert b'id="no-shadow"' in client.get("/rules/shadow").data
    assert client.post("/rules/shadow/run", data={"submit": "1"}).status_code == 404  # nothing in shadow
    versions.create_draft(versions.resolve("active"), {"thresholds.auto_approve_below": 0.0}, user)
    db.session.commit()
    assert client.post("/rules/versions/2/shadow", data={"submit": "1"}).status_code == 302
    _live_traffic(runner, tmp_path)
    assert client.post("/rules/shadow/run", data={"submit": "1"}).status_code == 302
    asked = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "shadow.catch_up_requested"))
    assert (asked.actor_id, asked.object_id) == (user.id, "2")
    page = client.get("/rules/shadow").data.decode()
    assert 'id="agreement"' in page and 'id="matrix"' in page and "/rules/try?proof=live" in page
    disagreements = page[page.index('id="disagreements"'):]
    assert "auto_approve (" not in disagreements and "auto-approve (" in disagreements  # routes in words
    assert client.post("/rules/shadow/stop", data={"submit": "1"}).status_code == 302
    assert shadow.current() is None
    assert client.post("/logout", data={"submit": "1"}).status_code == 302
    login("moderator")
    assert client.get("/rules/shadow").status_code == 403
    assert client.post("/rules/versions/2/shadow", data={"submit": "1"}).status_code == 403
