"""A colluding brand stands at the top of the brands list of a simulated world."""
from __future__ import annotations

import json
from collections import Counter

import pytest
import sqlalchemy as sa

from app.compliance.services.brands import brands_by_risk
from app.compliance.services.scorecard import refresh_scorecards, weekly_trend
from models import BrandRingMember, BrandScorecard, WorkerRing, db
from scripts.simulate import SimulationOptions, generate_world


def _lines(path) -> list[dict]:  # noqa: ANN001
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _colluding_brands(world_dir) -> set[str]:  # noqa: ANN001
    campaigns = {c["id"]: c["brand_id"] for c in _lines(world_dir / "campaigns.jsonl")}
    proofs = {p["id"]: p["campaign_id"] for p in _lines(world_dir / "proofs.jsonl")}
    colluding = Counter(campaigns[proofs[label["proof_id"]]] for label in _lines(world_dir / "labels.jsonl")
                        if label["is_fraud"] and "collusion" in label["pattern"])
    return {brand for brand, n in colluding.items() if n >= 20}


@pytest.mark.parametrize("seed", [5, 23])
def test_a_colluding_brand_tops_the_risk_list_of_a_simulated_world(app, runner, tmp_path, seed):
    world = generate_world(tmp_path / "world", SimulationOptions(proofs=2500, workers=400, campaigns=12, seed=seed))
    result = runner.invoke(args=["import", world["out_dir"], "--no-score"])
    assert result.exit_code == 0, result.output
    colluding = _colluding_brands(tmp_path / "world")
    assert colluding, "the simulated world has a colluding brand"

    scored = refresh_scorecards()
    db.session.commit()
    assert scored == db.session.scalar(sa.select(sa.func.count()).select_from(BrandScorecard))
    page = brands_by_risk(1, 50)
    assert page.rows[0].id in colluding, [(r.id, r.card.risk) for r in page.rows[:4]]
    risks = [r.card.risk for r in page.rows]
    assert risks == sorted(risks, reverse=True)

    top, others = page.rows[0].card, [r.card for r in page.rows[1:]]
    # the brand's studio accounts work for nobody else
    assert top.exclusive_share > max(c.exclusive_share for c in others)
    # its linked group works for it alone; the biggest honest groups spread their work over the market
    assert top.top_ring_concentration > 0.9 > max(c.top_ring_concentration for c in others)
    weeks = weekly_trend(top.brand_id)
    assert sum(w.proofs for w in weeks) == top.proofs


def test_without_any_decision_the_colluding_brand_still_tops_the_list(app, runner, tmp_path):
    """No labels at all: nothing is rejected, so the ring share and exclusivity must carry it."""
    world = generate_world(tmp_path / "world", SimulationOptions(proofs=2500, workers=400, campaigns=12, seed=11,
                                                                 labelled_share=0.0))
    assert runner.invoke(args=["import", world["out_dir"], "--no-score"]).exit_code == 0
    colluding = _colluding_brands(tmp_path / "world")
    refresh_scorecards()
    db.session.commit()
    rows = brands_by_risk(1, 50).rows
    assert rows[0].id in colluding and all(r.card.rejected_share == 0 for r in rows)
    assert rows[0].card.ring_share > 2 * max(r.card.ring_share for r in rows if r.id not in colluding)


