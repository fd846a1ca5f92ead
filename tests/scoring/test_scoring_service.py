"""Scoring through the database: rule set seeding, context building, stored scores, reasons and routes."""
from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from app.scoring.services.context import build_context, load_all_context
from app.scoring.services.rulesets import RuleSetError, ensure_default_ruleset, load_active_rules
from app.scoring.services.scoring import compute_scores
from models import AuditEvent, Proof, ProofScore, ReviewDecision, RuleSet, db
from tests import factories as f


def phash(i: int) -> str:
    """Perceptual hashes far apart from each other (a multiplicative hash of i)."""
    return f"{(0x9E3779B97F4A7C15 * (i + 1)) % 2**64:016x}"


def _world(world, farm: int = 8):  # noqa: ANN001, ANN202
    """Three honest proofs, a device farm sharing one fingerprint, and a screenshot already paid."""
    world.basic(proofs=0).add("workers", *(f.worker(id=f"w{i}", phone=f"+86138001380{i:02d}") for i in range(1, 15)))
    honest = [f.proof(id=f"h{i}", worker_id=f"w{i}", ip=f"223.104.3.{i}", screenshot_sha256=f"{i:064x}",
                      screenshot_phash=phash(i), comment_text=text,
                      device=f.device(fingerprint=f"fp-h{i}", canvas_hash=f"canvas-{i}", screen=f"{1000 + i}x2000"))
              for i, text in ((1, "这个颜色适合黄皮吗"), (2, "主播今天讲得很详细呀"), (3, "刚下单了期待收货"))]
    farm_rows = [f.proof(id=f"farm{i}", worker_id=f"w{4 + i}", ip=f"117.136.0.{i + 1}",
                         screenshot_sha256=f"{100 + i:064x}", screenshot_phash=phash(100 + i), comment_text=f"打卡{i}",
                         device=f.device(fingerprint="fp-farm")) for i in range(farm)]
    shot = {"screenshot_sha256": "e" * 64, "screenshot_phash": phash(7)}
    paid = f.proof(id="paid", worker_id="w13", ip="223.104.9.9", device=f.device(fingerprint="fp-paid"),
                   submitted_at="2026-10-01T20:03:00+08:00", **shot)
    again = f.proof(id="again", worker_id="w14", ip="223.104.9.10", device=f.device(fingerprint="fp-again"), **shot)
    world.add("proofs", *honest, *farm_rows, paid, again)
    world.add("decisions", f.decision(proof_id="paid", decision="approved"))
    return world.write()


def test_import_scores_every_proof_with_the_default_rule_set(runner, world):
    result = runner.invoke(args=["import", str(_world(world))])
    assert result.exit_code == 0, result.output
    rows = {s.proof_id: s for s in db.session.scalars(sa.select(ProofScore))}
    assert set(rows) == {"h1", "h2", "h3", *(f"farm{i}" for i in range(8)), "paid", "again"}
    ruleset = db.session.scalar(sa.select(RuleSet))
    assert (ruleset.version, ruleset.status) == (1, "active")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "ruleset.created")) == 1
    for score in rows.values():
        assert score.ruleset_version == 1 and score.model_score is None and score.degraded is False
        assert 0.0 <= score.risk_score <= 1.0 and score.route in ("auto_approve", "review", "hold")
        assert score.reasons == ";".join(s["code"] for s in score.signals)
    assert rows["h1"].route == "auto_approve" and rows["h1"].reasons == ""
    farm = rows["farm0"]
    assert "device.shared_fingerprint" in farm.reasons.split(";") and farm.route == "hold"
    assert any("fingerprint seen on 8 accounts" in s["reason"] for s in farm.signals)
    assert rows["again"].route == "hold"
    assert any(s["code"] == "content.screenshot_reuse" and "already approved" in s["reason"]
               for s in rows["again"].signals)
    assert db.session.get(Proof, "h1").state == "approved"  # low risk: approved by policy
    assert db.session.get(Proof, "farm0").state == "in_review"


def test_one_proof_context_brings_its_linked_history(runner, world):
    runner.invoke(args=["import", "--no-score", str(_world(world))])
    context = build_context(["farm0"])
    proofs = context.proofs.set_index("proof_id")
    assert proofs["is_target"].sum() == 1 and bool(proofs.loc["farm0", "is_target"])
    assert {f"farm{i}" for i in range(8)} <= set(proofs.index)
    assert str(proofs["submitted_at"].dtype).startswith("datetime64") and str(proofs["submitted_at"].dt.tz) == "UTC"
    assert proofs.loc["farm0", "brand_id"] == "b1" and proofs.loc["farm0", "worker_region"] == "CN-GD"
    assert set(context.sessions["room_id"]) == {"r1"}


