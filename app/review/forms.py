"""Forms of the workbench; every POST carries a CSRF token through Flask-WTF."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.platform.i18n import _, _l
from app.review.services.reasons import catalogue
from app.scoring.services.relief import ALLOWLIST, DEFAULT_HOURS, duration_choices, entity_choices


def reason_choices() -> list[SelectChoice]:
    """Digits pick a reason from the keyboard (queue.js), so this order is the order of the shortcuts."""
    return [SelectChoice("", _("Reason (needed to reject)"))] + [
        SelectChoice(r.code, f"{i} · {r.label}") for i, r in enumerate(catalogue(), start=1)]


class DecisionForm(FlaskForm):
    """Approve, reject with a reason code, or escalate to a senior moderator."""

    reason_code = SelectField(_l("Reason"), choices=reason_choices, default="")
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Reject"))
    escalate = SubmitField(_l("Escalate"))

    @property
    def decision(self) -> str | None:
        for field, decision in ((self.approve, "approved"), (self.reject, "rejected"), (self.escalate, "escalated")):
            if field.data:
                return decision
        return None

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        decision = self.decision
        if decision is None:
            self.form_errors.append(_("Choose approve, reject or escalate."))
            return False
        if decision == "rejected" and not self.reason_code.data:
            self.reason_code.errors.append(_("A rejection needs a reason code."))
            valid = False
        if decision == "rejected" and self.reason_code.data == "other" and not (self.note.data or "").strip():
            self.note.errors.append(_("Reason 'other' needs a note that explains it."))
            valid = False
        return valid


class ReleaseForm(FlaskForm):
    """Give the claim back; `skip` also claims the next item."""

    release = SubmitField(_l("Release"))
    skip = SubmitField(_l("Skip"))


class QaForm(FlaskForm):
    """QA of a sampled policy approval: confirm it, or send it back to the review queue."""

    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    confirm = SubmitField(_l("Approval is right"))
    reopen = SubmitField(_l("Send back to review"))


class ClaimForm(FlaskForm):
    """The claim-next button: a CSRF token and nothing else."""

    claim = SubmitField(_l("Claim next"))


class ReliefForm(FlaskForm):
    """From a proof: one of its fired signals (or every linkage signal: an allowlist) stops counting for
    this proof's worker, address, device or campaign for a while. The signal list is the proof's own."""

    signal_code = SelectField(_l("Signal"), choices=[])
    entity_kind = SelectField(_l("For"), choices=entity_choices, default="worker")
    hours = SelectField(_l("For how long"), choices=duration_choices, default=str(DEFAULT_HOURS))
    reason = TextAreaField(_l("Why it should not count"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Relieve"))

    def for_signals(self, codes: list[str]) -> ReliefForm:
        """Offer these fired signals, then the allowlist."""
        self.signal_code.choices = [(code, code) for code in codes] + [
            (ALLOWLIST, _("allowlist: every signal that links through it"))]
        return self
