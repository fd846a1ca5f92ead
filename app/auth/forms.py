from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    # No deliverability or special-use-domain checks: staff sign in with internal addresses (e.g. *.local).
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in")
    submit = SubmitField("Sign in")


class EmptyForm(FlaskForm):
    """A POST button with CSRF and nothing else."""

    submit = SubmitField("Submit")
