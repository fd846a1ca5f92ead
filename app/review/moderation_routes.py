"""Pages beyond one proof: a proof's cluster with bulk actions, the four-eyes requests, and a worker's standing.

Thin adapters over app/review/services/{cluster,bulk,requests,standing}.py; every POST goes through a
Flask-WTF form, and nothing happens until the server has shown its preview and the person confirms.
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from jinja2.filters import do_urlencode

from app.money.services.funding import FundingError
from app.platform.access import role_required
from app.platform.i18n import _, money
from app.review import charts
from app.review.cluster_rows import proof_rows
from app.review.moderation_forms import AppealForm, BulkForm, ReverseForm, ReviewRequestForm, RevokeForm, SanctionForm
from app.review.services import appeals, bulk, grouping, info, leads, requests, reversal, sla, standing, trends
from app.review.services.claims import NotAllowed
from app.review.services.cluster import build_cluster, preview
from app.review.services.decisions import ReviewError
from app.review.services.queue import SENIOR_ROLES, QueueError, parse_filters, tabs_for
from app.review.services.reasons import label as reason_label
from models import Appeal, ModerationRequest, NotFound, Proof, StaffUser, Worker, WorkerSanction, db, utcnow

bp = Blueprint("moderation", __name__, url_prefix="/queue")
MODERATION = ("moderator", "senior_moderator")


def _user():  # noqa: ANN202 - the StaffUser behind the proxy
    return current_user._get_current_object()


@bp.context_processor
def helpers() -> dict:
    return {"reason_label": reason_label}


def _window() -> int:
    return int(current_app.config.get("REVERSAL_WINDOW_HOURS", reversal.REVERSAL_HOURS))


@bp.app_context_processor
def reversal_helpers() -> dict:
    """For the proof page's reversal box (review/_reverse.html), which the proof view does not compute."""

    def reversal_for(proof: Proof):  # noqa: ANN202
        if not current_user.is_authenticated:
            return None
        return reversal.reversible(proof.id, proof.state, _user(), utcnow(), _window())

    return {"reversal_for": reversal_for, "ReverseForm": ReverseForm}


@bp.post("/proofs/<proof_id>/reverse")
@role_required(*SENIOR_ROLES)
def reverse(proof_id: str):  # noqa: ANN201
    form = ReverseForm()
    if not form.validate_on_submit():
        flash(_("Say why the decision is reversed."), "error")
        return redirect(url_for("queue.proof", proof_id=proof_id))
    try:
        state = reversal.reverse(proof_id, _user(), reason_code=form.reason_code.data or None,
                                 note=form.note.data.strip(), now=utcnow(), window_hours=_window())
    except NotFound as exc:
        abort(404, description=str(exc))
    except (reversal.ReversalError, NotAllowed, ReviewError, FundingError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("queue.proof", proof_id=proof_id))
    db.session.commit()
    flash(_("Decision reversed: proof %(id)s is now %(state)s.", id=proof_id, state=state), "ok")
    return redirect(url_for("queue.proof", proof_id=proof_id))


def _cluster(proof_id: str):  # noqa: ANN202
    try:
        return build_cluster(proof_id)
    except NotFound as exc:
        abort(404, description=str(exc))


def _cluster_page(found, form: BulkForm, status: int = 200):  # noqa: ANN001, ANN202
    amounts = {p.reward_cents for p in found.proofs} | {a.pending_cents for a in found.accounts.values()}
    ids = {p.proof_id for p in found.proofs} | set(found.accounts)
    return render_template("review/cluster.html", cluster=found, form=form, graph=charts.cluster_graph(found),
                           whole=preview(found), money_of={cents: money(cents) for cents in amounts},
                           url_id=_url_ids(ids), proof_rows=proof_rows), status


PLAIN_ID = re.compile(r"[A-Za-z0-9_.~-]+")


def _url_ids(ids: set[str]) -> dict[str, str]:
    """Each id as it goes into a URL path; ids that need no quoting (nearly all) skip the filter,
    which was a third of a 500-account cluster page's rendering."""
    return {i: i if PLAIN_ID.fullmatch(i) else do_urlencode(i) for i in ids}


@bp.get("/proofs/<proof_id>/cluster")
@role_required(*MODERATION)
def cluster(proof_id: str):  # noqa: ANN201
    return _cluster_page(_cluster(proof_id), BulkForm())


@bp.post("/proofs/<proof_id>/cluster/preview")
@role_required(*MODERATION)
def cluster_preview(proof_id: str):  # noqa: ANN201
    """Say what the action would touch and whether it needs a second reviewer; changes nothing."""
    found, form = _cluster(proof_id), BulkForm()
    if not form.validate_on_submit():
        abort(400, description=_("the form expired; reload the page and try again"))
    whole = form.scope.data != "selected"
    chosen = preview(found, None if whole else request.form.getlist("proof_id"))
    note = (form.note.data or "").strip() or None
    try:
        bulk.check_bulk(form.decision.data, form.reason_code.data or None, note, chosen)
    except ReviewError as exc:
        flash(str(exc), "error")
        return _cluster_page(found, form, 422)
    ring = bulk.whole_ring(found, chosen)
    policy = bulk.FourEyesPolicy.from_config(current_app.config)
    return render_template("review/bulk_preview.html", cluster=found, form=form, chosen=chosen, ring=ring,
                           four_eyes=bulk.four_eyes_reason(form.decision.data, chosen, ring, policy))


