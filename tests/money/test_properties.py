"""Property test: random sequences of fund / submit / approve / reject / settle / payout / clawback /
reverse / flag / close keep every ledger invariant, and the ledger agrees with the proofs' states."""
from __future__ import annotations

import io
from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from app.money.jobs import run_settlement
from app.money.services import clawback, funding, holds, payouts
from app.money.services.settlement import commission_cents
from app.money.services.verify import verify
from models import Campaign, DomainError, FraudFlag, LedgerAccount, Payout, Proof, db, utcnow
from tests.money import helpers as h

WORKERS = ("w1", "w2", "w3")
CAMPAIGNS = {"c1": {"budget_cents": 700, "reward_cents": 100, "commission_rate": 0.15, "max_completions": 5},
             "c2": {"budget_cents": 1000, "reward_cents": 333, "commission_rate": 0.145, "status": "draft"}}


def empty_tables() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


class MoneyMachine(RuleBasedStateMachine):
    proofs = Bundle("proofs")

    def __init__(self) -> None:
        super().__init__()
        empty_tables()
        self.now = utcnow()
        h.world(campaigns=CAMPAIGNS, workers={"w1": h.OLD_ACCOUNT, "w2": h.OLD_ACCOUNT,
                                              "w3": self.now - timedelta(days=2)})
        self.count = 0

    def step(self, action, *args, **kwargs) -> None:  # noqa: ANN001 - any service call
        """Run one service call as a unit of work: commit it, or roll it back if a rule refused it."""
        try:
            with db.session.begin_nested():
                action(*args, **kwargs)
        except DomainError:
            pass
        db.session.commit()

    @initialize()
    def nothing_moved_yet(self) -> None:
        assert verify().ok

    @rule(target=proofs, campaign=st.sampled_from(sorted(CAMPAIGNS)), worker=st.sampled_from(WORKERS))
    def submit(self, campaign: str, worker: str) -> str:
        self.count += 1
        pid = f"p{self.count}"
        admitted, _ = funding.admit_proofs([{"id": pid, "campaign_id": campaign}])
        if admitted:
            h.proof(pid, campaign=campaign, worker=worker)
            db.session.commit()
        return pid

    @rule(pid=proofs, by_policy=st.booleans())
    def approve(self, pid: str, by_policy: bool) -> None:
        if h.state(pid) == "in_review":
            self.step(h.approve, pid, kind="system" if by_policy else "human", at=self.now)

    @rule(pid=proofs)
    def reject(self, pid: str) -> None:
        if h.state(pid) == "in_review":
            self.step(h.reject, pid)

    @rule(hours=st.integers(min_value=1, max_value=30))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule(chunk=st.integers(min_value=1, max_value=4))
    def settle(self, chunk: int) -> None:
        run_settlement(chunk_size=chunk, now=self.now)

    @rule(pid=proofs)
    def reverse(self, pid: str) -> None:
        """A reversed decision: claw back a settled proof, or reopen an approved or rejected one."""
        current = h.state(pid)
        if current == "settled":
            self.step(clawback.claw_back, pid, reason_code="fraud_ring")
        elif current in ("approved", "rejected"):
            self.step(lambda: holds.reopen_proof(db.session.get(Proof, pid), reason="appeal"))

    @rule(pid=proofs)
    def flag(self, pid: str) -> None:
        proof = db.session.get(Proof, pid)
        if proof is not None:
            self.step(holds.open_flag, proof.worker_id, proof_id=pid, kind="ring", reason="linked to a ring")

    @rule()
    def resolve_a_flag(self) -> None:
        flag_id = db.session.scalar(sa.select(FraudFlag.id).where(FraudFlag.status == "open").limit(1))
        if flag_id is not None:
            self.step(holds.resolve_flag, flag_id, resolution="cleared")

    @rule(minimum=st.sampled_from([1, 100, 250]))
    def create_payouts(self, minimum: int) -> None:
        self.step(payouts.create_batch, minimum=minimum, new_account_days=7, now=self.now)

    @rule()
    def export_payouts(self) -> None:
        self.step(payouts.export_csv, io.StringIO())

    @rule(target_state=st.sampled_from(["confirmed", "failed", "retried", "cancelled"]), pick=st.integers(0, 20))
    def provider_answers(self, target_state: str, pick: int) -> None:
        ids = db.session.scalars(sa.select(Payout.id).order_by(Payout.id)).all()
        if ids:
            self.step(payouts.mark_payout, ids[pick % len(ids)], target_state)

    @rule(campaign=st.sampled_from(sorted(CAMPAIGNS)), close=st.booleans())
    def campaign_lifecycle(self, campaign: str, close: bool) -> None:
        self.step(funding.close_campaign if close else funding.activate_campaign, campaign)

    @invariant()
    def ledger_verifies(self) -> None:
        """Every `flask ledger verify` check: balanced entries, no double settlement, decisions, balances."""
        report = verify(with_counts=False)
        assert report.ok, report.violations

    @invariant()
    def ledger_agrees_with_proof_and_payout_states(self) -> None:
        """Recomputed from states alone: payables = settled nets - payouts not cancelled; revenue = commissions."""
        rows = db.session.execute(sa.select(Proof.worker_id, Campaign.reward_cents, Campaign.commission_rate)
                                  .join(Campaign).where(Proof.state == "settled")).all()
        expected, revenue = defaultdict(int), 0
        for worker, reward, rate in rows:
            expected[f"worker_payable:{worker}"] += reward - commission_cents(reward, rate)
            revenue += commission_cents(reward, rate)
        expected["platform_revenue"] = revenue
        for worker, amount in db.session.execute(sa.select(Payout.worker_id, Payout.amount_cents).where(
                Payout.state != "cancelled")):
            expected[f"worker_payable:{worker}"] -= amount
        balances = dict(db.session.execute(sa.select(LedgerAccount.code, LedgerAccount.balance)).all())
        for code in [f"worker_payable:{w}" for w in WORKERS] + ["platform_revenue"]:
            assert balances.get(code, 0) == expected[code], code
        assert sum(balances.values()) == 0


def test_random_money_histories_keep_every_invariant(app):
    run_state_machine_as_test(MoneyMachine, settings=settings(
        max_examples=50, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
