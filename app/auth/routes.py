"""Sign in and out."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from app.auth.forms import EmptyForm, LoginForm
from app.auth.services.staff import authenticate
from app.extensions import db, login_manager
from app.platform.audit import record
from models import StaffUser

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message_category = "info"

# Where each role starts its day: the first page of this list it may open (areas not built yet are skipped).
HOME_PAGES = (
    ("queue.index", ("moderator", "senior_moderator")),
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
            flash("Wrong email or password.", "error")
            return render_template("auth/login.html", form=form), 401
        login_user(user, remember=form.remember.data)
        record("staff.login", "staff_user", str(user.id), actor=user)
        db.session.commit()
        target = request.args.get("next", "")
        if not target or urlsplit(target).netloc or not target.startswith("/"):
            target = home_url(user)
        return redirect(target)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():  # noqa: ANN201
    if EmptyForm().validate_on_submit():
        logout_user()
    return redirect(url_for("auth.login"))