@bp.post("/proofs/<proof_id>/cluster/act")
@role_required(*MODERATION)
def cluster_act(proof_id: str):  # noqa: ANN201
    """Apply the previewed action (or send it to the senior queue); the server recounts before it acts."""
    found, form, now = _cluster(proof_id), BulkForm(), utcnow()
    if not form.validate_on_submit() or not form.confirm.data:
        abort(400, description=_("the form expired; reload the page and try again"))
    chosen = preview(found, request.form.getlist("proof_id"))
    ring = bulk.whole_ring(found, chosen)  # from what the action reaches, not from the form's scope
    note = (form.note.data or "").strip() or None
    decision, reason_code = form.decision.data, form.reason_code.data or None
    try:
        bulk.check_bulk(decision, reason_code, note, chosen)
        four_eyes = bulk.four_eyes_reason(decision, chosen, ring,
                                          bulk.FourEyesPolicy.from_config(current_app.config))
        asked = requests.submit("bulk_decision", bulk.bulk_payload(decision, reason_code, note, chosen,
                                                                    cluster_of=proof_id, whole_ring=ring),
                                chosen.as_dict(), _user(), four_eyes, now)
    except (ReviewError, NotAllowed) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("moderation.cluster", proof_id=proof_id))
    db.session.commit()
    if asked.status == "pending":
        flash(_("Request #%(id)d waits for a second reviewer: %(why)s.", id=asked.id, why=four_eyes), "info")
    else:
        flash(_("Applied to %(n)d proofs (%(skipped)d skipped).", n=asked.result["decided"],
                skipped=asked.result["skipped"] + asked.result["claimed"]), "ok")
    return redirect(url_for("moderation.cluster", proof_id=proof_id))


@bp.get("/groups")
@role_required(*MODERATION)
def groups():  # noqa: ANN201
    """The queue list with one row per worker (`by=worker`) or per ring of linked workers (`by=ring`)."""
    user, by = _user(), request.args.get("by", "worker")
    tabs = tabs_for(user)
    if by not in grouping.GROUPS:
        abort(400, description=_("group by worker or by ring"))
    try:
        filters = parse_filters(request.args, tabs, "hold" if "hold" in tabs else tabs[0])
    except QueueError as exc:
        abort(403 if request.args.get("q") == "senior" else 400, description=str(exc))
    found = (grouping.by_ring if by == "ring" else grouping.by_worker)(filters, user.id, utcnow())
    return render_template("review/groups.html", groups=found, filters=filters, by=by, tabs=tabs,
                           four_eyes_waiting=requests.count_pending(), ring_sample=grouping.RING_SAMPLE)


# -- four eyes --------------------------------------------------------------------------------------

@bp.get("/requests")
@role_required(*MODERATION)
def requests_index():  # noqa: ANN201
    user = _user()
    return render_template("review/requests.html", waiting=requests.pending(), form=ReviewRequestForm(),
                           can_review=user.has_role(*SENIOR_ROLES), me=user.id)


@bp.post("/requests/<int:request_id>")
@role_required(*SENIOR_ROLES)
def review_request(request_id: int):  # noqa: ANN201
    asked = db.session.get(ModerationRequest, request_id) or abort(404, description=_("no such request"))
    form = ReviewRequestForm()
    if not form.validate_on_submit():
        abort(400, description=_("the form expired; reload the page and try again"))
    note = (form.note.data or "").strip() or None
    try:
        if form.approve.data:
            result = requests.approve(asked, _user(), note, utcnow())
        else:
            requests.decline(asked, _user(), note, utcnow())
            result = None
    except (NotAllowed, requests.RequestGone, ReviewError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("moderation.requests_index")), 303
    db.session.commit()
    flash(_("Request #%(id)d applied.", id=request_id) if result is not None
          else _("Request #%(id)d declined.", id=request_id), "ok")
    return redirect(url_for("moderation.requests_index"))


