"""Forms of the reject-reason list and of the question to the worker (CSRF through Flask-WTF)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from app.platform.i18n import _l
from app.review.services.info import DEFAULT_HOURS, MAX_ANSWER, MAX_HOURS, MAX_QUESTION

__all__ = ["MAX_ANSWER", "InfoRequestForm", "ReasonForm", "RetireForm"]


class ReasonForm(FlaskForm):
    """A new reason (code, label, messages) or new wording for one (the code is then fixed)."""

    code = StringField(_l("Code"), validators=[Length(max=64)])
    label = StringField(_l("Label moderators see"), validators=[DataRequired(), Length(max=200)])
    message_en = TextAreaField(_l("Message to the worker (English)"), validators=[DataRequired(), Length(max=1000)])
    message_zh = TextAreaField(_l("Message to the worker (Chinese)"), validators=[DataRequired(), Length(max=1000)])
    save = SubmitField(_l("Save"))


class RetireForm(FlaskForm):
    retire = SubmitField(_l("Retire"))
    restore = SubmitField(_l("Bring back"))


class InfoRequestForm(FlaskForm):
    """The question the worker's app shows, and how long the proof waits for the answer."""

    question = TextAreaField(_l("Question to the worker"), validators=[DataRequired(), Length(max=MAX_QUESTION)])
    hours = IntegerField(_l("Answer due in (hours)"), default=DEFAULT_HOURS,
                         validators=[DataRequired(), NumberRange(min=1, max=MAX_HOURS)])
    ask = SubmitField(_l("Ask the worker"))
