"""`flask scheduler` (periodic work on RQ), `flask reconcile` and `flask retention run | status`."""
from __future__ import annotations

import click
from flask import Flask

from app.admin import jobs as periodic
from app.admin.demo_cli import demo_activity_command
from app.admin.schedule import run_in_process, run_on_rq, schedule
from app.admin.services import retention
from app.platform.i18n import _
from app.platform.jobs import dispatcher


@click.command("scheduler")
@click.option("--list", "show", is_flag=True, help="Print what runs when, and exit.")
def scheduler_command(show: bool) -> None:
    """Put the periodic jobs on RQ when due (RQ's CronScheduler); `flask worker` processes run them.

    Runs until Ctrl-C or SIGTERM; one is enough, and a second one only repeats work the jobs
    tolerate. Without REDIS_URL the jobs run in this process instead.
    """
    table = schedule()
    for entry in table:
        when = _("every %(n)d s", n=entry.every_seconds) if entry.every_seconds else \
            _("at %(cron)s (cron, UTC)", cron=entry.cron)
        click.echo(f"{entry.name} [{entry.spec.queue}] {when}: {entry.what}")
    if show:
        return
    jobs = dispatcher()
    if jobs.synchronous:
        click.echo(_("REDIS_URL is not set: running the jobs in this process (Ctrl-C stops)"))
        run_in_process(table)
        return
    click.echo(_("scheduling on %(redis)s (Ctrl-C stops)", redis=jobs.redis_url))
    run_on_rq(jobs, table)


@click.command("reconcile")
@click.option("--grace-minutes", type=click.IntRange(0, 24 * 60), default=None,
              help="Take proofs accepted this long ago (default: the admin setting); 0 after an outage.")
def reconcile_command(grace_minutes: int | None) -> None:
    """Queue scoring for proofs whose job was lost and settlement for due approvals, from the database."""
    click.echo(periodic.reconcile(grace_minutes))


@click.group("retention")
def retention_group() -> None:
    """Purging raw IP and device detail after the retention period."""


@retention_group.command("run")
def retention_run_command() -> None:
    """Purge now, in this process (the scheduler does it daily)."""
    click.echo(periodic.purge_expired_personal_data("cli"))


@retention_group.command("status")
def retention_status_command() -> None:
    """The last runs and how many proofs the next one would purge."""
    for run in retention.recent_runs():
        click.echo(_("run %(id)d %(status)s (%(trigger)s): %(n)d proofs submitted before %(cutoff)s purged, "
                     "started %(started)s", id=run.id, status=run.status, trigger=run.trigger, n=run.proofs_purged,
                     cutoff=run.cutoff.isoformat(timespec="minutes"),
                     started=run.started_at.isoformat(timespec="seconds")))
    click.echo(_("due now: %(n)d proofs", n=retention.due_count()))


def register(app: Flask) -> None:
    for command in (scheduler_command, reconcile_command, retention_group, demo_activity_command):
        app.cli.add_command(command)
