"""Sign in and out."""
from __future__ import annotations

import secrets
import time
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import refresh
from flask_limiter import RequestLimit
from flask_login import current_user, login_required, login_user, logout_user

from app.auth.forms import EmptyForm, LanguageForm, LoginForm, PasswordForm, PreferencesForm
from app.auth.services import accounts
from app.auth.services.staff import StaffError, authenticate
from app.extensions import db, limiter, login_manager
from app.platform.audit import bounded, recent_event, record
from app.platform.i18n import DEFAULT_TIMEZONE, LOCALES, _, select_locale
from models import StaffUser, utcnow

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message_category = "info"

# Where each role starts its day: the first page of this list it may open (areas not built yet are skipped).
HOME_PAGES = (
    ("admin.staff", ("admin",)),
    ("queue.index", ("moderator", "senior_moderator")),
    ("rules.overview", ("operator",)),
    ("compliance.brand_list", ("compliance",)),
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
    """The signed-in person of a session, while their password is the one they signed in with."""
    number, _, key = user_id.partition(":")
    user = db.session.get(StaffUser, int(number)) if number.isdigit() else None
    return user if user is not None and key and secrets.compare_digest(key, user.session_key) else None


@bp.get("/")
def index():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return redirect(url_for("auth.login"))


def _failed(response: Response) -> bool:
    return response.status_code == 401


def _account_key() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()


def _locked_out(limit: RequestLimit) -> Response:
    """Too many failed sign-ins for this account or from this address: say so, and until when."""
    minutes = max(1, round((limit.reset_at - time.time()) / 60))  # the store rounds reset_at up a second
    email = (request.form.get("email") or "").strip().lower()
    scope = "account" if _account_key() in limit.key else "address"
    # One audit row per account (or address) and pause: a client hammering the page must not fill
    # the chain, whose lock every decision and payout also takes.
    if not recent_event("staff.login_throttled", bounded(email or "-"), bounded(request.remote_addr or "unknown"),
                        since=utcnow() - timedelta(seconds=max(1.0, limit.reset_at - time.time()) + 60)):
        record("staff.login_throttled", "staff_user", email or "-", actor_label=request.remote_addr or "unknown",
               data={"scope": scope, "minutes": minutes})
        db.session.commit()
    flash(_("Too many failed sign-ins. Try again in %(minutes)d minutes.", minutes=minutes), "error")
    return make_response(render_template("auth/login.html", form=LoginForm()), 429)


def _too_fast(limit: RequestLimit) -> Response:
    flash(_("Sign-in attempts are coming too fast; wait a moment and try again."), "error")
    return make_response(render_template("auth/login.html", form=LoginForm()), 429)


# Failures are counted once a sign-in has failed, so attempts sent at the same moment would all be
# checked before any was counted: every attempt also takes its turn at a pace (one a second per
# account, counted as it starts, atomically in the limit store), which leaves a burst nothing to win.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_PACE_PER_ACCOUNT"], methods=["POST"], key_func=_account_key,
               on_breach=_too_fast, scope="login-account-pace")
@limiter.limit(lambda: current_app.config["LOGIN_PACE_PER_ADDRESS"], methods=["POST"], on_breach=_too_fast,
               scope="login-address-pace")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed,
               on_breach=_locked_out, scope="login-address")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], deduct_when=_failed,
               on_breach=_locked_out, key_func=_account_key, scope="login-account")
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
        refresh()  # the confirmation already in the language just chosen
        flash(_("Saved: the workbench now speaks %(language)s and shows times in %(zone)s.",
                language=LOCALES[form.locale.data], zone=form.timezone.data), "ok")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, now=utcnow(), signout_form=EmptyForm())


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():  # noqa: ANN201
    """The signed-in person's own password; the first page after signing in with a handed-over one."""
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(user, form.current.data, form.new.data)
        except StaffError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return render_template("auth/password.html", form=form), 422
        db.session.commit()
        # this session follows the new password (every other one ended with the old), remembered if it was
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
        login_user(user, remember=remembered)
        flash(_("Your password is changed; other sessions were signed out."), "ok")
        return redirect(home_url(user))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():  # noqa: ANN201
    """End every session and remembered sign-in of this person (a lost laptop, a shared computer):
    each cookie's key changes on the server, so a copy of one signs nobody in either."""
    if EmptyForm().validate_on_submit():
        current_user.end_sessions()
        record("staff.signed_out_everywhere", "staff_user", str(current_user.id), actor=current_user)
        db.session.commit()
        logout_user()
        flash(_("Signed out on every device."), "ok")
    return redirect(url_for("auth.login"))
