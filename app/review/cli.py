"""`flask review expire-info`: put proofs whose question to the worker went unanswered back in the queue.
`flask review rekey`: recompute every waiting item's place in its queue's order (after changing REVIEW_SLA_HOURS)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.platform.audit import record
from app.platform.i18n import _
from app.review.jobs import expire_info_requests
from app.review.services.priority import rekey
from models import db
from review_rules.reasons import templates as reason_templates

review_cli = AppGroup("review", help="Moderation housekeeping.")


@review_cli.command("expire-info")
def expire_info_command() -> None:
    """Close questions to workers past their due time; their proofs return to the queue (idempotent)."""
    expired = expire_info_requests()
    click.echo(_("%(n)d unanswered questions expired; their proofs are back in the queue", n=expired))


@review_cli.command("rekey")
def rekey_command() -> None:
    """Recompute the queue order key of every waiting item (idempotent; run after changing REVIEW_SLA_HOURS)."""
    done = rekey()
    record("review.rekeyed", "review_item", f"{done} items", actor_label="cli", data={"items": done})
    db.session.commit()
    click.echo(_("%(n)d waiting items took their place in the queue's order", n=done))


def _warm_reasons() -> str:
    """The reason templates read from review_rules' source (a quarter of a second), before the first
    proof page shows a reason in Chinese."""
    return f"{len(reason_templates())} reason templates"


def register(app: Flask) -> None:
    app.extensions.setdefault("web_warm_ups", []).append(_warm_reasons)
    app.cli.add_command(review_cli)
