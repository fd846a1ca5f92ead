"""`flask cases list` and `flask cases close ID --outcome KIND --reason TEXT --by EMAIL`: the cases pages
for scripts. Lines are tab-separated and never translated (scripts read them)."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask

from app.compliance.services import case_outcomes, cases
from app.platform.commands import domain_errors
from app.platform.i18n import _
from models import CASE_OUTCOMES, NotFound, StaffUser, db


@click.group("cases")
def cases_group() -> None:
    """Compliance cases."""


@cases_group.command("list")
@click.option("--status", type=click.Choice(["active", "open", "investigating", "closed", "all"]), default="active",
              show_default=True)
@click.option("--overdue", is_flag=True, help="Only open cases past their due date.")
@click.option("--limit", type=click.IntRange(1, 10000), default=200, show_default=True)
def list_command(status: str, overdue: bool, limit: int) -> None:
    """One line per case: id, status, priority, subject, owner, due date, title."""
    page = cases.case_list(status=None if status == "all" else status, overdue=overdue, per_page=limit)
    for row in page.rows:
        c = row.case
        click.echo("\t".join([str(c.id), c.status, str(c.priority), f"{c.subject_type}:{c.subject_id}",
                              row.owner or "-", c.due_on.isoformat() if c.due_on else "-", c.title]))
    click.echo(_("%(n)s of %(total)s cases", n=len(page.rows), total=page.total), err=True)


@cases_group.command("close")
@click.argument("case_id", type=int)
@click.option("--outcome", "outcomes", multiple=True, type=click.Choice(CASE_OUTCOMES),
              help="An outcome to apply (repeat for several); each takes --reason.")
@click.option("--reason", required=True, help="Why the case is closed (and the reason of each outcome).")
@click.option("--by", "email", required=True, metavar="EMAIL", help="The compliance account that closes it.")
@domain_errors
def close_command(case_id: int, outcomes: tuple[str, ...], reason: str, email: str) -> None:
    """Close case CASE_ID with its outcomes."""
    actor = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == email))
    if actor is None or not actor.has_role("compliance"):
        raise NotFound(_("no compliance account %(email)s", email=email))
    case = case_outcomes.close_case(case_id, [(kind, reason) for kind in outcomes], actor=actor, reason=reason)
    db.session.commit()
    click.echo(f"closed\t{case.id}\t{','.join(outcomes) or '-'}")


def register(app: Flask) -> None:
    app.cli.add_command(cases_group)
