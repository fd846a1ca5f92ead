"""The operators' workbench: overview, signal catalogue, rule editor, try on one proof, backtests,
versions with maker-checker publication and rollback.

Thin adapters over app/rules/services/: parse the request, call a service, commit once, then queue
what follows (rescoring, a backtest). GET handlers never write. Operators and admins only.
"""
from __future__ import annotations

from datetime import UTC, datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.platform.access import role_required
from app.platform.form_errors import form_errors
from app.platform.i18n import _, stored_text
from app.platform.paging import asked_before
from app.rules import charts
from app.rules.forms import ActionForm, BacktestForm, DraftForm, editor_settings
from app.rules.jobs import after_activation, after_model_change, enqueue_backtest, enqueue_shadow_catch_up
from app.rules.services import backtest as backtests
from app.rules.services import drift as drift_service
from app.rules.services import models as model_service
from app.rules.services import overview as overview_service
from app.rules.services import shadow as shadow_service
from app.rules.services import try_proof, versions
from app.scoring.jobs import enqueue_training
from models import Backtest, DomainError, Task, db
from review_rules.registry import all_signals

bp = Blueprint("rules", __name__, url_prefix="/rules")
OPERATORS = ("operator",)  # admins pass every role check


def _user():  # noqa: ANN202 - the StaffUser behind the proxy, for services that take explicit arguments
    return current_user._get_current_object()


@bp.context_processor
def helpers() -> dict:
    return {"charts": charts, "pct": lambda v: "–" if v is None else f"{100 * v:.1f}%"}


@bp.get("/")
@role_required(*OPERATORS)
def overview():  # noqa: ANN201
    days = request.args.get("days", 30, type=int)
    if not 1 <= days <= 365:
        abort(400, description=_("days must be between 1 and 365"))
    data = overview_service.overview(days)
    db.session.commit()  # the default rule set, on a fresh database
    return render_template("rules/overview.html", data=data, days=days)


@bp.get("/signals")
@role_required(*OPERATORS)
def signals():  # noqa: ANN201
    rows = overview_service.catalogue()
    order = request.args.get("sort", "honest_cost")
    if order == "honest_cost":
        rows.sort(key=lambda r: (-r["fires_approved"], r["spec"].code))
    db.session.commit()
    return render_template("rules/signals.html", rows=rows, sort=order)


@bp.route("/editor", methods=["GET", "POST"])
@role_required(*OPERATORS)
def editor():  # noqa: ANN201
    source = versions.resolve(request.values.get("from", "active"))
    db.session.commit()  # the default rule set, on a fresh database: a refused draft must not roll it back
    config = versions.checked(source)
    form = DraftForm()
    error, status = None, 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            draft = versions.create_draft(source, editor_settings(request.form, config), _user(), form.note.data or "")
        except DomainError as exc:
            db.session.rollback()
            error, status = str(exc), 422
        else:
            db.session.commit()
            flash(_("Draft version %(v)s saved; a second operator must approve it.", v=draft.version), "ok")
            return redirect(url_for("rules.version", number=draft.version))
    elif request.method == "POST":
        error, status = form_errors(form), 400
    specs = all_signals()
    return render_template("rules/editor.html", source=source, config=config, specs=specs, form=form,
                           error=error, posted=request.form if request.method == "POST" else None), status


@bp.get("/versions")
@role_required(*OPERATORS)
def version_list():  # noqa: ANN201
    page = versions.version_page(asked_before())
    entries = versions.history(page.rows)
    db.session.commit()  # the default rule set, if this was the first look
    return render_template("rules/versions.html", entries=entries, page=page, form=ActionForm())


@bp.get("/versions/<int:number>")
@role_required(*OPERATORS)
def version(number: int):  # noqa: ANN201
    row = versions.resolve(number)
    changes = versions.diff_against_active(row) if row.status != "active" else []
    tests = backtests.of_version(row.version)
    return render_template("rules/version.html", row=row, changes=changes, form=ActionForm(), tests=tests,
                           backtest_form=BacktestForm(formdata=None), entry=_entry(row.version),
                           own_draft=row.created_by == current_user.id, unattributed=versions.unattributed(row),
                           active_version=versions.resolve("active").version)


def _entry(number: int) -> dict:
    return versions.history([versions.resolve(number)])[0]


@bp.post("/versions/<int:number>/publish")
@role_required(*OPERATORS)
def publish(number: int):  # noqa: ANN201
    if not ActionForm().validate_on_submit():
        abort(400)
    # ApprovalRefused is a 403; seen_active: the version the page's diff was against
    row = versions.publish(versions.resolve(number), _user(), request.form.get("seen_active", type=int))
    db.session.commit()
    task = after_activation(row.version)
    flash(_("Version %(v)s is active. %(m)s", v=row.version, m=stored_text(task.message)), "ok")
    return redirect(url_for("rules.version", number=row.version))


@bp.post("/versions/<int:number>/rollback")
@role_required(*OPERATORS)
def rollback(number: int):  # noqa: ANN201
    if not ActionForm().validate_on_submit():
        abort(400)
    row = versions.rollback(versions.resolve(number), _user())
    db.session.commit()
    task = after_activation(row.version, rolled_back=True)
    flash(_("Rolled back: version %(v)s is active again. %(m)s", v=row.version, m=stored_text(task.message)), "ok")
    return redirect(url_for("rules.version_list"))


