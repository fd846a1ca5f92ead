"""Regulator exports in the browser: a brand's exports with their state, request one, watch its
progress, download its files. Attached to the compliance blueprint (compliance staff and admins)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SubmitField

from app.compliance.jobs import enqueue_export
from app.compliance.routes import ROLES, bp
from app.compliance.services import exports
from app.compliance.services.brands import get_brand
from app.platform.access import role_required
from app.platform.i18n import _, _l, select_locale
from models import DomainError, NotFound, Task, db


def export_state_label(state: str) -> str:
    labels = {"queued": _("queued"), "running": _("running"), "done": _("ready"), "failed": _("failed")}
    return labels.get(state, state)


class ExportForm(FlaskForm):
    submit = SubmitField(_l("Export the brand file (CSV bundle and report)"))


@bp.get("/brands/<brand_id>/exports")
@role_required(*ROLES)
def brand_exports(brand_id: str):  # noqa: ANN201
    try:
        brand = get_brand(brand_id)
    except NotFound:
        abort(404)
    return render_template("compliance/exports/list.html", brand=brand, rows=exports.exports_of(brand_id),
                           form=ExportForm(), export_state_label=export_state_label)


@bp.post("/brands/<brand_id>/exports")
@role_required(*ROLES)
def request_export(brand_id: str):  # noqa: ANN201
    if not ExportForm().validate_on_submit():
        abort(400, description=_("the form expired; reload the page"))
    try:
        export = exports.request_export(brand_id, actor=current_user._get_current_object(), locale=select_locale())
    except NotFound:
        db.session.rollback()
        abort(404)
    db.session.commit()
    export = enqueue_export(export)
    return redirect(url_for("compliance.export_status", export_id=export.id))


@bp.get("/exports/<int:export_id>")
@role_required(*ROLES)
def export_status(export_id: int):  # noqa: ANN201
    try:
        export = exports.get_export(export_id)
    except NotFound:
        abort(404)
    task = db.session.get(Task, export.task_id) if export.task_id else None
    return render_template("compliance/exports/status.html", export=export, task=task,
                           brand=get_brand(export.brand_id), export_state_label=export_state_label)


@bp.get("/exports/<int:export_id>/<kind>")
@role_required(*ROLES)
def export_download(export_id: int, kind: str):  # noqa: ANN201
    try:
        path, name, mimetype = exports.download(export_id, kind, root=exports.export_root(current_app.config),
                                                actor=current_user._get_current_object())
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("compliance.export_status", export_id=export_id))
    db.session.commit()  # the download is on the record before the file leaves
    return send_file(path, mimetype=mimetype, as_attachment=kind != "html", download_name=name)
