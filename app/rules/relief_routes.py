"""The operators' relief page: mutes of one signal (or allowlists) for one worker, address, device or
campaign, in force, expired or lifted; create one, lift one. The same mechanism moderators reach
from a proof (app/review/routes.py); the logic is app/scoring/services/relief.py.

Thin adapters: parse, call the service, commit once, then queue the rescoring of the entity's
undecided proofs. Operators and admins only (the access matrix's `relief` line).
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.platform.access import role_required
from app.platform.i18n import _
from app.platform.paging import asked_before
from app.rules.forms import LiftForm, MuteForm
from app.scoring.jobs import enqueue_scoring
from app.scoring.services import relief
from models import DomainError, db, utcnow
from review_rules.relief import ENTITY_KINDS

bp = Blueprint("relief", __name__, url_prefix="/rules/relief")
OPERATORS = ("operator",)  # admins pass every role check


def _user():  # noqa: ANN202 - the StaffUser behind the proxy
    return current_user._get_current_object()


def _filters() -> relief.MuteFilters:
    state = request.args.get("state", "active")
    kind = request.args.get("kind") or None
    return relief.MuteFilters(state=state if state in (*relief.STATES, "all") else "active",
                              entity_kind=kind if kind in ENTITY_KINDS else None,
                              signal_code=request.args.get("signal") or None,
                              entity=(request.args.get("entity") or "").strip() or None)


def _page(form: MuteForm | None = None, status: int = 200):  # noqa: ANN202
    filters, now = _filters(), utcnow()
    page = relief.mute_page(filters, asked_before(), now)
    mutes = page.rows
    shown_filters = {"state": filters.state, "kind": filters.entity_kind, "signal": filters.signal_code,
                     "entity": filters.entity}
    return render_template("rules/relief.html", mutes=mutes, page=page, filters=filters, now=now,
                           page_args={k: v for k, v in shown_filters.items() if v}, form=form or MuteForm(),
                           lift_form=LiftForm(formdata=None), names=relief.staff_names(mutes),
                           kinds=ENTITY_KINDS, signals=relief.signal_codes(), states=(*relief.STATES, "all"),
                           durations=dict(relief.duration_choices())), status


@bp.get("/")
@role_required(*OPERATORS)
def index():  # noqa: ANN201
    return _page()


@bp.post("/")
@role_required(*OPERATORS)
def create():  # noqa: ANN201
    form = MuteForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        value, source = relief.resolve_entity(form.entity_kind.data, form.entity.data)
        mute = relief.create_mute(signal_code=form.signal_code.data, entity_kind=form.entity_kind.data,
                                  entity_value=value, source_proof_id=source, hours=int(form.hours.data),
                                  reason=form.reason.data, actor=_user())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _page(form, exc.status_code)
    ids = relief.undecided_proof_ids(mute, current_app.config["SETTLEMENT_HOLD_HOURS"])
    db.session.commit()
    enqueue_scoring(ids)
    flash(_("Relief #%(id)s in force for %(duration)s; %(n)d waiting proof(s) sent for rescoring.", id=mute.id,
            duration=dict(relief.duration_choices())[form.hours.data], n=len(ids)), "ok")
    return redirect(url_for("relief.index"))


@bp.post("/<int:mute_id>/lift")
@role_required(*OPERATORS)
def lift(mute_id: int):  # noqa: ANN201
    form = LiftForm()
    if not form.validate_on_submit():
        flash(_("Say why the mute is lifted."), "error")
        return redirect(url_for("relief.index"))
    mute = relief.lift_mute(mute_id, actor=_user(), reason=form.reason.data)  # a DomainError answers 4xx
    ids = relief.undecided_proof_ids(mute, current_app.config["SETTLEMENT_HOLD_HOURS"])
    db.session.commit()
    enqueue_scoring(ids)
    flash(_("Relief #%(id)s lifted; %(n)d waiting proof(s) sent for rescoring.", id=mute.id, n=len(ids)), "ok")
    return redirect(url_for("relief.index"))
