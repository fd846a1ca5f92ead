"""The managed list of reject reasons (senior moderators) and questions to the worker (proof page).

Thin adapters over app/review/services/{reasons,info}.py: parse, call, commit once, redirect.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.platform.access import role_required
from app.platform.i18n import _
from app.review.casework_forms import InfoRequestForm, ReasonForm, RetireForm
from app.review.moderation_forms import BulkForm
from app.review.services import bulk, info, reasons, requests
from app.review.services.claims import NotAllowed
from app.review.services.decisions import ReviewError
from app.review.services.queue import SENIOR_ROLES
from models import Proof, db, utcnow

bp = Blueprint("casework", __name__, url_prefix="/queue")
MODERATION = ("moderator", "senior_moderator")


def _user():  # noqa: ANN202 - the StaffUser behind the proxy
    return current_user._get_current_object()


@bp.app_context_processor
def info_helpers() -> dict:
    """For the proof page's question box (review/_info.html), which the proof view does not compute."""
    return {"info_history": info.history, "InfoRequestForm": InfoRequestForm, "ListBulkForm": BulkForm,
            "reason_label": reasons.label}


# -- reject reasons --------------------------------------------------------------------------------

def _reasons_page(form: ReasonForm | None = None, status: int = 200):  # noqa: ANN202
    rows = reasons.catalogue(include_retired=True)
    edit_forms = {r.code: ReasonForm(formdata=None, code=r.code, label=r.label, message_en=r.message_en,
                                     message_zh=r.message_zh) for r in rows}
    return render_template("review/reasons.html", reasons=rows, form=form or ReasonForm(formdata=None),
                           edit_forms=edit_forms, retire_form=RetireForm()), status


@bp.get("/reasons")
@role_required(*SENIOR_ROLES)
def reasons_index():  # noqa: ANN201
    return _reasons_page()


@bp.post("/reasons")
@role_required(*SENIOR_ROLES)
def add_reason():  # noqa: ANN201
    form = ReasonForm()
    if not form.validate_on_submit():
        return _reasons_page(form, 422)
    try:
        reasons.add(form.code.data, form.label.data, form.message_en.data, form.message_zh.data, _user(), utcnow())
    except reasons.ReasonError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _reasons_page(form, exc.status_code)
    db.session.commit()
    flash(_("Reason %(code)s added.", code=form.code.data.strip()), "ok")
    return redirect(url_for("casework.reasons_index"))


@bp.post("/reasons/<code>")
@role_required(*SENIOR_ROLES)
def edit_reason(code: str):  # noqa: ANN201
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Write the label and both messages."), "error")
        return _reasons_page(status=422)
    try:
        reasons.edit(code, form.label.data, form.message_en.data, form.message_zh.data, _user(), utcnow())
    except reasons.ReasonError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _reasons_page(status=exc.status_code)
    db.session.commit()
    flash(_("Reason %(code)s saved.", code=code), "ok")
    return redirect(url_for("casework.reasons_index"))


@bp.post("/reasons/<code>/retire")
@role_required(*SENIOR_ROLES)
def retire_reason(code: str):  # noqa: ANN201
    form = RetireForm()
    if not form.validate_on_submit():
        abort(400, description=_("the form expired; reload the page and try again"))
    try:
        reasons.set_retired(code, retired=not form.restore.data, user=_user(), now=utcnow())
    except reasons.ReasonError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _reasons_page(status=exc.status_code)
    db.session.commit()
    flash(_("Reason %(code)s brought back.", code=code) if form.restore.data
          else _("Reason %(code)s retired.", code=code), "ok")
    return redirect(url_for("casework.reasons_index"))


# -- more information from the worker --------------------------------------------------------------

@bp.post("/proofs/<proof_id>/ask")
@role_required(*MODERATION)
def ask_worker(proof_id: str):  # noqa: ANN201
    proof = db.session.get(Proof, proof_id) or abort(404, description=_("no proof %(proof)r", proof=proof_id))
    form = InfoRequestForm()
    if not form.validate_on_submit():
        flash(_("Write the question, and an answer time between 1 and %(n)d hours.", n=info.MAX_HOURS), "error")
        return redirect(url_for("queue.proof", proof_id=proof_id))
    try:
        asked = info.ask(proof, _user(), form.question.data, form.hours.data, utcnow())
    except (info.InfoConflict, NotAllowed, ReviewError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("queue.proof", proof_id=proof_id))
    db.session.commit()
    flash(_("Asked the worker about %(proof)s; it returns to the queue when they answer or at %(due)s.",
            proof=proof_id, due=asked.due_at.strftime("%Y-%m-%d %H:%M UTC")), "ok")
    return redirect(url_for("queue.index"))


# -- bulk actions on rows ticked in a queue list ---------------------------------------------------

def _back() -> str:
    """The list the rows were ticked on (its filters and page); only a path of this workbench."""
    back = request.form.get("back") or ""
    return back if back.startswith("/queue") and "//" not in back and "\\" not in back else url_for("queue.index")


def _back_to_list():  # noqa: ANN202
    return redirect(_back())


@bp.post("/bulk/preview")
@role_required(*MODERATION)
def list_preview():  # noqa: ANN201
    """Say what the action over the ticked rows would touch and whether it needs a second reviewer."""
    form = BulkForm()
    if not form.validate_on_submit():
        abort(400, description=_("the form expired; reload the page and try again"))
    chosen = bulk.selection(request.form.getlist("proof_id"))
    note = (form.note.data or "").strip() or None
    try:
        bulk.check_bulk(form.decision.data, form.reason_code.data or None, note, chosen)
    except ReviewError as exc:
        flash(str(exc), "error")
        return _back_to_list()
    policy = bulk.FourEyesPolicy.from_config(current_app.config)
    ring = bulk.ring_in_selection(form.decision.data, chosen)
    return render_template("review/bulk_preview.html", cluster=None, form=form, chosen=chosen, ring=ring,
                           back=_back(),
                           four_eyes=bulk.four_eyes_reason(form.decision.data, chosen, ring, policy))


@bp.post("/bulk/act")
@role_required(*MODERATION)
def list_act():  # noqa: ANN201
    """Apply the previewed action (or send it for four eyes); the server recounts before it acts."""
    form = BulkForm()
    if not form.validate_on_submit() or not form.confirm.data:
        abort(400, description=_("the form expired; reload the page and try again"))
    chosen = bulk.selection(request.form.getlist("proof_id"))
    note = (form.note.data or "").strip() or None
    decision, reason_code = form.decision.data, form.reason_code.data or None
    try:
        bulk.check_bulk(decision, reason_code, note, chosen)
        ring = bulk.ring_in_selection(decision, chosen)  # ticking a whole ring's rows is rejecting the ring
        four_eyes = bulk.four_eyes_reason(decision, chosen, ring, bulk.FourEyesPolicy.from_config(current_app.config))
        asked = requests.submit("bulk_decision", bulk.bulk_payload(decision, reason_code, note, chosen,
                                                                    cluster_of=None, whole_ring=ring),
                                chosen.as_dict(), _user(), four_eyes, utcnow())
    except (ReviewError, NotAllowed) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back_to_list()
    db.session.commit()
    if asked.status == "pending":
        flash(_("Request #%(id)d waits for a second reviewer: %(why)s.", id=asked.id, why=four_eyes), "info")
    else:
        flash(_("Applied to %(n)d proofs (%(skipped)d skipped).", n=asked.result["decided"],
                skipped=asked.result["skipped"] + asked.result["claimed"]), "ok")
    return _back_to_list()
