"""Forms of the admin pages; each action says why (the reason lands in the audit row)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from app.admin.services.settings import RECONCILE_GRACE_MINUTES, RETENTION_BATCH, RETENTION_DAYS, IntSetting
from app.platform.i18n import _l, role_label
from models import Role

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, role_label(role.value)) for role in Role]


class InviteForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=200),
                                                Regexp(EMAIL, message=_l("Enter an email address."))])
    name = StringField(_l("Name"), validators=[Length(max=120)])
    role = SelectField(_l("Role"), choices=role_choices, validators=[DataRequired()])
    invite = SubmitField(_l("Invite"))


class AccountActionForm(FlaskForm):
    """Role change, disable / enable and password reset share one small form on each row."""

    role = SelectField(_l("Role"), choices=role_choices)
    reason = StringField(_l("Reason"), validators=[Length(max=500)])
    change_role = SubmitField(_l("Change role"))
    disable = SubmitField(_l("Disable"))
    enable = SubmitField(_l("Enable"))
    reset = SubmitField(_l("Reset password"))


class TokenForm(FlaskForm):
    name = StringField(_l("Client name"), validators=[DataRequired(), Length(max=120)])
    ingest = BooleanField(_l("may send proofs, campaigns and appeals"), default=True)
    read = BooleanField(_l("may read their state"), default=True)
    expires_days = IntegerField(_l("Expires after (days)"), validators=[Optional(), NumberRange(min=1, max=730)])
    brand_id = StringField(_l("Brand (its own client)"), validators=[Optional(), Length(max=64)],
                           filters=[lambda value: (value or "").strip() or None])
    create = SubmitField(_l("Create token"))

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(scope for scope, field in (("ingest", self.ingest), ("read", self.read)) if field.data)


class RevokeForm(FlaskForm):
    revoke = SubmitField(_l("Revoke"))


def _bounded(setting: IntSetting) -> list:
    return [InputRequired(message=_l("Enter a whole number.")),
            NumberRange(min=setting.low, max=setting.high,
                        message=_l("Between %(min)s and %(max)s.", min=setting.low, max=setting.high))]


class SettingsForm(FlaskForm):
    """Retention and reconciler settings; the bounds are the ones app/admin/services/settings.py enforces."""

    retention_days = IntegerField(_l("Keep raw IP and device detail for (days)"), validators=_bounded(RETENTION_DAYS))
    retention_batch_size = IntegerField(_l("Proofs purged per batch"), validators=_bounded(RETENTION_BATCH))
    reconcile_grace_minutes = IntegerField(_l("Re-queue a proof still unscored after (minutes)"),
                                           validators=_bounded(RECONCILE_GRACE_MINUTES))
    save = SubmitField(_l("Save settings"))

    @property
    def values(self) -> dict[str, object]:
        return {name: getattr(self, name).data
                for name in ("retention_days", "retention_batch_size", "reconcile_grace_minutes")}


class RunNowForm(FlaskForm):
    run = SubmitField(_l("Run retention now"))
