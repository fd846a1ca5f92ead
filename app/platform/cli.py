"""`flask worker`: an RQ worker with this app's config (any number, on any machine); `flask audit verify`."""
from __future__ import annotations

import click
from flask import Flask, current_app

from app.platform.i18n import _
from app.platform.jobs import ALL_QUEUES, dispatcher, worker_class
from app.platform.warmup import run_warm_ups
from models import db


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Quit when the queues are empty.")
@click.option("--fork/--no-fork", default=True, show_default=True,
              help="Run each job in a forked work-horse (crashes and memory stay with the job), or in this "
                   "process, where the database connection and its prepared statements stay warm between "
                   "jobs: the lower latency for a scoring worker.")
def worker_command(queues: tuple[str, ...], burst: bool, fork: bool) -> None:
    """Serve RQ queues (default: all of them, cheapest last).

    The active rule set and model are loaded before the first job, so no job pays for reading a
    model artifact: a forked work-horse inherits them.
    """
    jobs = dispatcher()
    if jobs.synchronous:
        raise click.ClickException(_("REDIS_URL is not set: jobs run in-process, there is nothing to serve"))

    names = queues or ALL_QUEUES
    unknown = set(names) - set(ALL_QUEUES)
    if unknown:
        raise click.ClickException(_("unknown queue(s) %(unknown)s; known: %(known)s",
                                     unknown=", ".join(sorted(unknown)), known=", ".join(ALL_QUEUES)))
    warm = "; ".join(_warm_up()) or _("nothing preloaded")
    db.session.remove()
    if fork:
        db.engine.dispose()  # each work-horse opens its own connections; a socket is never shared across fork
    click.echo(_("serving %(queues)s on %(redis)s (%(mode)s; %(warm)s)", queues=", ".join(names),
                 redis=current_app.config["REDIS_URL"], warm=warm,
                 mode=_("a work-horse per job") if fork else _("jobs in this process")))
    worker_class(fork)([jobs.queue(n) for n in names], connection=jobs.redis()).work(burst=burst)


def _warm_up() -> list[str]:
    return run_warm_ups("worker_warm_ups")


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit trail."""


@audit_group.command("verify")
def audit_verify_command() -> None:
    """Recompute the audit hash chain; exit 1 naming the first event that does not fit it."""
    from time import perf_counter

    from app.platform.audit import verify_chain

    started = perf_counter()
    report = verify_chain(progress=lambda n: click.echo(_("... %(n)d events verified", n=n), err=True))
    took = perf_counter() - started
    if not report.ok:
        click.echo(_("audit chain BROKEN at event %(event)s: %(problem)s (%(n)d events before it verified)",
                     event=report.broken_id, problem=report.problem, n=report.checked), err=True)
        raise SystemExit(1)
    click.echo(_("audit chain verified: %(n)d events in %(seconds)s s, head %(head)s", n=report.checked,
                 seconds=format(took, ".1f"), head=report.last_hash))


@click.group("pii")
def pii_group() -> None:
    """Personal data encrypted at rest."""


@pii_group.command("rotate")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=1000, show_default=True)
def pii_rotate_command(batch_size: int) -> None:
    """Re-encrypt every stored personal value under the newest key (the first of PII_KEYS).

    Put the new key first in PII_KEYS, keep the old ones after it, run this, then drop the old keys.
    Values the newest key already wrote are skipped, so a stopped run is simply run again.
    """
    from app.platform.pii_rotation import ENCRYPTED_COLUMNS, rotate_column

    vault = current_app.extensions["pii"]
    for table, key, column in ENCRYPTED_COLUMNS:
        done = None
        for done in rotate_column(table, key, column, vault, batch_size=batch_size):
            db.session.commit()  # per batch: a stopped run keeps what it finished
            click.echo(_("... %(column)s: %(checked)d of %(total)d checked, %(rotated)d re-encrypted",
                         column=done.column, checked=done.checked, total=done.total, rotated=done.rotated), err=True)
        db.session.commit()
        if done is None:
            click.echo(_("%(column)s: nothing stored", column=table.name + "." + column))
        else:
            click.echo(_("%(column)s: %(rotated)d of %(total)d values re-encrypted under the newest key",
                         column=done.column, rotated=done.rotated, total=done.total))


def register(app: Flask) -> None:
    app.cli.add_command(worker_command)
    app.cli.add_command(audit_group)
    app.cli.add_command(pii_group)
