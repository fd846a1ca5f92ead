"""Sign-in and personal preferences forms."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from app.platform.i18n import LOCALES, _l

# The zones the workbench's staff work in; the first is the default.
TIMEZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "Europe/London",
             "Europe/Berlin", "America/New_York", "America/Los_Angeles", "UTC")

LANGUAGE_CHOICES = [SelectChoice(code, name) for code, name in LOCALES.items()]

class LoginForm(FlaskForm):
    # No deliverability or special-use-domain checks: staff sign in with internal addresses (e.g. *.local).
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in"))
    submit = SubmitField(_l("Sign in"))


class EmptyForm(FlaskForm):
    """A POST button with CSRF and nothing else."""

    submit = SubmitField(_l("Submit"))


class LanguageForm(FlaskForm):
    """The language switch every page carries."""

    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES,
                         validators=[DataRequired()])
    next = HiddenField()


class PreferencesForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES,
                         validators=[DataRequired()])
    timezone = SelectField(_l("Time zone"), choices=[SelectChoice(zone, zone) for zone in TIMEZONES],
                           validators=[DataRequired()])
    submit = SubmitField(_l("Save"))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])
    again = PasswordField(_l("New password again"),
                          validators=[DataRequired(), EqualTo("new", message=_l("the two new passwords differ"))])
    submit = SubmitField(_l("Change password"))
