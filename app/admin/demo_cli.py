"""`flask demo-activity`: a day's worth of casework in the demo world, so the cases list and the
operators' relief page open with something in them. Development databases only; safe to run twice."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app

from app.compliance.services import cases
from app.platform.i18n import _
from app.scoring.jobs import enqueue_scoring
from app.scoring.services import relief
from models import BrandScorecard, Campaign, ComplianceCase, Proof, ProofScore, ReviewItem, SignalMute, db

DEMO = "demo"


@click.command("demo-activity")
def demo_activity_command() -> None:
    """Open a case on the riskiest brand and relieve one signal for one worker. Development only."""
    if not current_app.config.get("DEV_KEYS_FILE"):
        raise click.ClickException(_("demo activity is for development databases only"))
    click.echo(_open_case())
    muted = _relieve()
    db.session.commit()
    if muted:
        enqueue_scoring(muted)
    click.echo(_("relief: %(n)d waiting proofs rescored", n=len(muted)))


def _open_case() -> str:
    brand_id = db.session.scalar(sa.select(BrandScorecard.brand_id).order_by(BrandScorecard.risk.desc()).limit(1))
    if brand_id is None:
        return _("no brand scorecards yet: run `flask brands refresh` first")
    if db.session.scalar(sa.select(ComplianceCase.id).where(ComplianceCase.opened_by == DEMO)) is not None:
        return _("the demo case is already open")
    case = cases.open_case("brand", brand_id, actor_label=DEMO, title=_("Riskiest brand of the week"),
                           reason=_("tops the brands list by risk"))
    riskiest = db.session.scalars(
        sa.select(Proof.id).join(Campaign, Campaign.id == Proof.campaign_id).join(ProofScore)
        .where(Campaign.brand_id == brand_id).order_by(ProofScore.risk_score.desc()).limit(3))
    for proof_id in riskiest:
        cases.attach_proof(case.id, proof_id, actor_label=DEMO, why=_("among the brand's riskiest proofs"))
    cases.add_note(case.id, _("Ask the brand for its briefs and its agency's contract."), actor_label=DEMO)
    return _("case %(id)d opened on brand %(brand)s", id=case.id, brand=brand_id)


def _relieve() -> list[str]:
    """Mute, for one worker, a signal that fired on the least risky waiting proof (the review tab first)."""
    if db.session.scalar(sa.select(SignalMute.id).limit(1)) is not None:
        return []
    waiting = db.session.execute(
        sa.select(ProofScore.proof_id, ProofScore.signals).join(ReviewItem, ReviewItem.proof_id == ProofScore.proof_id)
        .where(ReviewItem.status == "open").order_by(ProofScore.route != "review", ProofScore.risk_score).limit(50))
    for proof_id, signals in waiting:
        fired = [s["code"] for s in signals or [] if s.get("score", 0) > 0 and s["code"] in relief.signal_codes()]
        if fired:
            mute = relief.mute_from_proof(proof_id, signal_code=fired[0], entity_kind="worker", hours=7 * 24,
                                          reason=_("the worker shares a family phone; confirmed by a call"),
                                          actor=None)
            return relief.undecided_proof_ids(mute, current_app.config["SETTLEMENT_HOLD_HOURS"])
    return []