def test_ring_share_counts_the_brands_proofs_made_by_its_biggest_ring(app, runner, world):
    from tests.factories import brand, campaign, device, proof, room, session, worker

    world.add("brands", brand(id="b-honest", name="Honest"), brand(id="b-ring", name="Ring")).add("rooms", room())
    world.add("sessions", session()).add("campaigns", campaign(id="c-honest", brand_id="b-honest"),
                                         campaign(id="c-ring", brand_id="b-ring"))
    world.add("workers", *(worker(id=f"w{i}", phone=f"+861380013{i:04d}") for i in range(12)))
    # w0..w3 share one phone fingerprint (a ring of 4) and do 8 of b-ring's 10 proofs
    rows = [proof(id=f"r{i}", campaign_id="c-ring", worker_id=f"w{i % 4}", ip=f"223.104.{i}.9",
                  device=device(fingerprint="studio-phone")) for i in range(8)]
    rows += [proof(id=f"r{i}", campaign_id="c-ring", worker_id=f"w{i}", ip=f"223.105.{i}.9",
                   device=device(fingerprint=f"fp-{i}")) for i in (8, 9)]
    rows += [proof(id=f"h{i}", campaign_id="c-honest", worker_id=f"w{4 + i % 8}", ip=f"223.106.{i}.9",
                   device=device(fingerprint=f"fp-{4 + i % 8}")) for i in range(10)]
    world.add("proofs", *rows)
    assert runner.invoke(args=["import", str(world.write()), "--no-score"]).exit_code == 0
    refresh_scorecards()
    db.session.commit()
    ring, honest = db.session.get(BrandScorecard, "b-ring"), db.session.get(BrandScorecard, "b-honest")
    assert (ring.proofs, ring.top_ring_proofs) == (10, 8)
    assert ring.ring_share == pytest.approx(8 / (10 + 10))  # shrunk by PRIOR pseudo-proofs
    assert honest.top_ring_proofs == 0 and honest.top_ring_id is None
    assert ring.risk > honest.risk
    assert db.session.scalar(sa.select(sa.func.max(WorkerRing.ring_size))) == 4
    assert [r.id for r in brands_by_risk(1, 10).rows] == ["b-ring", "b-honest"]
    weeks = weekly_trend("b-ring")
    assert sum(w.proofs for w in weeks) == 10 and sum(w.ring_share * w.proofs for w in weeks) == pytest.approx(8)


def test_a_studio_behind_one_carrier_address_is_found_by_how_much_of_its_work_goes_to_the_brand(app, runner, world):
    """Six accounts of a studio share only carrier addresses (more accounts than a household, so the
    global linkage calls them a gateway) and do some work elsewhere to look ordinary; six honest
    strangers share a carrier address too, but work for three brands. No decisions, so nothing is
    rejected: only the concentration of a linked group tells them apart."""
    from tests.factories import brand, campaign, device, proof, room, session, worker

    world.add("brands", *(brand(id=b, name=b) for b in ("b-studio", "b-a", "b-b", "b-c"))).add("rooms", room())
    world.add("sessions", session())
    world.add("campaigns", *(campaign(id=f"c-{b}", brand_id=b) for b in ("b-studio", "b-a", "b-b", "b-c")))
    world.add("workers", *(worker(id=f"s{i}", phone=f"+861380014{i:04d}") for i in range(6)),
              *(worker(id=f"h{i}", phone=f"+861380015{i:04d}") for i in range(6)))
    rows = []
    for i in range(6):
        for k in range(5):  # 4 of 5 of the studio's completions are for its brand, on its two lines
            target = "c-b-studio" if k < 4 else "c-b-a"
            rows.append(proof(id=f"s{i}-{k}", campaign_id=target, worker_id=f"s{i}", ip=f"223.104.7.{1 + k % 2}",
                              submitted_at=f"2026-10-0{1 + k}T20:0{i}:00+08:00",
                              device=device(fingerprint=f"fp-s{i}", canvas_hash=f"cs{i}")))
        for k in range(6):  # honest strangers on one carrier address, spreading their work
            target = ("c-b-a", "c-b-b", "c-b-c")[(i + k) % 3]
            rows.append(proof(id=f"h{i}-{k}", campaign_id=target, worker_id=f"h{i}", ip="223.104.9.9",
                              submitted_at=f"2026-10-0{1 + k}T21:0{i}:00+08:00",
                              device=device(fingerprint=f"fp-h{i}", canvas_hash=f"ch{i}")))
    world.add("proofs", *rows)
    assert runner.invoke(args=["import", str(world.write()), "--no-score"]).exit_code == 0
    refresh_scorecards()
    db.session.commit()
    studio = db.session.get(BrandScorecard, "b-studio")
    assert (studio.top_ring_proofs, studio.top_ring_concentration) == (24, pytest.approx(0.8))
    assert studio.exclusive_share == 0 and studio.rejected_share == 0
    honest = [db.session.get(BrandScorecard, b) for b in ("b-a", "b-b", "b-c")]
    assert all(c.top_ring_concentration < 0.5 for c in honest if c.top_ring_id is not None)
    assert brands_by_risk(1, 10).rows[0].id == "b-studio"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BrandRingMember)
                             .where(BrandRingMember.brand_id == "b-studio")) == 6


def test_the_brand_file_shows_the_groups_size_and_concentration(client, login, runner, world):
    test_a_studio_behind_one_carrier_address_is_found_by_how_much_of_its_work_goes_to_the_brand(None, runner, world)
    login("compliance")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/compliance/brands/b-studio").get_data(as_text=True)
    assert "ring of 6 accounts, 80% of their work for this brand" in page
