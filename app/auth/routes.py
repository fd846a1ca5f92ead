"""Sign in and out."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth.forms import EmptyForm, LanguageForm, LoginForm, PreferencesForm
from app.auth.services.staff import authenticate
from app.extensions import db, login_manager
from app.platform.audit import record
from app.platform.i18n import DEFAULT_TIMEZONE, _, select_locale
from models import StaffUser, utcnow

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message_category = "info"

# Where each role starts its day: the first page of this list it may open (areas not built yet are skipped).
HOME_PAGES = (
    ("queue.index", ("moderator", "senior_moderator")),
    ("rules.overview", ("operator",)),
    ("ledger.index", ("compliance", "operator")),
)


def home_url(user: StaffUser) -> str:
    """The landing page for this staff member's role."""
    for endpoint, roles in HOME_PAGES:
        if endpoint in current_app.view_functions and user.has_role(*roles):
            return url_for(endpoint)
    return url_for("queue.index")


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    return db.session.get(StaffUser, int(user_id))


@bp.get("/")
def index():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            flash(_("Wrong email or password."), "error")
            return render_template("auth/login.html", form=form), 401
        login_user(user, remember=form.remember.data)
        record("staff.login", "staff_user", str(user.id), actor=user)
        db.session.commit()
        return redirect(_local(request.args.get("next", "")) or home_url(user))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():  # noqa: ANN201
    if EmptyForm().validate_on_submit():
        logout_user()
    return redirect(url_for("auth.login"))


def _local(target: str) -> str | None:
    """`target` when it is a path on this site (never another host), else None."""
    if not target or urlsplit(target).netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.post("/preferences/language")
def set_language():  # noqa: ANN201
    """The switch on every page: kept on the account when signed in, in the session before."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    return redirect(_local(form.next.data or "") or url_for("auth.index"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():  # noqa: ANN201
    """Language and time zone of the signed-in staff member."""
    form = PreferencesForm(locale=current_user.locale or select_locale(),
                           timezone=current_user.timezone or DEFAULT_TIMEZONE)
    if form.validate_on_submit():
        current_user.locale, current_user.timezone = form.locale.data, form.timezone.data
        record("staff.preferences", "staff_user", str(current_user.id), actor=current_user,
               data={"locale": form.locale.data, "timezone": form.timezone.data})
        db.session.commit()
        flash(_("Saved: the workbench now speaks %(language)s and shows times in %(zone)s.",
                language=dict(form.locale.choices)[form.locale.data], zone=form.timezone.data), "ok")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, now=utcnow())
