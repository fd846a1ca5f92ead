"""`flask review expire-info`: put proofs whose question to the worker went unanswered back in the queue."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.platform.i18n import _
from app.review.jobs import expire_info_requests

review_cli = AppGroup("review", help="Moderation housekeeping.")


@review_cli.command("expire-info")
def expire_info_command() -> None:
    """Close questions to workers past their due time; their proofs return to the queue (idempotent)."""
    expired = expire_info_requests()
    click.echo(_("%(n)d unanswered questions expired; their proofs are back in the queue", n=expired))


def register(app: Flask) -> None:
    app.cli.add_command(review_cli)
