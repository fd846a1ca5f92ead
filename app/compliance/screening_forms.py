"""Forms of the screening pages: every POST button carries CSRF."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.compliance.screening.ruleset import SEVERITIES
from app.platform.i18n import _l
from app.platform.vocabulary import SEVERITIES as SEVERITY_LABELS

SEVERITY_CHOICES = [SelectChoice(s, SEVERITY_LABELS[s]) for s in SEVERITIES]


class EmptyForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    approve = SubmitField(_l("Approve"))
    request_changes = SubmitField(_l("Request changes"))
    reject = SubmitField(_l("Reject"))


class BriefForm(FlaskForm):
    brief = TextAreaField(_l("Brief"), validators=[Optional(), Length(max=20000)])
    save = SubmitField(_l("Save brief and screen again"))


class TextRuleForm(FlaskForm):
    """One text rule; patterns and exceptions one regular expression per line."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)])
    severity = SelectField(_l("Severity"), choices=SEVERITY_CHOICES)
    enabled = BooleanField(_l("Enabled"), default=True)
    skip_if_negated = BooleanField(_l("Ignore when negated (禁止…, do not…)"), default=True)
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=200)])
    title_zh = StringField(_l("Title (Chinese)"), validators=[Optional(), Length(max=200)])
    patterns = TextAreaField(_l("Patterns (one regular expression per line)"), validators=[DataRequired()])
    unless = TextAreaField(_l("Innocent when the sentence matches (one per line)"), validators=[Optional()])
    save = SubmitField(_l("Save rule"))


class RewardRuleForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)])
    severity = SelectField(_l("Severity"), choices=SEVERITY_CHOICES)
    enabled = BooleanField(_l("Enabled"), default=True)
    factor = FloatField(_l("Flag at this multiple of the typical reward"), validators=[DataRequired()])
    high_factor = FloatField(_l("High severity from this multiple"), validators=[Optional()])
    min_samples = IntegerField(_l("Campaigns of an action needed to trust its median"), validators=[DataRequired()])
    save = SubmitField(_l("Save rule"))


class TryForm(FlaskForm):
    text = TextAreaField(_l("Brief to try"), validators=[DataRequired(), Length(max=20000)])
    run = SubmitField(_l("Screen with this version"))
