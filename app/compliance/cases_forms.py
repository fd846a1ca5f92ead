"""Forms of the cases pages and of disputes filed in the browser on a brand's behalf."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.platform.i18n import _l

SUBJECT_LABELS = {"brand": _l("Brand"), "campaign": _l("Campaign"), "worker": _l("Worker"),
                  "ring": _l("Ring (the accounts linked to a proof's worker)")}
STATUS_LABELS = {"open": _l("Open"), "investigating": _l("Investigating"), "closed": _l("Closed")}
PRIORITY_LABELS = {1: _l("Low"), 2: _l("Normal"), 3: _l("High"), 4: _l("Urgent")}
OUTCOME_LABELS = {"warning": _l("Warning"), "suspend_brand": _l("Suspend the brand"),
                  "suspend_campaigns": _l("Suspend the campaigns"),
                  "refund": _l("Refund honest parties from escrow"), "referral": _l("Referral")}
ITEM_LABELS = {"proof": _l("Proof"), "decision": _l("Review decision"), "note": _l("Note"), "file": _l("File"),
               "worker": _l("Worker"), "campaign": _l("Campaign")}
DISPUTE_LABELS = {"open": _l("Waiting for a decision"), "upheld": _l("Upheld"), "rejected": _l("Rejected")}
DISPUTE_SOURCE_LABELS = {"api": _l("API"), "browser": _l("in the workbench")}
DISPUTE_ACTION_LABELS = {"reopened": _l("Back in review"), "queued": _l("Queued for review"),
                         "clawback": _l("Settled: clawback decision"), "unchanged": _l("Unchanged")}


def _priority_choices() -> list[SelectChoice]:
    return [SelectChoice(k, v) for k, v in PRIORITY_LABELS.items()]


class OpenCaseForm(FlaskForm):
    subject_type = SelectField(_l("On"), choices=[SelectChoice(k, v) for k, v in SUBJECT_LABELS.items()],
                               validators=[DataRequired()])
    subject_id = StringField(_l("Id (for a ring: a proof id)"), validators=[DataRequired(), Length(max=64)])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    priority = SelectField(_l("Priority"), coerce=int, default=2)
    owner = SelectField(_l("Owner"), coerce=int, default=0)
    due_on = DateField(_l("Due"), validators=[Optional()])
    reason = TextAreaField(_l("Why"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Open case"))


class CaseUpdateForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[SelectChoice("open", _l("Open")),
                                                         SelectChoice("investigating", _l("Investigating"))])
    priority = SelectField(_l("Priority"), coerce=int)
    owner = SelectField(_l("Owner"), coerce=int, default=0)
    due_on = DateField(_l("Due"), validators=[Optional()])
    reason = StringField(_l("Why"), validators=[Optional(), Length(max=500)])
    save = SubmitField(_l("Save"))


class AttachProofForm(FlaskForm):
    proof_id = StringField(_l("Proof id"), validators=[DataRequired(), Length(max=64)])
    why = StringField(_l("Why it matters"), validators=[Optional(), Length(max=500)])
    attach = SubmitField(_l("Attach proof"))


class AttachDecisionForm(FlaskForm):
    decision_id = IntegerField(_l("Review decision id"), validators=[DataRequired(), NumberRange(min=1)])
    attach = SubmitField(_l("Attach decision"))


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=10000)])
    add = SubmitField(_l("Add note"))


class FileForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired()])
    upload = SubmitField(_l("Attach file"))


class CloseCaseForm(FlaskForm):
    warning = BooleanField(OUTCOME_LABELS["warning"])
    warning_reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    suspend_brand = BooleanField(OUTCOME_LABELS["suspend_brand"])
    suspend_brand_reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    suspend_campaigns = BooleanField(OUTCOME_LABELS["suspend_campaigns"])
    suspend_campaigns_reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    refund = BooleanField(OUTCOME_LABELS["refund"])
    refund_reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    referral = BooleanField(OUTCOME_LABELS["referral"])
    referral_reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    reason = TextAreaField(_l("Why the case is closed"), validators=[DataRequired(), Length(min=5, max=2000)])
    close = SubmitField(_l("Close case"))

    def outcomes(self) -> list[tuple[str, str]]:
        return [(kind, getattr(self, f"{kind}_reason").data or "") for kind in OUTCOME_LABELS
                if getattr(self, kind).data]


class DisputeForm(FlaskForm):
    """A dispute filed by compliance on the brand's behalf (the brand called, or wrote)."""

    proof_ids = TextAreaField(_l("Disputed proof ids (one per line, or separated by commas)"),
                              validators=[DataRequired(), Length(max=40000)])
    # not `reason`: the brand file's KYC form has a field of that name on the same page
    brand_reason = TextAreaField(_l("The brand's reason"), validators=[DataRequired(), Length(min=5, max=5000)])
    file = SubmitField(_l("File dispute"))

    def ids(self) -> list[str]:
        return [p for p in (self.proof_ids.data or "").replace(",", " ").split() if p]


class DisputeDecisionForm(FlaskForm):
    note = TextAreaField(_l("Why"), validators=[DataRequired(), Length(min=5, max=2000)])
    reason_code = SelectField(_l("Rejection reason for the disputed proofs"))
    uphold = SubmitField(_l("Uphold: the completions are fake"))
    reject = SubmitField(_l("Reject the dispute"))


class CaseFilterForm(FlaskForm):
    """Filters of the cases list (a GET form: it only reads)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[
        SelectChoice("active", _l("Open or investigating")), SelectChoice("open", _l("Open")),
        SelectChoice("investigating", _l("Investigating")), SelectChoice("closed", _l("Closed")),
        SelectChoice("all", _l("All"))], default="active")
    owner = SelectField(_l("Owner"), coerce=int, default=0)
    overdue = BooleanField(_l("Overdue only"))
