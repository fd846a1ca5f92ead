"""Compliance forms; every POST carries a CSRF token through Flask-WTF."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.compliance.services.brands import MIN_REASON
from app.platform.i18n import _l

KYC_LABELS = {"pending": _l("Pending"), "verified": _l("Verified"), "rejected": _l("Rejected"),
              "suspended": _l("Suspended")}


class KycForm(FlaskForm):
    """Move a brand's KYC state; the reason goes into the audit trail."""

    target = SelectField(_l("New KYC state"), choices=[SelectChoice(k, v) for k, v in KYC_LABELS.items()],
                         validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(min=MIN_REASON, max=2000)])
    submit = SubmitField(_l("Change KYC state"))


class RefreshForm(FlaskForm):
    submit = SubmitField(_l("Recompute rings and scorecards"))


class _AuditFields:
    actor = StringField(_l("Actor"), validators=[Optional(), Length(max=120)])
    action = StringField(_l("Action"), validators=[Optional(), Length(max=64)])
    object_type = StringField(_l("Object type"), validators=[Optional(), Length(max=32)])
    object_id = StringField(_l("Object id"), validators=[Optional(), Length(max=128)])


class AuditFilterForm(_AuditFields, FlaskForm):
    """The filters of the audit list (a GET form: it only reads)."""

    class Meta:
        csrf = False

    since = DateField(_l("From (UTC)"), validators=[Optional()])
    until = DateField(_l("Until (UTC)"), validators=[Optional()])


class AuditExportForm(_AuditFields, FlaskForm):
    """The same filters with a date range that must be given; a POST, because the export is audited."""

    since = DateField(_l("From (UTC)"), validators=[DataRequired()])
    until = DateField(_l("Until (UTC)"), validators=[DataRequired()])
    export = SubmitField(_l("Export CSV"))
