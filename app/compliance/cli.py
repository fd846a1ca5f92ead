"""`flask compliance ...`: campaign screening for automation."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.compliance.screening.loaders import format_finding
from app.compliance.services import screening_rules
from app.compliance.services.screening_files import screen_file
from app.platform.i18n import _
from models import db

compliance_cli = AppGroup("compliance", help="Compliance: campaign screening.")


@compliance_cli.command("screen")
@click.argument("file", type=click.Path(path_type=Path))
def screen_command(file: Path) -> None:
    """Screen campaign briefs in FILE (plain text, one brief per line, or a JSON Lines campaigns file).

    Prints one line per finding, `LINE: RULE SEVERITY "matched text"`; exits 1 when it printed any
    finding, 0 when every brief is clean, 2 when the file or one of its lines cannot be read.
    """
    if not file.is_file():
        click.echo(_("error: %(file)s: no such file", file=file), err=True)
        sys.exit(2)
    try:
        result = screen_file(file, current_app.config["DEFAULT_COMMISSION_RATE"])
    except UnicodeDecodeError as exc:
        click.echo(_("error: %(file)s: not UTF-8 text (byte %(byte)d)", file=file, byte=exc.start), err=True)
        sys.exit(2)
    for line, finding in result.findings:
        click.echo(format_finding(line, finding.code, finding.severity, finding.matched))
    for error in result.errors:
        click.echo(f"error: {file}:{error}", err=True)
    if result.errors:
        sys.exit(2)
    sys.exit(1 if result.findings else 0)


@compliance_cli.command("draft-default-rules")
def draft_default_rules_command() -> None:
    """Open a screening-rules draft holding the shipped default rules (review and publish it in the browser)."""
    try:
        draft = screening_rules.draft_from_defaults()
    except screening_rules.ScreeningRulesError as exc:
        raise click.ClickException(str(exc)) from exc
    changes = screening_rules.diff(screening_rules.active_rule_set().document, draft.document)
    db.session.commit()
    click.echo(_("draft version %(version)s: %(n)d rule changes against the active version; publish it at "
                 "/compliance/screening/rules/%(version)s", version=draft.version, n=len(changes)))


def register(app: Flask) -> None:
    app.cli.add_command(compliance_cli)
