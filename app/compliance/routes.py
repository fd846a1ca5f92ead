"""Compliance workbench: brands by risk, a brand's file with its KYC, and the audit trail.
Only compliance staff (and admins) reach these pages."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.compliance.charts import trend_chart
from app.compliance.forms import KYC_LABELS, AuditExportForm, AuditFilterForm, KycForm, RefreshForm
from app.compliance.services import audit_trail, brands, scorecard
from app.platform.access import role_required
from app.platform.audit import record
from app.platform.i18n import _
from app.platform.reveal import RevealForm, reveal
from models import DomainError, db

bp = Blueprint("compliance", __name__, url_prefix="/compliance")
ROLES = ("compliance",)  # admin passes every role check
PER_PAGE = 50


@bp.get("/")
@role_required(*ROLES)
def index():  # noqa: ANN201
    return redirect(url_for("compliance.brand_list"))


@bp.get("/brands")
@role_required(*ROLES)
def brand_list():  # noqa: ANN201
    page = brands.brands_by_risk(request.args.get("page", 1, type=int), PER_PAGE)
    return render_template("compliance/brands.html", page=page, refreshed=scorecard.last_refreshed(),
                           refresh_form=RefreshForm(), kyc_labels=KYC_LABELS)


@bp.post("/brands/refresh")
@role_required(*ROLES)
def refresh():  # noqa: ANN201
    if RefreshForm().validate_on_submit():
        scored = scorecard.refresh_scorecards()
        record("brands.scorecards_refreshed", "brand", f"{scored} brands", actor=current_user._get_current_object())
        db.session.commit()
        flash(_("Rings and scorecards recomputed for %(n)s brands.", n=scored), "ok")
    return redirect(url_for("compliance.brand_list"))


@bp.get("/brands/<brand_id>")
@role_required(*ROLES)
def brand_file(brand_id: str, revealed_licence: str | None = None):  # noqa: ANN201
    file = brands.brand_file(brand_id, current_app.extensions["pii"])
    form = KycForm()
    form.target.choices = [SelectChoice(k, KYC_LABELS[k]) for k in file.allowed_kyc]
    return render_template("compliance/brand.html", file=file, form=form, kyc_labels=KYC_LABELS,
                           chart=trend_chart(file.trend), proof_counts=brands.campaign_proof_counts(brand_id),
                           reveal_form=RevealForm(), revealed_licence=revealed_licence)


@bp.post("/brands/<brand_id>/reveal-licence")
@role_required(*ROLES)
def reveal_licence(brand_id: str):  # noqa: ANN201
    """The licence number in clear, once, in this response; the audit row keeps who asked and why."""
    form = RevealForm()
    if not form.validate_on_submit():
        return redirect(url_for("compliance.brand_file", brand_id=brand_id))
    try:
        value = reveal("brand.licence", brand_id, reason=form.reason.data, actor=current_user._get_current_object(),
                       vault=current_app.extensions["pii"])
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("compliance.brand_file", brand_id=brand_id))
    db.session.commit()
    return brand_file(brand_id, revealed_licence=value)


@bp.post("/brands/<brand_id>/kyc")
@role_required(*ROLES)
def change_kyc(brand_id: str):  # noqa: ANN201
    form = KycForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for("compliance.brand_file", brand_id=brand_id))
    try:
        brand = brands.change_kyc(brand_id, form.target.data, reason=form.reason.data,
                                  actor=current_user._get_current_object())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("compliance.brand_file", brand_id=brand_id))
    db.session.commit()
    flash(_("KYC of %(brand)s is now %(state)s.", brand=brand.name, state=KYC_LABELS[brand.kyc_status]), "ok")
    return redirect(url_for("compliance.brand_file", brand_id=brand_id))


def _filter(form: AuditFilterForm) -> audit_trail.AuditFilter:
    return audit_trail.AuditFilter(
        actor=form.actor.data or None, action=form.action.data or None, object_type=form.object_type.data or None,
        object_id=form.object_id.data or None, since=form.since.data, until=form.until.data)


@bp.get("/audit")
@role_required(*ROLES)
def audit():  # noqa: ANN201
    form = AuditFilterForm(request.args)
    form.validate()
    page = audit_trail.events_page(_filter(form), before=request.args.get("before", type=int), per_page=PER_PAGE)
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    return render_template("compliance/audit.html", form=form, page=page, args=args,
                           export_form=AuditExportForm(formdata=None, data=form.data),
                           actions=audit_trail.known_actions())


@bp.post("/audit/export")
@role_required(*ROLES)
def audit_export():  # noqa: ANN201
    form = AuditExportForm()
    if not form.validate_on_submit():
        flash(_("Give a date range (from and until) to export."), "error")
        return redirect(url_for("compliance.audit"))
    where = _filter(form)
    # The export is itself on the record, committed before the first byte leaves.
    record("audit.exported", "audit_events", f"{where.since}..{where.until}",
           actor=current_user._get_current_object(),
           data={k: str(v) for k, v in vars(where).items() if v})
    db.session.commit()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(stream_with_context(audit_trail.csv_lines(where)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="audit-{where.since}-{where.until}-'
                                                    f'{stamp}.csv"'})


from app.compliance import cases_routes, exports_routes, screening_routes  # noqa: E402,F401 - attach their pages