def test_context_times_are_the_stored_instants_to_the_microsecond(runner, world):
    runner.invoke(args=["import", "--no-score", str(_world(world))])
    db.session.execute(sa.update(Proof).where(Proof.id == "paid").values(
        started_at=None, accepted_at=datetime(2026, 10, 1, 12, 0, 7, 123456, tzinfo=UTC)))
    context = build_context(["again"])
    proofs = context.proofs.set_index("proof_id")
    assert "paid" in proofs.index  # the same screenshot file
    for pid in proofs.index:
        stored = db.session.get(Proof, pid)
        for column in ("accepted_at", "started_at", "submitted_at"):
            read, kept = proofs.loc[pid, column], getattr(stored, column)
            assert (pd.isna(read) and kept is None) or read == pd.Timestamp(kept).tz_convert("UTC"), (pid, column)
    assert proofs.loc["paid", "accepted_at"] == pd.Timestamp("2026-10-01T12:00:07.123456Z")
    assert pd.isna(proofs.loc["paid", "started_at"])
    decided = context.decisions.set_index("proof_id")["decided_at"]
    paid_decision = db.session.scalar(sa.select(ReviewDecision.decided_at).where(ReviewDecision.proof_id == "paid"))
    assert str(decided.dt.tz) == "UTC" and decided["paid"] == pd.Timestamp(paid_decision).tz_convert("UTC")


def test_linked_accounts_bring_their_recent_history_strongest_link_first(runner, world):
    """A shared device outranks a shared address: with room for one linked account, only the device
    sharer's other proofs come along; with room for two, the address sharer's do too."""
    def proof(pid: str, worker: str, fp: str, ip: str, at: str, campaign: str = "c2") -> dict:
        return f.proof(id=pid, worker_id=worker, campaign_id=campaign, ip=ip, submitted_at=at,
                       accepted_at="2026-10-01T19:00:00+08:00", started_at="2026-10-01T19:01:00+08:00",
                       screenshot_sha256=pid.ljust(64, "0").encode().hex()[:64], screenshot_phash=phash(len(pid) * 7),
                       device=f.device(fingerprint=fp))

    world.basic(proofs=0).add("campaigns", f.campaign(id="c2"))
    world.add("workers", *(f.worker(id=w, phone=f"+861380013{k:04d}") for k, w in enumerate(("wt", "ws", "wa"))))
    world.add("proofs",
              proof("t", "wt", "fp-t", "203.0.113.5", "2026-10-01T20:05:00+08:00", campaign="c1"),
              proof("s1", "ws", "fp-t", "198.51.100.7", "2026-10-03T10:00:00+08:00"),  # same device
              proof("s2", "ws", "fp-s", "198.51.100.8", "2026-10-04T10:00:00+08:00"),  # only as linked history
              proof("a1", "wa", "fp-a", "203.0.113.5", "2026-10-02T10:00:00+08:00"),  # same address
              proof("a2", "wa", "fp-a2", "198.51.100.9", "2026-10-05T10:00:00+08:00"))  # only as linked history
    runner.invoke(args=["import", "--no-score", str(world.write())])

    def context_ids(room: int) -> set[str]:
        return set(build_context(["t"], linked_workers_per_proof=room).proofs["proof_id"])

    assert context_ids(0) == {"t", "s1", "a1"}
    assert context_ids(1) == {"t", "s1", "a1", "s2"}
    assert context_ids(2) == {"t", "s1", "a1", "s2", "a2"}


