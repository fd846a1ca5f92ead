"""Administration in the browser: staff accounts, the JSON API's client tokens, retention settings.

A temporary password or a new token is shown once, in the response to the POST that made it
(never in a flash message: those travel in the session cookie), on a page the browser may not cache.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from app.admin import jobs as periodic
from app.admin.forms import AccountActionForm, InviteForm, RevokeForm, RunNowForm, SettingsForm, TokenForm
from app.admin.schedule import schedule
from app.admin.services import retention, settings
from app.auth.services import accounts
from app.auth.services.api_tokens import create_token, list_clients, revoke_token
from app.platform.access import role_required
from app.platform.i18n import _
from models import DomainError, db

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _admin():  # noqa: ANN202 - the StaffUser behind the proxy
    return current_user._get_current_object()


def _staff_page(invite: InviteForm | None = None, secret: dict | None = None, status: int = 200):  # noqa: ANN202
    return render_template("admin/staff.html", accounts=accounts.staff_accounts(), invite=invite or InviteForm(),
                           action=AccountActionForm, secret=secret), status


@bp.get("/")
@role_required("admin")
def staff():  # noqa: ANN201
    return _staff_page()


@bp.post("/staff")
@role_required("admin")
def invite():  # noqa: ANN201
    form = InviteForm()
    if not form.validate_on_submit():
        return _staff_page(form, status=422)
    try:
        user, password = accounts.invite(form.email.data, form.name.data or "", form.role.data, actor=_admin())
    except DomainError as exc:
        db.session.rollback()
        form.email.errors.append(str(exc))
        return _staff_page(form, status=exc.status_code)
    db.session.commit()
    return _staff_page(secret={"email": user.email, "password": password})


@bp.post("/staff/<int:user_id>")
@role_required("admin")
def account_action(user_id: int):  # noqa: ANN201
    form = AccountActionForm()
    if not form.validate_on_submit():
        abort(400, description=_("the form expired; reload the page and try again"))
    reason = (form.reason.data or "").strip()
    try:
        if form.reset.data:
            user, password = accounts.reset_password(user_id, actor=_admin())
            db.session.commit()
            return _staff_page(secret={"email": user.email, "password": password})
        if form.change_role.data:
            user = accounts.change_role(user_id, form.role.data, actor=_admin(), reason=reason)
            message = _("%(email)s is now %(role)s.", email=user.email, role=form.role.data)
        else:
            user = accounts.set_active(user_id, bool(form.enable.data), actor=_admin(), reason=reason)
            message = _("%(email)s can sign in again.", email=user.email) if user.active \
                else _("%(email)s is disabled.", email=user.email)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.staff"))
    db.session.commit()
    flash(message, "ok")
    return redirect(url_for("admin.staff"))


def _tokens_page(form: TokenForm | None = None, secret: dict | None = None, status: int = 200):  # noqa: ANN202
    return render_template("admin/tokens.html", clients=list_clients(), form=form or TokenForm(),
                           revoke=RevokeForm(), secret=secret), status


@bp.get("/tokens")
@role_required("admin")
def tokens():  # noqa: ANN201
    return _tokens_page()


@bp.post("/tokens")
@role_required("admin")
def create_client():  # noqa: ANN201
    form = TokenForm()
    if not form.validate_on_submit():
        return _tokens_page(form, status=422)
    try:
        client, token = create_token(form.name.data, actor_label=_admin().email, scopes=form.scopes,
                                     expires_days=form.expires_days.data, brand_id=form.brand_id.data)
    except DomainError as exc:
        db.session.rollback()
        field = form.brand_id if str(exc).startswith("brand:") else form.name
        field.errors.append(str(exc))
        return _tokens_page(form, status=exc.status_code)
    db.session.commit()
    return _tokens_page(secret={"name": client.name, "token": token})


@bp.post("/tokens/<int:client_id>/revoke")
@role_required("admin")
def revoke_client(client_id: int):  # noqa: ANN201
    if not RevokeForm().validate_on_submit():
        abort(400, description=_("the form expired; reload the page and try again"))
    try:
        client = revoke_token(client_id, actor_label=_admin().email)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.tokens"))
    db.session.commit()
    flash(_("Revoked the token of %(name)s; its requests now get 401.", name=client.name), "ok")
    return redirect(url_for("admin.tokens"))


def _settings_page(form: SettingsForm | None = None, status: int = 200):  # noqa: ANN202
    return render_template("admin/settings.html", form=form or SettingsForm(data=settings.all_current()),
                           run_now=RunNowForm(), runs=retention.recent_runs(), due=retention.due_count(),
                           purged=retention.PURGED_COLUMNS, kept=retention.KEPT_COLUMNS,
                           periodic=schedule()), status


@bp.get("/settings")
@role_required("admin")
def settings_page():  # noqa: ANN201
    return _settings_page()


@bp.post("/settings")
@role_required("admin")
def save_settings():  # noqa: ANN201
    form = SettingsForm()
    if not form.validate_on_submit():
        return _settings_page(form, status=422)
    try:
        changed = settings.change(form.values, actor=_admin())
    except settings.SettingError as exc:
        db.session.rollback()
        getattr(form, exc.name).errors.append(str(exc).split(": ", 1)[-1])
        return _settings_page(form, status=exc.status_code)
    db.session.commit()
    names = _(", ").join(str(getattr(form, name).label.text) for name in sorted(changed))
    flash(_("Saved: %(names)s.", names=names) if changed else _("Nothing changed."), "ok")
    return redirect(url_for("admin.settings_page"))


@bp.post("/settings/retention-run")
@role_required("admin")
def run_retention():  # noqa: ANN201
    if not RunNowForm().validate_on_submit():
        abort(400, description=_("the form expired; reload the page and try again"))
    job_id = periodic.enqueue_retention(_admin())
    flash(_("Retention run queued (job %(id)s); this page shows it when a worker has run it.", id=job_id)
          if job_id else _("Retention ran (or one is already queued); its result is below."), "ok")
    return redirect(url_for("admin.settings_page"))
