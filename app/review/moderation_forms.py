"""Forms of the cluster, four-eyes and worker pages; every POST carries a CSRF token through Flask-WTF."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.platform.i18n import _l
from app.review.forms import reason_choices

BULK_DECISION_CHOICES = [SelectChoice("rejected", _l("Reject")), SelectChoice("approved", _l("Approve")),
                         SelectChoice("escalated", _l("Escalate"))]


class BulkForm(FlaskForm):
    """A decision over the whole cluster or the ticked proofs; posted first to preview, then to act."""

    decision = SelectField(_l("Decision"), choices=BULK_DECISION_CHOICES, default="rejected")
    reason_code = SelectField(_l("Reason"), choices=reason_choices, default="")
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    scope = SelectField(_l("Proofs"), choices=[SelectChoice("all", _l("the whole cluster")),
                                                   SelectChoice("selected", _l("the ticked proofs"))],
                        default="all")
    preview = SubmitField(_l("Preview"))
    confirm = SubmitField(_l("Confirm"))


class ReviewRequestForm(FlaskForm):
    """The second reviewer's answer to a four-eyes request."""

    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    approve = SubmitField(_l("Approve and apply"))
    decline = SubmitField(_l("Decline"))


class SanctionForm(FlaskForm):
    kind = SelectField(_l("Action"), choices=[SelectChoice("restrict", _l("Restrict (no new tasks)")),
                                              SelectChoice("suspend", _l("Suspend")), SelectChoice("ban", _l("Ban"))],
                       default="restrict")
    scope = SelectField(_l("Scope"), choices=[SelectChoice("platform", _l("Whole platform")),
                                              SelectChoice("brand", _l("One brand")),
                                              SelectChoice("campaign", _l("One campaign"))], default="platform")
    scope_id = StringField(_l("Brand or campaign id"), validators=[Optional(), Length(max=64)])
    days = IntegerField(_l("Duration in days (empty: until lifted)"), validators=[Optional(), NumberRange(1, 3650)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    pending_decision = SelectField(_l("Pending proofs in scope"), choices=[
        SelectChoice("", _l("Leave them")), SelectChoice("rejected", _l("Reject them")),
        SelectChoice("escalated", _l("Escalate them"))], default="")
    reason_code = SelectField(_l("Reason code for rejecting them"), choices=reason_choices, default="")
    submit = SubmitField(_l("Apply"))


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Why lift it"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Lift"))


class ReverseForm(FlaskForm):
    """A senior moderator's reversal of the decision in force (within the window)."""

    reason_code = SelectField(_l("Reason code (when reversing to rejected)"), choices=reason_choices, default="")
    note = TextAreaField(_l("Why reverse it"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Reverse the decision"))


class AppealForm(FlaskForm):
    note = TextAreaField(_l("Answer to the worker"), validators=[DataRequired(), Length(max=2000)])
    uphold = SubmitField(_l("Uphold: approve and pay"))
    deny = SubmitField(_l("Deny"))