@bp.get("/try")
@role_required(*OPERATORS)
def try_one():  # noqa: ANN201
    proof_id = (request.args.get("proof") or "").strip()
    version_name = request.args.get("version", "draft")
    result = None
    if proof_id:
        result = try_proof.compare(proof_id, version_name)
    return render_template("rules/try.html", proof_id=proof_id, version_name=version_name, result=result,
                           waiting=[] if result else try_proof.from_queue())


@bp.get("/backtests")
@role_required(*OPERATORS)
def backtest_list():  # noqa: ANN201
    page = backtests.page(asked_before())
    return render_template("rules/backtests.html", tests=page.rows, page=page, tasks=_tasks(page.rows))


def _tasks(tests: list[Backtest]) -> dict[int, Task]:
    return {t.id: db.session.get(Task, t.task_id) for t in tests if t.task_id}


@bp.post("/versions/<int:number>/backtests")
@role_required(*OPERATORS)
def start_backtest(number: int):  # noqa: ANN201
    form = BacktestForm()
    if not form.validate_on_submit():
        abort(400, description=form_errors(form))
    since = datetime.combine(form.since.data, time(), tzinfo=UTC)
    until = datetime.combine(form.until.data, time(), tzinfo=UTC)
    test = backtests.start(versions.resolve(number), since, until, _user())
    db.session.commit()
    test = enqueue_backtest(test)
    return redirect(url_for("rules.backtest", test_id=test.id))


@bp.get("/backtests/<int:test_id>")
@role_required(*OPERATORS)
def backtest(test_id: int):  # noqa: ANN201
    test = db.session.get(Backtest, test_id) or abort(404)
    task = db.session.get(Task, test.task_id) if test.task_id else None
    return render_template("rules/backtest.html", test=test, task=task, r=test.results)


@bp.get("/models")
@role_required(*OPERATORS)
def models():  # noqa: ANN201
    page = model_service.versions(asked_before())
    return render_template("rules/models.html", versions=page.rows, page=page, form=ActionForm(),
                           tasks=model_service.training_tasks(), metrics=model_service.METRICS)


@bp.get("/models/compare")
@role_required(*OPERATORS)
def models_compare():  # noqa: ANN201
    report = model_service.compare()
    db.session.rollback()  # reads only
    return render_template("rules/models_compare.html", report=report, metrics=model_service.METRICS)


@bp.post("/models/train")
@role_required(*OPERATORS)
def models_train():  # noqa: ANN201
    if not ActionForm().validate_on_submit():
        abort(400)
    task = enqueue_training(actor=_user())
    return redirect(url_for("rules.task", task_id=task.id))


@bp.post("/models/<version>/promote")
@role_required(*OPERATORS)
def models_promote(version: str):  # noqa: ANN201
    if not ActionForm().validate_on_submit():
        abort(400)
    rollback = request.form.get("rollback") == "1"
    row = model_service.promote(version, _user(), rollback=rollback)
    db.session.commit()
    task = after_model_change(row.version, rolled_back=rollback)
    flash(_("Model %(v)s is active. %(m)s", v=row.version, m=stored_text(task.message)), "ok")
    return redirect(url_for("rules.models"))


@bp.get("/tasks/<int:task_id>")
@role_required(*OPERATORS)
def task(task_id: int):  # noqa: ANN201
    row = db.session.get(Task, task_id) or abort(404)
    return render_template("rules/task.html", task=row)


@bp.get("/shadow")
@role_required(*OPERATORS)
def shadow_page():  # noqa: ANN201
    row = shadow_service.current()
    report = shadow_service.comparison(row) if row else None
    return render_template("rules/shadow.html", row=row, r=report, form=ActionForm())


@bp.post("/versions/<int:number>/shadow")
@role_required(*OPERATORS)
def shadow_start(number: int):  # noqa: ANN201
    if not ActionForm().validate_on_submit():
        abort(400)
    row = shadow_service.start(versions.resolve(number), _user())
    db.session.commit()
    flash(_("Version %(v)s runs in shadow: every proof scored from now on is also scored by it.", v=row.version),
          "ok")
    return redirect(url_for("rules.shadow_page"))


@bp.post("/shadow/stop")
@role_required(*OPERATORS)
def shadow_stop():  # noqa: ANN201
    if not ActionForm().validate_on_submit():
        abort(400)
    row = shadow_service.current() or abort(404)
    shadow_service.stop(row, _user())
    db.session.commit()
    return redirect(url_for("rules.version", number=row.version))


@bp.post("/shadow/run")
@role_required(*OPERATORS)
def shadow_run():  # noqa: ANN201
    if not ActionForm().validate_on_submit():
        abort(400)
    shadow_service.request_catch_up(_user())
    db.session.commit()
    enqueue_shadow_catch_up()
    return redirect(url_for("rules.shadow_page"))


@bp.get("/models/drift")
@role_required(*OPERATORS)
def models_drift():  # noqa: ANN201
    days = request.args.get("days", 7, type=int)
    if not 1 <= days <= 90:
        abort(400, description=_("days must be between 1 and 90"))
    report = drift_service.drift(days)
    db.session.rollback()  # reads only
    return render_template("rules/drift.html", report=report, days=days)
