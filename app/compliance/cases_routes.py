"""Cases pages: the list, opening a case, a case's file (items, timeline, disputes) and its actions;
disputes filed on a brand's behalf from the brand file. Attached to the compliance blueprint, so
only compliance staff and admins reach them."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from app.compliance import cases_forms as forms
from app.compliance.routes import PER_PAGE, ROLES, bp
from app.compliance.services import case_files, case_outcomes, cases, disputes
from app.platform.access import role_required
from app.platform.audit import record
from app.platform.i18n import _
from app.review.services import reasons
from models import DomainError, NotFound, StaffUser, db


def _actor() -> StaffUser:
    return current_user._get_current_object()


def _owner_choices(blank: str) -> list[SelectChoice]:
    staff = db.session.scalars(db.select(StaffUser).where(StaffUser.role.in_(("compliance", "admin")),
                                                          StaffUser.active.is_(True)).order_by(StaffUser.email))
    return [SelectChoice(0, blank)] + [SelectChoice(s.id, s.email) for s in staff]


def _flash_errors(form) -> None:  # noqa: ANN001
    for field, errors in form.errors.items():
        for error in errors:
            flash(f"{getattr(form, field).label.text}: {error}", "error")


def _done(case_id: int, message: str) -> Response:
    db.session.commit()
    flash(message, "ok")
    return redirect(url_for("compliance.case_view", case_id=case_id))


def _failed(exc: DomainError, case_id: int | None = None) -> Response:
    db.session.rollback()
    flash(str(exc), "error")
    target = url_for("compliance.case_view", case_id=case_id) if case_id else url_for("compliance.case_list")
    return redirect(target)


@bp.get("/cases")
@role_required(*ROLES)
def case_list():  # noqa: ANN201
    form = forms.CaseFilterForm(request.args)
    form.owner.choices = _owner_choices(_("anyone"))
    form.validate()
    status = form.status.data if form.status.data in ("active", "open", "investigating", "closed") else None
    page = cases.case_list(status=status, owner_id=form.owner.data or None, overdue=bool(form.overdue.data),
                           page=request.args.get("page", 1, type=int), per_page=PER_PAGE)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("compliance/cases/list.html", page=page, form=form, args=args,
                           status_labels=forms.STATUS_LABELS, priority_labels=forms.PRIORITY_LABELS,
                           subject_labels=forms.SUBJECT_LABELS)


@bp.get("/cases/new")
@role_required(*ROLES)
def case_new():  # noqa: ANN201
    form = forms.OpenCaseForm(formdata=None, subject_type=request.args.get("subject_type", "brand"),
                              subject_id=request.args.get("subject_id", ""), owner=current_user.id)
    form.priority.choices = forms._priority_choices()
    form.owner.choices = _owner_choices(_("nobody yet"))
    existing = cases.find_open_case(form.subject_type.data or "", form.subject_id.data or "")
    return render_template("compliance/cases/new.html", form=form, existing=existing)


@bp.post("/cases")
@role_required(*ROLES)
def case_open():  # noqa: ANN201
    form = forms.OpenCaseForm()
    form.priority.choices = forms._priority_choices()
    form.owner.choices = _owner_choices("")
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(url_for("compliance.case_new", subject_type=form.subject_type.data,
                                subject_id=form.subject_id.data))
    try:
        case = cases.open_case(form.subject_type.data, form.subject_id.data, actor=_actor(), title=form.title.data,
                               priority=form.priority.data, owner_id=form.owner.data or None,
                               due_on=form.due_on.data, reason=form.reason.data or None)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("compliance.case_new", subject_type=form.subject_type.data,
                                subject_id=form.subject_id.data))
    return _done(case.id, _("Case %(id)s opened.", id=case.id))


@bp.get("/cases/<int:case_id>")
@role_required(*ROLES)
def case_view(case_id: int):  # noqa: ANN201
    try:
        case = cases.get_case(case_id)
    except NotFound:
        abort(404)
    update = forms.CaseUpdateForm(formdata=None, obj=case, owner=case.owner_id or 0)
    update.priority.choices = forms._priority_choices()
    update.owner.choices = _owner_choices(_("nobody"))
    decision_form = forms.DisputeDecisionForm(formdata=None, reason_code=disputes.UPHELD_REASON)
    decision_form.reason_code.choices = [SelectChoice(r.code, r.label) for r in reasons.catalogue()]
    owner = db.session.get(StaffUser, case.owner_id) if case.owner_id else None
    return render_template(
        "compliance/cases/case.html", case=case, owner=owner, items=cases.items_of(case.id),
        timeline=cases.timeline(case), outcomes=case_outcomes.outcomes_of(case.id),
        disputes=disputes.disputes_of_case(case.id), update_form=update, proof_form=forms.AttachProofForm(),
        decision_item_form=forms.AttachDecisionForm(), note_form=forms.NoteForm(), file_form=forms.FileForm(),
        close_form=forms.CloseCaseForm(), dispute_decision_form=decision_form, forms=forms,
        max_mb=case_files.MAX_FILE_BYTES // (1024 * 1024))


@bp.post("/cases/<int:case_id>/update")
@role_required(*ROLES)
def case_update(case_id: int):  # noqa: ANN201
    form = forms.CaseUpdateForm()
    form.priority.choices = forms._priority_choices()
    form.owner.choices = _owner_choices("")
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(url_for("compliance.case_view", case_id=case_id))
    try:
        cases.update_case(case_id, actor=_actor(), status=form.status.data, priority=form.priority.data,
                          owner_id=form.owner.data or None, clear_owner=not form.owner.data,
                          due_on=form.due_on.data, clear_due=form.due_on.data is None, reason=form.reason.data)
    except DomainError as exc:
        return _failed(exc, case_id)
    return _done(case_id, _("Case %(id)s saved.", id=case_id))


@bp.post("/cases/<int:case_id>/proofs")
@role_required(*ROLES)
def case_attach_proof(case_id: int):  # noqa: ANN201
    form = forms.AttachProofForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(url_for("compliance.case_view", case_id=case_id))
    try:
        item = cases.attach_proof(case_id, form.proof_id.data, actor=_actor(), why=form.why.data or None)
    except DomainError as exc:
        return _failed(exc, case_id)
    if item is None:
        return _done(case_id, _("Proof %(id)s was already attached.", id=form.proof_id.data.strip()))
    return _done(case_id, _("Proof %(id)s attached.", id=item.ref))


@bp.post("/cases/<int:case_id>/decisions")
@role_required(*ROLES)
def case_attach_decision(case_id: int):  # noqa: ANN201
    form = forms.AttachDecisionForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(url_for("compliance.case_view", case_id=case_id))
    try:
        cases.attach_decision(case_id, form.decision_id.data, actor=_actor())
    except DomainError as exc:
        return _failed(exc, case_id)
    return _done(case_id, _("Review decision %(id)s attached.", id=form.decision_id.data))


@bp.post("/cases/<int:case_id>/notes")
@role_required(*ROLES)
def case_add_note(case_id: int):  # noqa: ANN201
    form = forms.NoteForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(url_for("compliance.case_view", case_id=case_id))
    try:
        cases.add_note(case_id, form.body.data, actor=_actor())
    except DomainError as exc:
        return _failed(exc, case_id)
    return _done(case_id, _("Note added."))


@bp.post("/cases/<int:case_id>/files")
@role_required(*ROLES)
def case_attach_file(case_id: int):  # noqa: ANN201
    form = forms.FileForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(url_for("compliance.case_view", case_id=case_id))
    upload = form.file.data
    try:
        item = case_files.attach_file(case_id, upload.stream, upload.filename,
                                      instance_dir=current_app.config["INSTANCE_DIR"], actor=_actor())
    except DomainError as exc:
        return _failed(exc, case_id)
    return _done(case_id, _("File %(name)s attached.", name=item.filename))


@bp.get("/cases/<int:case_id>/files/<int:item_id>")
@role_required(*ROLES)
def case_file(case_id: int, item_id: int):  # noqa: ANN201
    try:
        path, item = case_files.file_path(case_id, item_id, current_app.config["INSTANCE_DIR"])
    except NotFound:
        abort(404)
    # Evidence leaves the system: on the record, like a reveal.
    record("case.file_downloaded", "case", str(case_id), actor=_actor(), data={"item_id": item.id,
                                                                               "filename": item.filename})
    db.session.commit()
    return send_file(path, as_attachment=True, download_name=item.filename, mimetype="application/octet-stream")


@bp.post("/cases/<int:case_id>/close")
@role_required(*ROLES)
def case_close(case_id: int):  # noqa: ANN201
    form = forms.CloseCaseForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(url_for("compliance.case_view", case_id=case_id))
    try:
        case_outcomes.close_case(case_id, form.outcomes(), actor=_actor(), reason=form.reason.data)
    except DomainError as exc:
        return _failed(exc, case_id)
    return _done(case_id, _("Case %(id)s closed.", id=case_id))


@bp.post("/disputes/<int:dispute_id>/decide")
@role_required(*ROLES)
def dispute_decide(dispute_id: int):  # noqa: ANN201
    form = forms.DisputeDecisionForm()
    form.reason_code.choices = [SelectChoice(r.code, r.label) for r in reasons.catalogue()]
    case_id = request.form.get("case_id", type=int)
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(url_for("compliance.case_view", case_id=case_id) if case_id
                        else url_for("compliance.case_list"))
    try:
        disputes.decide_dispute(dispute_id, bool(form.uphold.data), actor=_actor(), note=form.note.data,
                                reason_code=form.reason_code.data)
    except DomainError as exc:
        return _failed(exc, case_id)
    message = _("Dispute %(id)s upheld.", id=dispute_id) if form.uphold.data else \
        _("Dispute %(id)s rejected.", id=dispute_id)
    return _done(case_id, message) if case_id else redirect(url_for("compliance.case_list"))


@bp.post("/brands/<brand_id>/disputes")
@role_required(*ROLES)
def brand_dispute(brand_id: str):  # noqa: ANN201
    form = forms.DisputeForm()
    back = url_for("compliance.brand_file", brand_id=brand_id)
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(back)
    try:
        filed = disputes.file_dispute(brand_id, form.ids(), form.brand_reason.data, source="browser", actor=_actor())
    except disputes.DisputeError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        for proof_id, problem in sorted(exc.problems.items())[:20]:
            flash(f"{proof_id}: {problem}", "error")
        return redirect(back)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(back)
    return _done(filed.case.id, _("Dispute %(id)s filed on case %(case)s.", id=filed.dispute.id, case=filed.case.id))


@bp.app_template_global("brand_cases_panel")
def brand_cases_panel(brand_id: str) -> dict:
    """What the brand file shows about cases: the brand's cases, its open one, the dispute form."""
    return {"rows": cases.case_list(brand_id=brand_id, per_page=20).rows,
            "open_case": cases.find_open_case("brand", brand_id), "dispute_form": forms.DisputeForm(),
            "status_labels": forms.STATUS_LABELS, "priority_labels": forms.PRIORITY_LABELS}
