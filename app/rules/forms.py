"""Forms of the operators' pages: every POST carries a CSRF token through Flask-WTF.

The rule editor's fields are generated from the signal declarations (review_rules/params.py), so
they are read by name in `editor_settings`, not declared here one by one.
"""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.platform.i18n import _, _l
from app.rules.services.versions import SECTIONS, parse_setting
from app.scoring.services.relief import ALLOWLIST, DEFAULT_HOURS, duration_choices, signal_codes


class ActionForm(FlaskForm):
    """A button that changes state (publish, roll back): CSRF and nothing else."""

    submit = SubmitField(_l("Confirm"))


class DraftForm(FlaskForm):
    note = StringField(_l("Why"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Save as draft"))


class BacktestForm(FlaskForm):
    since = DateField(_l("From"), validators=[DataRequired()])
    until = DateField(_l("Until (exclusive)"), validators=[DataRequired()])
    submit = SubmitField(_l("Start backtest"))


def editor_settings(form: MultiDict, config: dict) -> dict[str, Any]:
    """The settings the editor's fields change against `config` (the version edited), typed by declaration.

    A checkbox left unticked is absent from the form: `enabled` is read from the hidden `<code>.shown`
    marker so a signal the page did not show is never switched off by accident.
    """
    settings: dict[str, Any] = {}
    for code, entry in config["signals"].items():
        if f"{code}.shown" not in form:
            continue
        enabled = f"{code}.enabled" in form
        if enabled != entry["enabled"]:
            settings[f"{code}.enabled"] = enabled
        _changed(settings, form, f"{code}.weight", entry["weight"])
        for name, current in entry["params"].items():
            path = f"{code}.{name}"
            if isinstance(current, list):
                chosen = form.getlist(path)
                if f"{path}.shown" in form and sorted(chosen) != sorted(current):
                    settings[path] = chosen
            else:
                _changed(settings, form, path, current)
    for section in SECTIONS:
        for key, current in config[section].items():
            _changed(settings, form, f"{section}.{key}", current)
    return settings


def _changed(settings: dict[str, Any], form: MultiDict, path: str, current: Any) -> None:
    raw = form.get(path)
    if raw is None or raw.strip() == "":
        return
    _, value = parse_setting(f"{path}={raw}")
    if value != current:
        settings[path] = value


def _signal_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in signal_codes()] + [(ALLOWLIST, _("allowlist: every signal that links through it"))]


def _entity_kinds() -> list[tuple[str, str]]:
    return [("worker", _("worker")), ("address", _("address (of a proof)")), ("device", _("device (of a proof)")),
            ("campaign", _("campaign"))]


class MuteForm(FlaskForm):
    """An operator's relief: a signal (or an allowlist) muted for one entity for a while."""

    signal_code = SelectField(_l("Signal"), choices=_signal_choices)
    entity_kind = SelectField(_l("Entity"), choices=_entity_kinds, default="worker")
    entity = StringField(_l("Worker or campaign id; for an address or device, a proof that used it"),
                         validators=[DataRequired(), Length(max=128)])
    hours = SelectField(_l("For how long"), choices=duration_choices, default=str(DEFAULT_HOURS))
    reason = TextAreaField(_l("Why it should not count"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Mute"))


class LiftForm(FlaskForm):
    reason = StringField(_l("Why lift it"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Lift"))