def test_busy_lookups_are_capped_closest_in_time_first(runner, world):
    """A hot campaign brings only its proofs closest in time to the target (the newest, for a fresh
    proof; both sides, for one rescored later), and a linked account only its closest recent proofs."""
    def proof(pid: str, worker: str, at: str, campaign: str = "c1", fp: str | None = None) -> dict:
        return f.proof(id=pid, worker_id=worker, campaign_id=campaign, submitted_at=at,
                       ip=f"198.51.{sum(map(ord, pid))}.7",  # a /24 of its own: no network link
                       accepted_at="2026-10-01T18:00:00+08:00", started_at="2026-10-01T18:01:00+08:00",
                       screenshot_sha256=pid.ljust(64, "0").encode().hex()[:64], screenshot_phash=phash(len(pid) * 7),
                       device=f.device(fingerprint=fp or f"fp-{pid}"))

    crowd = [f"wc{k}" for k in range(5)]
    world.basic(proofs=0).add("campaigns", f.campaign(id="c2"))
    world.add("workers", *(f.worker(id=w, phone=f"+861380014{k:04d}") for k, w in enumerate(["wt", "wl", *crowd])))
    world.add("proofs", proof("t", "wt", "2026-10-01T20:05:00+08:00", fp="fp-t"),
              *(proof(f"c{k}", w, f"2026-10-01T19:{10 + 10 * k}:00+08:00") for k, w in enumerate(crowd)),
              proof("l0", "wl", "2026-09-29T10:00:00+08:00", campaign="c2", fp="fp-t"),  # shares the device
              *(proof(f"l{k}", "wl", f"2026-09-{29 - k}T09:00:00+08:00", campaign="c2") for k in range(1, 4)))
    result = runner.invoke(args=["import", "--no-score", str(world.write())])
    assert result.exit_code == 0, result.output

    def context_ids(**caps: int) -> set[str]:
        return set(build_context(["t"], **caps).proofs["proof_id"])

    everything = {"t", "c0", "c1", "c2", "c3", "c4", "l0", "l1", "l2", "l3"}
    assert context_ids() == everything
    # the target is the campaign's newest proof, so it takes one of the three places
    assert context_ids(campaign_rows_per_proof=3, linked_workers_per_proof=0) == {"t", "c3", "c4", "l0"}
    assert context_ids(linked_rows_per_account=2, linked_workers_per_proof=1) == everything - {"l2", "l3"}
    rescored = build_context(["c2"], campaign_rows_per_proof=3, linked_workers_per_proof=0)
    assert set(rescored.proofs["proof_id"]) == {"c1", "c2", "c3"}  # 10 min either side; t is 35 min later


def test_single_and_batch_scoring_agree(runner, world):
    runner.invoke(args=["import", "--no-score", str(_world(world))])
    alone = compute_scores(["farm2"]).set_index("proof_id")
    together = compute_scores(["h1", "farm2", "again"], context=load_all_context()).set_index("proof_id")
    assert alone.loc["farm2", "reasons"] == together.loc["farm2", "reasons"]
    assert alone.loc["farm2", "risk_score"] == pytest.approx(together.loc["farm2", "risk_score"])
    assert list(together.index) == ["h1", "farm2", "again"]


def test_unknown_ids_are_skipped(runner, world):
    runner.invoke(args=["import", "--no-score", str(_world(world))])
    scores = compute_scores(["nope", "h2"])
    assert scores["proof_id"].tolist() == ["h2"]
    assert compute_scores([]).empty


def test_default_rule_set_is_created_once(app):
    first = ensure_default_ruleset()
    second = ensure_default_ruleset()
    db.session.commit()
    assert first.id == second.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RuleSet)) == 1


def test_an_invalid_stored_rule_set_fails_naming_the_parameter(app):
    row = ensure_default_ruleset()
    config = dict(row.config)
    config["signals"] = {**config["signals"], "device.shared_fingerprint": {
        "enabled": True, "weight": 0.7, "params": {"min_accounts": -4}}}
    row.config = config
    db.session.commit()
    with pytest.raises(RuleSetError, match=r"version 1 .*device.shared_fingerprint.params.min_accounts"):
        load_active_rules()


def test_rescoring_keeps_one_score_per_proof(runner, world):
    runner.invoke(args=["import", str(_world(world))])
    result = runner.invoke(args=["score", "--all"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProofScore)) == 13


def test_the_active_rule_set_is_checked_once_per_text_and_read_only(app):
    first, again = load_active_rules(), load_active_rules()
    assert again.config is first.config
    with pytest.raises(TypeError, match="read-only"):
        first.config["thresholds"]["hold_at_or_above"] = 0.1
    row = ensure_default_ruleset()
    row.config = {**row.config, "thresholds": {"auto_approve_below": 0.2, "hold_at_or_above": 0.9}}
    db.session.commit()
    changed = load_active_rules()
    assert changed.config is not first.config and changed.config["thresholds"]["hold_at_or_above"] == 0.9