@bp.get("/leads")
@role_required(*SENIOR_ROLES)
def leads_index():  # noqa: ANN201
    now = utcnow()
    by_hour = leads.decisions_by_hour(now)
    window = request.args.get("window", "48h")
    found = trends.trends(now, window if window in trends.WINDOWS else "48h")
    first = "-" + (_("%(h)d h", h=48) if found.window == "48h" else _("%(n)d d", n=14))
    moderators = leads.moderators(now)
    agreement = charts.agreement_chart(moderators, {
        "qa": _("agreement with QA"), "appeals": _("agreement with appeals"), "none": _("nothing to compare yet")})
    return render_template("review/leads.html", queues=leads.queues_now(now), moderators=moderators,
                           agreement_chart=agreement, chart=charts.hourly_chart(by_hour), total=sum(by_hour),
                           trends=found,
                           depth_chart=charts.depth_chart(found.depth, first),
                           late_chart=charts.bucket_bars(found.breached_decisions, first,
                                                         _("Decisions made after their due time")),
                           sla_hours=sla.sla_hours(), waiting_for_workers=info.count_waiting(),
                           four_eyes_waiting=requests.count_pending(), appeals_waiting=len(appeals.open_appeals()))


# -- appeals --------------------------------------------------------------------------------------

@bp.get("/appeals")
@role_required(*MODERATION)
def appeals_index():  # noqa: ANN201
    return render_template("review/appeals.html", waiting=appeals.open_appeals(), form=AppealForm(),
                           can_decide=_user().has_role(*SENIOR_ROLES), me=_user().id)


@bp.post("/appeals/<int:appeal_id>")
@role_required(*SENIOR_ROLES)
def decide_appeal(appeal_id: int):  # noqa: ANN201
    appeal = db.session.get(Appeal, appeal_id) or abort(404, description=_("no such appeal"))
    form = AppealForm()
    if not form.validate_on_submit():
        flash(_("Write the answer the worker will read."), "error")
        return redirect(url_for("moderation.appeals_index"))
    try:
        status = appeals.decide_appeal(appeal, _user(), uphold=bool(form.uphold.data), note=form.note.data,
                                       now=utcnow())
    except (appeals.AppealError, NotAllowed, ReviewError, FundingError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("moderation.appeals_index"))
    db.session.commit()
    flash(_("Appeal %(id)d %(status)s.", id=appeal_id, status=status), "ok")
    return redirect(url_for("moderation.appeals_index"))


# -- workers ---------------------------------------------------------------------------------------

def _worker_page(worker_id: str, form: SanctionForm | None = None, status: int = 200):  # noqa: ANN202
    worker = db.session.get(Worker, worker_id) or abort(404, description=_("no worker %(id)s", id=worker_id))
    now = utcnow()
    sanctions = standing.sanctions_of(worker_id)
    names = dict(db.session.query(StaffUser.id, StaffUser.name).all())
    return render_template("review/worker.html", worker=worker, standing=standing.standing(worker_id, now),
                           sanctions=sanctions, now=now, form=form or SanctionForm(), revoke_form=RevokeForm(),
                           names=names, pending=len(bulk.pending_proofs_of(worker_id))), status


@bp.get("/workers/<worker_id>")
@role_required(*MODERATION)
def worker(worker_id: str):  # noqa: ANN201
    return _worker_page(worker_id)


@bp.post("/workers/<worker_id>/sanctions")
@role_required(*MODERATION)
def sanction(worker_id: str):  # noqa: ANN201
    form = SanctionForm()
    if not form.validate_on_submit():
        return _worker_page(worker_id, form, 422)
    order = standing.SanctionOrder(
        worker_id=worker_id, kind=form.kind.data, scope=form.scope.data,
        scope_id=(form.scope_id.data or "").strip() or None, days=form.days.data, reason=form.reason.data.strip(),
        pending_decision=form.pending_decision.data or "", reason_code=form.reason_code.data or None)
    try:
        standing.check_order(order)
        four_eyes = standing.four_eyes_reason(order)
        preview_counts = {"workers": 1, "proofs": len(bulk.pending_proofs_of(
            worker_id, standing.scope_campaigns(order.scope, order.scope_id))) if order.pending_decision else 0}
        asked = requests.submit("worker_sanction", order.as_payload(), preview_counts, _user(), four_eyes, utcnow())
    except ReviewError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _worker_page(worker_id, form, exc.status_code)
    db.session.commit()
    flash(_("Request #%(id)d waits for a second reviewer: %(why)s.", id=asked.id, why=four_eyes)
          if asked.status == "pending" else _("Sanction in force."), "info" if four_eyes else "ok")
    return redirect(url_for("moderation.worker", worker_id=worker_id))


@bp.post("/workers/<worker_id>/sanctions/<int:sanction_id>/lift")
@role_required(*MODERATION)
def lift(worker_id: str, sanction_id: int):  # noqa: ANN201
    found = db.session.get(WorkerSanction, sanction_id)
    if found is None or found.worker_id != worker_id:
        abort(404, description=_("no such sanction"))
    if found.kind == "ban" and not _user().has_role(*SENIOR_ROLES):
        abort(403, description=_("a ban is lifted by a senior moderator"))
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400, description=_("say why the sanction is lifted"))
    try:
        standing.revoke(found, _user(), form.reason.data, utcnow())
    except ReviewError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("moderation.worker", worker_id=worker_id))
    db.session.commit()
    flash(_("Sanction lifted."), "ok")
    return redirect(url_for("moderation.worker", worker_id=worker_id))
