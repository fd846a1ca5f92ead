"""Payouts: who is paid, the state machine from every state, the provider file and its answers."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.money.jobs import run_settlement
from app.money.services import holds, payouts
from app.money.services.verify import verify
from models import IllegalTransition, Payout, PayoutState, check_payout_transition, db, utcnow
from models.ledger import PAYOUT_TRANSITIONS
from tests.money import helpers as h

ALLOWED = {("pending", "sent"), ("pending", "cancelled"), ("sent", "confirmed"), ("sent", "failed"),
           ("failed", "retried"), ("failed", "cancelled"), ("retried", "sent"), ("retried", "cancelled")}


@pytest.mark.parametrize("source", [s.value for s in PayoutState])
@pytest.mark.parametrize("target", [s.value for s in PayoutState])
def test_payout_state_machine_from_every_state(source, target):
    if (source, target) in ALLOWED:
        assert check_payout_transition(source, target).value == target
    else:
        with pytest.raises(IllegalTransition, match=f"from {source} to {target}"):
            check_payout_transition(source, target)


def test_transition_table_is_the_documented_one():
    assert {(s.value, t.value) for s, targets in PAYOUT_TRANSITIONS.items() for t in targets} == ALLOWED


def earn(worker: str, count: int, campaign: str = "c1") -> None:
    for i in range(count):
        h.proof(f"{worker}-{campaign}-{i}", campaign=campaign, worker=worker)
        h.approve(f"{worker}-{campaign}-{i}")
    db.session.commit()
    run_settlement()


def batch(minimum: int = 1000, days: int = 7):  # noqa: ANN201
    result = payouts.create_batch(minimum=minimum, new_account_days=days, actor_label="test")
    db.session.commit()
    return result


def test_batch_pays_workers_over_the_minimum_and_holds_the_rest(app):
    h.world(campaigns={"c1": {"reward_cents": 1000}},
            workers={"rich": h.OLD_ACCOUNT, "poor": h.OLD_ACCOUNT, "fresh": utcnow() - timedelta(days=1),
                     "suspect": h.OLD_ACCOUNT})
    earn("rich", 2), earn("poor", 1), earn("fresh", 3), earn("suspect", 3)
    holds.open_flag("suspect", kind="ring", reason="device shared with ring 7")
    db.session.commit()
    result = batch(minimum=1000)
    assert [(p.worker_id, p.amount_cents, p.state) for p in db.session.scalars(sa.select(Payout))] == [
        ("rich", 1700, "pending")]
    assert result.held == {"new account": 1, "open fraud case": 1, "below the minimum or negative after a clawback": 1}
    assert h.balance("worker_payable:rich") == 0 and h.balance("payouts_clearing") == 1700
    assert verify().ok


def test_export_writes_provider_csv_and_marks_sent(app):
    h.world(campaigns={"c1": {"reward_cents": 1234, "commission_rate": 0.1}})
    earn("w1", 1)
    created = batch(minimum=1)
    handle = io.StringIO()
    assert payouts.export_csv(handle) == 1
    rows = list(csv.DictReader(io.StringIO(handle.getvalue())))
    payout = db.session.scalar(sa.select(Payout))
    assert rows == [{"reference": f"wb-payout-{payout.id}-1", "payout_id": str(payout.id),
                     "batch_id": str(created.batch.id), "worker_id": "w1", "amount_cents": "1111",
                     "amount": "11.11", "currency": "CNY"}]
    assert payout.state == "sent" and payout.attempts == 1
    assert payouts.export_csv(io.StringIO()) == 0  # sent payouts are not exported twice


def test_provider_answers_confirm_fail_retry_and_cancel(app):
    h.world(campaigns={"c1": {"reward_cents": 2000}})
    earn("w1", 1), earn("w2", 1)
    batch()
    payouts.export_csv(io.StringIO())
    p1, p2 = db.session.scalars(sa.select(Payout).order_by(Payout.worker_id)).all()
    counts, problems = payouts.apply_results([
        {"reference": p1.reference, "status": "confirmed"},
        {"reference": p2.reference, "status": "failed", "reason": "account closed"},
        {"reference": "someone-else-1", "status": "confirmed"}])
    db.session.commit()
    assert counts == {"confirmed": 1, "failed": 1}
    assert problems == ["line 4: reference 'someone-else-1' is not one of ours (wb-payout-ID-ATTEMPT)"]
    assert h.balance("payouts_disbursed") == 1700 and h.balance("payouts_clearing") == 1700
    payouts.mark_payout(p2.id, "retried")
    payouts.export_csv(io.StringIO())
    assert p2.state == "sent" and p2.reference.endswith("-2")
    _, stale = payouts.apply_results([{"reference": f"wb-payout-{p2.id}-1", "status": "confirmed"}])
    assert "answer is about attempt 1, the latest is 2" in stale[0]
    payouts.mark_payout(p2.id, "failed", reason="again")
    payouts.mark_payout(p2.id, "cancelled")
    db.session.commit()
    assert h.balance("worker_payable:w2") == 1700 and h.balance("payouts_clearing") == 0
    assert verify().ok


def test_export_skips_payouts_of_workers_with_an_open_case(app):
    h.world(campaigns={"c1": {"reward_cents": 2000}})
    earn("w1", 1)
    batch()
    holds.open_flag("w1", kind="chargeback", reason="bank reversed an earlier payout")
    assert payouts.export_csv(io.StringIO()) == 0
    assert db.session.scalar(sa.select(Payout.state)) == "pending"


def test_cli_create_export_mark_and_results(app, runner, tmp_path):
    h.world(campaigns={"c1": {"reward_cents": 2000}})
    earn("w1", 1)
    created = runner.invoke(args=["payouts", "create"])
    assert created.exit_code == 0 and "1 payouts, 1700 cents" in created.output
    path = tmp_path / "out.csv"
    assert "wrote 1 payouts" in runner.invoke(args=["payouts", "export", str(path)]).output
    payout = db.session.scalar(sa.select(Payout))
    illegal = runner.invoke(args=["payouts", "mark", str(payout.id), "retried"])
    assert illegal.exit_code != 0 and "cannot go from sent to retried" in illegal.output
    answers = tmp_path / "answers.csv"
    answers.write_text(f"reference,status\n{payout.reference},confirmed\n", encoding="utf-8")
    done = runner.invoke(args=["payouts", "results", str(answers)])
    assert done.exit_code == 0 and "confirmed 1, failed 0" in done.output
    assert "no worker is due a payout" in runner.invoke(args=["payouts", "create"]).output
    assert verify().ok


def test_cli_flag_holds_payouts_until_resolved(app, runner):
    h.world(campaigns={"c1": {"reward_cents": 2000}})
    earn("w1", 1)
    flagged = runner.invoke(args=["ledger", "flag", "w1", "--kind", "ring", "--reason", "ring 7"])
    assert flagged.exit_code == 0, flagged.output
    held = runner.invoke(args=["payouts", "create"])
    assert "held, open fraud case: 1 workers" in held.output and "no worker is due a payout" in held.output
    flag_id = flagged.output.split()[2]
    assert runner.invoke(args=["ledger", "resolve", flag_id, "--resolution", "cleared"]).exit_code == 0
    assert "1 payouts, 1700 cents" in runner.invoke(args=["payouts", "create"]).output
    bad = runner.invoke(args=["ledger", "flag", "w1", "--kind", "hunch", "--reason", "x"])
    assert bad.exit_code != 0 and "kind: 'hunch' is not one of" in bad.output
