"""The cluster of a proof: who is linked, by what, and what a bulk action over it would touch."""
from __future__ import annotations

import pytest

from app.review.services.cluster import build_cluster, preview
from models import Proof, db
from tests.review.cluster_world import ring_world


@pytest.fixture()
def ring(runner, world):  # noqa: ANN001, ANN201
    ring_world(world)
    result = runner.invoke(args=["import", str(world.write()), "--no-score"])
    assert result.exit_code == 0, result.output


def test_cluster_follows_device_screenshot_and_comment_links_but_not_a_gateway(ring):
    found = build_cluster("p1a")
    assert set(found.accounts) == {"w1", "w2", "w3", "w4", "w6"}
    assert found.accounts["w4"].depth == 2  # reached through w3's screenshot, not from w1 directly
    kinds = {(t.kind, frozenset(t.workers)) for t in found.traits}
    assert ("device", frozenset({"w1", "w2", "w3"})) in kinds
    assert ("screenshot", frozenset({"w3", "w4"})) in kinds
    assert ("comment", frozenset({"w1", "w6"})) in {(k, w) for k, w in kinds if k == "comment"}
    assert not any(t.kind == "address" for t in found.traits)  # 47.96.1.10 is a data centre: not a home


def test_cluster_lists_every_proof_with_its_outcome(ring):
    found = build_cluster("p2a")
    by_id = {p.proof_id: p for p in found.proofs}
    # Comments and lockstep are compared around the seed account only (w2 wrote none), so w6 stays out.
    assert set(found.accounts) == {"w1", "w2", "w3", "w4"}
    assert len(by_id) == 8
    assert by_id["p2b"].state == "rejected" and by_id["p2b"].reason_code == "fraud_device_farm"
    assert not by_id["p2b"].pending and by_id["p1a"].pending
    assert found.accounts["w2"].rejected == 1 and found.accounts["w2"].pending == 1
    assert found.accounts["w1"].pending_cents == 800


def test_preview_counts_waiting_proofs_workers_and_money(ring):
    found = build_cluster("p1a")
    whole = preview(found)
    assert (whole.proofs, whole.workers, whole.cents) == (9, 5, 9 * 400 - 100)
    some = preview(found, ["p1a", "p2b", "p4b", "p4b", "nope"])
    assert (some.proofs, some.workers, some.cents, some.skipped) == (2, 2, 800, 1)
    assert some.proof_ids == ("p1a", "p4b")


def test_an_isolated_account_is_a_cluster_of_one(ring):
    found = build_cluster("p7a")
    assert list(found.accounts) == ["w7"] and found.traits == []
    assert db.session.get(Proof, "p7a").state == "received"  # reading a cluster changes nothing


def test_lockstep_and_hardware_on_one_network_link_but_not_elsewhere(runner, world):
    from tests import factories as f

    world.add("brands", f.brand()).add("rooms", f.room()).add("sessions", f.session())
    world.add("campaigns", *(f.campaign(id=f"c{n}") for n in (1, 2, 3)))
    world.add("workers", *(f.worker(id=f"w{i}", phone=f"+86138001381{i:02d}") for i in range(1, 6)))
    proofs = []
    # w1 and w2 act on the same three campaigns within minutes of each other; w3 on the same
    # campaigns hours apart; w4 has w1's handset model on w1's /24, w5 the same model elsewhere.
    for n in (1, 2, 3):
        for worker, minute, hour in (("w1", 0, 20), ("w2", 3, 20), ("w3", 0, 14)):
            proofs.append(f.proof(
                id=f"{worker}c{n}", worker_id=worker, campaign_id=f"c{n}", comment_text=None,
                submitted_at=f"2026-10-0{n}T{hour}:{10 + minute:02d}:00+08:00",
                accepted_at=f"2026-10-0{n}T{hour}:00:00+08:00", started_at=None,
                ip=f"110.{n}.{worker[1]}.1", screenshot_sha256=f"{worker[1]}{n}" * 32,
                device=f.device(fingerprint=f"fp-{worker}", canvas_hash="cv-1" if worker == "w1" else f"cv-{worker}")))
    proofs.append(f.proof(id="w4x", worker_id="w4", ip="110.1.1.200", comment_text=None, screenshot_sha256="4" * 64,
                          device=f.device(fingerprint="fp-w4", canvas_hash="cv-1")))
    proofs.append(f.proof(id="w5x", worker_id="w5", ip="58.1.1.200", comment_text=None, screenshot_sha256="5" * 64,
                          device=f.device(fingerprint="fp-w5", canvas_hash="cv-1")))
    world.add("proofs", *proofs)
    result = runner.invoke(args=["import", str(world.write()), "--no-score"])
    assert result.exit_code == 0, result.output

    found = build_cluster("w1c1")
    assert set(found.accounts) == {"w1", "w2", "w4"}
    kinds = {t.kind: t.workers for t in found.traits}
    assert kinds == {"lockstep": {"w1", "w2"}, "hardware": {"w1", "w4"}}
