"""The moderators' workbench: queue list, claim next, proof evidence and the decision form.

Thin adapters over app/review/services/: parse the request, call a service, commit once, redirect.
GET handlers never write; every POST goes through a Flask-WTF form with a CSRF token.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.platform.access import role_required
from app.platform.i18n import _
from app.platform.reveal import RevealForm, may_reveal, reveal
from app.platform.vocabulary import QUEUES as TAB_LABELS
from app.platform.vocabulary import decision_label
from app.review import charts
from app.review.forms import ClaimForm, DecisionForm, QaForm, ReleaseForm, ReliefForm
from app.review.services import queue as queue_service
from app.review.services.claims import (
    ClaimConflict,
    NotAllowed,
    claim_next,
    confirm_qa,
    decide_from_queue,
    decision_block,
    qa_pending,
    release,
    reopen_from_qa,
)
from app.review.services.decisions import ReviewError
from app.review.services.evidence import proof_evidence
from app.review.services.queue import PAGE_SIZE, QueueError, QueueFilters, parse_filters, tabs_for
from app.review.services.reasons import label as reason_label
from app.scoring.jobs import enqueue_linked_rescore, enqueue_scoring
from app.scoring.services import relief
from models import DomainError, Proof, ProofScore, ReviewItem, db, utcnow

bp = Blueprint("queue", __name__, url_prefix="/queue")

MODERATION = ("moderator", "senior_moderator")
READERS = (*MODERATION, "operator")  # operators open the proof page read-only (from their backtests)
TAB_PREFERENCE = ("hold", "review", "senior", "auto")


def _user():  # noqa: ANN202 - the StaffUser behind the proxy, for services that take explicit arguments
    return current_user._get_current_object()


def _filters(default_tab: str | None = None) -> QueueFilters:
    tabs = tabs_for(_user())
    try:
        return parse_filters(request.args, tabs, default_tab if default_tab in tabs else tabs[0])
    except QueueError as exc:
        abort(403 if request.args.get("q") == "senior" else 400, description=str(exc))


@bp.context_processor
def helpers() -> dict:
    return {"duration": duration, "TAB_LABELS": TAB_LABELS, "reason_label": reason_label}


def duration(seconds: float | None) -> str:
    """Compact age for tables: 45 s, 12 min, 3 h 20 min, 4 d."""
    if seconds is None:
        return "—"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return _("%(n)d s", n=seconds)
    if seconds < 3600:
        return _("%(n)d min", n=seconds // 60)
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return _("%(h)d h %(m)d min", h=hours, m=minutes) if minutes else _("%(h)d h", h=hours)
    return _("%(n)d d", n=seconds // 86400)


@bp.get("/")
@role_required(*MODERATION)
def index():  # noqa: ANN201
    user, now = _user(), utcnow()
    tabs = tabs_for(user)
    deciles = queue_service.pending_deciles(tabs)
    counts = queue_service.tab_counts(tabs, deciles)
    busiest = next((t for t in TAB_PREFERENCE if t in tabs and counts.get(t)), tabs[0])
    filters = _filters(busiest)
    try:
        page = queue_service.list_page(filters, user.id, now, after=request.args.get("after"),
                                       before=request.args.get("before"),
                                       limit=int(current_app.config.get("QUEUE_PAGE_SIZE", PAGE_SIZE)))
    except QueueError as exc:
        abort(400, description=str(exc))
    histogram, sampled = queue_service.risk_histogram(filters, user.id, now, deciles)
    return render_template(
        "review/index.html", filters=filters, tabs=tabs, counts=counts, page=page, claim_form=ClaimForm(),
        routes=queue_service.ROUTES, histogram_sampled=sampled, histogram_sample=queue_service.HISTOGRAM_SAMPLE,
        queues_chart=charts.queue_risk_chart(deciles), risk_chart=charts.risk_histogram_chart(histogram))


@bp.post("/claim-next")
@role_required(*MODERATION)
def claim_next_view():  # noqa: ANN201
    if not ClaimForm().validate_on_submit():
        abort(400, description=_("the form expired; reload the page and try again"))
    return _go_next(_filters())


def _go_next(filters: QueueFilters, skip_item_id: int | None = None):  # noqa: ANN202
    """Claim the next item of this view (or the next QA sample) and open it; else back to the list."""
    user, now = _user(), utcnow()
    item = claim_next(user, filters, now, skip_item_id=skip_item_id)
    proof_id = item.proof_id if item is not None else None  # read before the commit expires the row
    db.session.commit()
    if proof_id is not None:
        return redirect(url_for("queue.proof", proof_id=proof_id, **filters.args()))
    if filters.tab == "auto":
        proof_id = queue_service.next_qa_proof(filters, user.id, now)
        if proof_id:
            return redirect(url_for("queue.proof", proof_id=proof_id, **filters.args()))
    flash(_("Nothing left to claim in this view."), "info")
    return redirect(url_for("queue.index", **filters.args()))


def _render_proof(proof_id: str, filters: QueueFilters, form: DecisionForm | None = None, status: int = 200,
                  revealed_ip: str | None = None, relief_form: ReliefForm | None = None):  # noqa: ANN202
    user = _user()
    evidence = proof_evidence(proof_id, current_app.extensions["pii"], utcnow())
    return render_template(
        "review/proof.html", ev=evidence, filters=filters, form=form or DecisionForm(),
        read_only=not user.has_role(*MODERATION), mutes=relief.mutes_for_proof(evidence.proof),
        relief_entities=dict(relief.entity_choices()),
        relief_form=relief_form or ReliefForm(formdata=None).for_signals(_reliefable(evidence.signals)),
        release_form=ReleaseForm(), qa_form=QaForm(), claim_form=ClaimForm(),
        blocked=decision_block(evidence.item, evidence.proof, user),
        qa=qa_pending(evidence.item, evidence.proof, user.id), revealed_ip=revealed_ip, reveal_form=RevealForm(),
        may_reveal_ip=may_reveal(user, "proof.ip"),
        mine=evidence.claim_active and evidence.item.claimed_by == user.id), status


def _item_queue(proof_id: str) -> str | None:
    return db.session.scalar(sa.select(ReviewItem.queue).where(ReviewItem.proof_id == proof_id))


@bp.get("/proofs/<proof_id>")
@role_required(*READERS)
def proof(proof_id: str):  # noqa: ANN201
    return _render_proof(proof_id, _filters(_item_queue(proof_id)))


def _load_proof(proof_id: str) -> Proof:
    found = db.session.get(Proof, proof_id)
    if found is None:
        abort(404, description=_("no proof %(proof)r", proof=proof_id))
    return found


@bp.post("/proofs/<proof_id>/decide")
@role_required(*MODERATION)
def decide_view(proof_id: str):  # noqa: ANN201
    filters = _filters(_item_queue(proof_id))
    target = _load_proof(proof_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_proof(proof_id, filters, form, 422)
    try:
        decide_from_queue(target, _user(), form.decision, now=utcnow(), reason_code=form.reason_code.data or None,
                          note=(form.note.data or "").strip() or None)
    except (ClaimConflict, NotAllowed, QueueError, ReviewError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_proof(proof_id, filters, form, exc.status_code)
    db.session.commit()
    if form.decision == "rejected":  # feedback: re-score the pending proofs of linked accounts (after commit)
        enqueue_linked_rescore(proof_id, form.reason_code.data or None)
    reason = f" · {form.reason_code.data}" if form.decision == "rejected" else ""
    flash(_("%(decision)s %(proof)s%(reason)s.", decision=decision_label(form.decision).capitalize(), proof=proof_id,
            reason=reason), "ok")
    return _go_next(filters)


@bp.post("/proofs/<proof_id>/reveal-ip")
@role_required("senior_moderator")
def reveal_ip(proof_id: str):  # noqa: ANN201
    """The full address, once, in this response only; the audit row keeps who asked and why."""
    filters = _filters(_item_queue(proof_id))
    form = RevealForm()
    if not form.validate_on_submit():
        abort(400, description=_("the form expired; reload the page and try again"))
    try:
        value = reveal("proof.ip", proof_id, reason=form.reason.data, actor=_user(),
                       vault=current_app.extensions["pii"])
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_proof(proof_id, filters, status=exc.status_code)
    db.session.commit()
    return _render_proof(proof_id, filters, revealed_ip=value)


@bp.post("/proofs/<proof_id>/release")
@role_required(*MODERATION)
def release_view(proof_id: str):  # noqa: ANN201
    filters = _filters(_item_queue(proof_id))
    form = ReleaseForm()
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == proof_id))
    if not form.validate_on_submit() or item is None:
        abort(400, description=_("nothing to release"))
    released = release(item, _user(), utcnow())
    db.session.commit()
    if form.skip.data:
        return _go_next(filters, skip_item_id=item.id)
    flash(_("Released %(proof)s back to the queue.", proof=proof_id) if released
          else _("You held no claim on %(proof)s.", proof=proof_id), "info")
    return redirect(url_for("queue.index", **filters.args()))


@bp.post("/proofs/<proof_id>/qa")
@role_required(*MODERATION)
def qa_view(proof_id: str):  # noqa: ANN201
    filters = _filters("auto")
    target = _load_proof(proof_id)
    form = QaForm()
    if not form.validate_on_submit():
        abort(400, description=_("the form expired; reload the page and try again"))
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == proof_id))
    note = (form.note.data or "").strip() or None
    reopened = False
    try:
        if form.reopen.data:
            reopened = reopen_from_qa(item, target, _user(), note, utcnow())
        else:
            confirm_qa(item, target, _user(), note)
    except QueueError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_proof(proof_id, filters, status=exc.status_code)
    db.session.commit()
    if not form.reopen.data:
        flash(_("QA confirmed %(proof)s.", proof=proof_id), "ok")
    elif reopened:
        flash(_("Sent %(proof)s back to review.", proof=proof_id), "ok")
    else:
        flash(_("Recorded your disagreement with the decision on %(proof)s; a senior moderator can reverse it.",
                proof=proof_id), "ok")
    return _go_next(filters)


def _reliefable(signals: list[dict]) -> list[str]:
    """The proof's fired signals that still count (a muted one is relieved already)."""
    return list(dict.fromkeys(s["code"] for s in signals if not s.get("muted")))


