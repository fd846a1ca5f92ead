"""Funding: imported campaigns are funded once, intake respects budget and cap, closing refunds."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.money.jobs import run_settlement
from app.money.services import funding
from app.money.services.verify import verify
from models import Campaign, LedgerEntry, Proof, db
from tests import factories as f
from tests.money import helpers as h


def entry_keys(kind: str) -> list[str]:
    return sorted(db.session.scalars(sa.select(LedgerEntry.key).where(LedgerEntry.kind == kind)))


def test_import_funds_each_new_campaign_once(runner, world):
    path = world.basic(proofs=1).add("campaigns", f.campaign(id="c2", budget_cents=5000)).write()
    assert runner.invoke(args=["import", str(path)]).exit_code == 0
    assert entry_keys("fund") == ["fund:c1", "fund:c2"]
    assert h.balance("brand_escrow:b1:c1") == 100_000 and h.balance("brand_funding:b1") == -105_000
    again = runner.invoke(args=["import", str(path)])
    assert again.exit_code == 0 and "nothing new" in again.output
    assert entry_keys("fund") == ["fund:c1", "fund:c2"]


def test_import_refuses_proofs_beyond_max_completions(runner, world):
    world.basic(proofs=0)
    world.rows["campaigns"] = [f.campaign(max_completions=2)]
    world.add("workers", *(f.worker(id=f"w{i}") for i in range(1, 4)))
    world.add("proofs", *(f.proof(id=f"p{i}", worker_id=f"w{i}") for i in range(1, 4)))
    result = runner.invoke(args=["import", str(world.write())])
    assert result.exit_code != 0
    assert "proofs.jsonl:3: campaign_id: campaign c1 is full (max_completions 2 reached)" in result.output
    assert sorted(db.session.scalars(sa.select(Proof.id))) == ["p1", "p2"]


def test_import_refuses_proofs_beyond_budget(runner, world):
    world.basic(proofs=0)
    world.rows["campaigns"] = [f.campaign(budget_cents=250, reward_cents=100, max_completions=None)]
    world.add("workers", *(f.worker(id=f"w{i}") for i in range(1, 4)))
    world.add("proofs", *(f.proof(id=f"p{i}", worker_id=f"w{i}") for i in range(1, 4)))
    result = runner.invoke(args=["import", str(world.write())])
    assert ("proofs.jsonl:3: campaign_id: campaign c1 is out of budget (250 cents pays 2 completions "
            "of 100 cents)") in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proof)) == 2


def test_reimport_of_a_full_campaign_changes_nothing(runner, world):
    world.basic(proofs=2)
    world.rows["campaigns"] = [f.campaign(max_completions=2)]
    path = world.write()
    assert runner.invoke(args=["import", str(path)]).exit_code == 0
    again = runner.invoke(args=["import", str(path)])
    assert again.exit_code == 0, again.output
    assert "proofs: 2 lines, 0 new, 2 already stored, 0 rejected" in again.output


def test_a_rejection_frees_its_slot_for_another_completion(app):
    h.world(campaigns={"c1": {"max_completions": 1}})
    h.proof("p1")
    new = [{"id": "p2", "campaign_id": "c1"}]
    admitted, refused = funding.admit_proofs(new)
    assert admitted == [] and refused == {0: "campaign_id: campaign c1 is full (max_completions 1 reached)"}
    h.reject("p1")
    admitted, refused = funding.admit_proofs(new)
    assert admitted == new and refused == {}


def test_admission_refuses_closed_and_draft_campaigns(app):
    h.world(campaigns={"c1": {"status": "closed"}, "c2": {"status": "draft"}}, fund=False)
    admitted, refused = funding.admit_proofs([{"id": "p1", "campaign_id": "c1"}, {"id": "p2", "campaign_id": "c2"},
                                              {"id": "p3", "campaign_id": "ghost"}])
    assert refused == {0: "campaign_id: campaign c1 is closed, not taking completions",
                       1: "campaign_id: campaign c2 is draft, not taking completions"}
    assert admitted == [{"id": "p3", "campaign_id": "ghost"}]  # unknown campaigns are the caller's to report


def test_activating_a_draft_funds_it_and_a_second_activation_is_refused(app):
    h.world(campaigns={"c1": {"status": "draft", "budget_cents": 700}}, fund=False)
    assert funding.activate_campaign("c1") == 700
    db.session.commit()
    assert h.balance("brand_escrow:b1:c1") == 700
    with pytest.raises(funding.FundingError, match="already active and funded"):
        funding.activate_campaign("c1")


def test_closing_refunds_what_no_live_proof_needs(app):
    h.world(campaigns={"c1": {"budget_cents": 1000}})
    for pid in ("p1", "p2", "p3"):
        h.proof(pid)
    h.approve("p1")
    h.reject("p2")  # p3 stays in review: its reward stays in escrow
    db.session.commit()
    run_settlement()
    assert funding.close_campaign("c1") == 1000 - 100 - 100
    db.session.commit()
    assert entry_keys("refund") == ["refund:c1"]
    assert h.balance("brand_refunds:b1") == 800 and h.balance("brand_escrow:b1:c1") == 100
    h.reject("p3")  # its claim ends after the close: the next settlement run sends it back to the brand
    db.session.commit()
    _, refunded = run_settlement()
    assert refunded == 100 and entry_keys("refund") == ["refund:c1", "refund:c1:2"]
    assert h.balance("brand_escrow:b1:c1") == 0
    assert db.session.get(Campaign, "c1").status == "closed"
    assert verify().ok


def test_cli_fund_unfunded_covers_campaigns_loaded_before_the_ledger(app, runner):
    h.world(fund=False)
    result = runner.invoke(args=["ledger", "fund", "--unfunded"])
    assert result.exit_code == 0 and "funded 100000 cents" in result.output
    assert runner.invoke(args=["ledger", "fund", "--unfunded"]).exit_code != 0  # nothing left to fund


def test_cli_close_and_activate_report_domain_errors(app, runner):
    h.world()
    assert "refunded 100000 cents" in runner.invoke(args=["ledger", "close", "c1"]).output
    again = runner.invoke(args=["ledger", "close", "c1"])
    assert again.exit_code != 0 and "already closed" in again.output
    assert "cannot go live again" in runner.invoke(args=["ledger", "activate", "c1"]).output
