"""`flask brands refresh`: recompute rings and brand risk scorecards (also a button on the brands page)."""
from __future__ import annotations

import click
from flask import Flask

from app.compliance.services.scorecard import refresh_scorecards
from app.platform.audit import record
from app.platform.i18n import _
from models import db


@click.group("brands")
def brands_group() -> None:
    """Brand risk scorecards for compliance."""


@brands_group.command("refresh")
def refresh_command() -> None:
    """Recompute the rings of linked accounts and every brand's scorecard."""
    click.echo(_("computing rings over every proof and scoring brands ..."))
    scored = refresh_scorecards()
    record("brands.scorecards_refreshed", "brand", f"{scored} brands", actor_label="cli")
    db.session.commit()
    click.echo(_("scored %(n)d brands", n=scored))


def register(app: Flask) -> None:
    app.cli.add_command(brands_group)