@bp.post("/proofs/<proof_id>/relieve")
@role_required(*MODERATION)
def relieve_view(proof_id: str):  # noqa: ANN201
    """Mute one of this proof's signals (or allowlist) for its worker, address, device or campaign, then
    rescore that entity's undecided proofs (this one too) so the queue shows the relief at once."""
    filters = _filters(_item_queue(proof_id))
    score = db.session.get(ProofScore, _load_proof(proof_id).id)
    form = ReliefForm().for_signals(_reliefable([s for s in (score.signals if score else None) or []
                                                 if isinstance(s, dict) and s.get("code")]))
    if not form.validate_on_submit():
        flash(_("Pick a signal, whom it is for, how long, and say why."), "error")
        return _render_proof(proof_id, filters, status=422, relief_form=form)
    try:
        mute = relief.mute_from_proof(proof_id, signal_code=form.signal_code.data, entity_kind=form.entity_kind.data,
                                      hours=int(form.hours.data), reason=form.reason.data, actor=_user())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_proof(proof_id, filters, status=exc.status_code, relief_form=form)
    ids = relief.undecided_proof_ids(mute, current_app.config["SETTLEMENT_HOLD_HOURS"])
    db.session.commit()
    enqueue_scoring(ids)
    flash(_("Relief #%(id)s in force for %(duration)s; %(n)d waiting proof(s) sent for rescoring.", id=mute.id,
            duration=dict(relief.duration_choices())[form.hours.data], n=len(ids)), "ok")
    return redirect(url_for("queue.proof", proof_id=proof_id, **filters.args()))
