"""Money commands: `flask settle`, `flask ledger ...`, `flask payouts ...`.

Each command is a thin boundary: it calls services, commits once per unit of work, and turns a
domain error into a clear message with a non-zero exit.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app

from app.money.jobs import DEFAULT_CHUNK, enqueue_settlement, run_settlement
from app.money.services import clawback, funding, holds, payouts, statements
from app.money.services.settlement import waiting
from app.money.services.verify import verify
from app.platform.commands import domain_errors
from app.platform.i18n import _
from models import Payout, db, utcnow

ACTOR = "cli"


@click.command("settle")
@click.option("--chunk-size", default=DEFAULT_CHUNK, show_default=True, type=click.IntRange(min=1),
              help="Proofs per transaction.")
@click.option("--queue", "queued", is_flag=True, help="Enqueue a run on the settlement queue instead.")
@domain_errors
def settle_command(chunk_size: int, queued: bool) -> None:
    """Settle every approved, unsettled proof; the last line is the summary scripts read."""
    if queued:
        job_id = enqueue_settlement(chunk_size)
        click.echo(_("queued settlement job %(job)s", job=job_id) if job_id else _("no Redis: settled in-process"))
        return
    now = utcnow()

    def progress(totals: Any) -> None:
        click.echo(_("settling: %(n)d proofs so far", n=totals.proofs), err=True)

    totals, refunded = run_settlement(chunk_size=chunk_size, now=now, progress=progress)
    for reason, count in sorted(totals.skipped.items()):
        click.echo(_("not settled, %(reason)s: %(n)d", reason=reason, n=count))
    for reason, count in waiting(now, current_app.config["SETTLEMENT_HOLD_HOURS"]).items():
        if count:
            click.echo(_("waiting, %(reason)s: %(n)d", reason=reason, n=count))
    if refunded:
        click.echo(_("refunded %(cents)d cents of closed campaigns to their brands", cents=refunded))
    click.echo(totals.line())


@click.group("ledger")
def ledger_group() -> None:
    """The double-entry ledger: verify, fund, close, clawback, flags, statements."""


@ledger_group.command("verify")
def verify_command() -> None:
    """Recompute every invariant; exits non-zero naming each violation."""
    report = verify()
    click.echo("checked " + ", ".join(f"{n} {what}" for what, n in report.counts.items()))
    if report.ok:
        click.echo(_("ok: every invariant holds"))
        return
    for violation in report.violations:
        click.echo(f"VIOLATION {violation}")
    raise click.ClickException(_("%(n)d violations (listed above)", n=len(report.violations)))


@ledger_group.command("fund")
@click.argument("campaign_ids", nargs=-1)
@click.option("--unfunded", is_flag=True, help="Every active campaign that has no fund entry yet.")
@domain_errors
def fund_command(campaign_ids: tuple[str, ...], unfunded: bool) -> None:
    """Move the budget of active campaigns into escrow (idempotent)."""
    ids = funding.unfunded_campaign_ids() if unfunded else list(campaign_ids)
    if not ids:
        raise click.ClickException(_("name campaign ids or pass --unfunded"))
    cents = funding.fund_campaigns(ids, actor_label=ACTOR)
    db.session.commit()
    click.echo(_("funded %(cents)d cents into escrow", cents=cents))


@ledger_group.command("activate")
@click.argument("campaign_id")
@domain_errors
def activate_command(campaign_id: str) -> None:
    """Put a draft campaign live and move its budget into escrow."""
    cents = funding.activate_campaign(campaign_id, actor_label=ACTOR)
    db.session.commit()
    click.echo(_("campaign %(campaign)s is active; %(cents)d cents in escrow", campaign=campaign_id, cents=cents))


@ledger_group.command("close")
@click.argument("campaign_id")
@domain_errors
def close_command(campaign_id: str) -> None:
    """Close a campaign and refund the escrow no live proof needs."""
    cents = funding.close_campaign(campaign_id, actor_label=ACTOR)
    db.session.commit()
    click.echo(_("campaign %(campaign)s is closed; refunded %(cents)d cents to the brand", campaign=campaign_id,
                 cents=cents))


@ledger_group.command("clawback")
@click.argument("proof_ids", nargs=-1, required=True)
@click.option("--reason", "reason_code", required=True, help="A rejection reason code, e.g. fraud_ring.")
@click.option("--note", default=None)
@domain_errors
def clawback_command(proof_ids: tuple[str, ...], reason_code: str, note: str | None) -> None:
    """Claw back settled proofs judged fraudulent."""
    summary = clawback.claw_back_many(list(proof_ids), reason_code=reason_code, note=note, actor_label=ACTOR)
    db.session.commit()
    for proof_id, why in summary.refused.items():
        click.echo(f"{proof_id}: {why}", err=True)
    click.echo(_("clawed back %(n)d proofs, %(cents)d cents returned to escrow", n=summary.proofs, cents=summary.cents))
    if summary.refused:
        raise click.ClickException(_("%(n)d proofs not clawed back (listed above)", n=len(summary.refused)))


@ledger_group.command("flag")
@click.argument("worker_id")
@click.option("--proof", "proof_id", default=None, help="The proof the suspicion is about.")
@click.option("--kind", default="manual", show_default=True)
@click.option("--reason", required=True)
@domain_errors
def flag_command(worker_id: str, proof_id: str | None, kind: str, reason: str) -> None:
    """Open a fraud flag: holds the worker's payouts and the proof's settlement."""
    flag = holds.open_flag(worker_id, proof_id=proof_id, kind=kind, reason=reason, actor_label=ACTOR)
    db.session.commit()
    click.echo(_("opened flag %(flag)s on worker %(worker)s (proof %(proof)s)", flag=flag.id, worker=worker_id,
                 proof=proof_id)
               if proof_id else _("opened flag %(flag)s on worker %(worker)s", flag=flag.id, worker=worker_id))


@ledger_group.command("resolve")
@click.argument("flag_id", type=int)
@click.option("--resolution", required=True)
@domain_errors
def resolve_command(flag_id: int, resolution: str) -> None:
    """Resolve a fraud flag."""
    holds.resolve_flag(flag_id, resolution=resolution, actor_label=ACTOR)
    db.session.commit()
    click.echo(_("resolved flag %(flag)s", flag=flag_id))


@ledger_group.command("statement")
@click.argument("kind", type=click.Choice(["brands", "workers", "revenue"]))
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="Write CSV here.")
def statement_command(kind: str, csv_path: Path | None) -> None:
    """Print (or write as CSV) brand, worker or daily revenue statements; amounts in cents."""
    rows: list[Any] = {"brands": statements.brand_statements, "workers": statements.worker_statements,
                       "revenue": statements.revenue_by_day}[kind]()
    if csv_path is None:
        count = statements.write_csv(sys.stdout, rows)
    else:
        with csv_path.open("w", newline="", encoding="utf-8") as handle:
            count = statements.write_csv(handle, rows)
        click.echo(_("wrote %(n)d rows to %(path)s", n=count, path=csv_path))


@click.group("payouts")
def payouts_group() -> None:
    """Payout batches: create, export for the provider, apply its answers."""


@payouts_group.command("create")
@domain_errors
def create_command() -> None:
    """Create a batch for every worker over the minimum (holding new accounts and open fraud cases)."""
    config = current_app.config
    result = payouts.create_batch(minimum=config["PAYOUT_MINIMUM_CENTS"],
                                  new_account_days=config["NEW_WORKER_PAYOUT_HOLD_DAYS"], actor_label=ACTOR)
    db.session.commit()
    for reason, count in sorted(result.held.items()):
        if count:
            click.echo(_("held, %(reason)s: %(n)d workers", reason=reason, n=count))
    if result.batch is None:
        click.echo(_("no worker is due a payout"))
    else:
        click.echo(_("batch %(batch)s: %(n)d payouts, %(cents)d cents", batch=result.batch.id,
                     n=result.batch.payout_count, cents=result.batch.total_cents))


@payouts_group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--batch", "batch_id", type=int, default=None)
@domain_errors
def export_command(path: Path, batch_id: int | None) -> None:
    """Write the provider CSV of pending and retried payouts, and mark them sent."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        count = payouts.export_csv(handle, batch_id, actor_label=ACTOR)
    db.session.commit()
    click.echo(_("wrote %(n)d payouts to %(path)s", n=count, path=path))


@payouts_group.command("mark")
@click.argument("payout_id", type=int)
@click.argument("state", type=click.Choice(["confirmed", "failed", "retried", "cancelled"]))
@click.option("--reason", default=None)
@domain_errors
def mark_command(payout_id: int, state: str, reason: str | None) -> None:
    """Move one payout: confirmed / failed (sent), retried (failed), cancelled (pending, failed, retried)."""
    payout = payouts.mark_payout(payout_id, state, reason=reason, actor_label=ACTOR)
    db.session.commit()
    click.echo(_("payout %(payout)s is %(state)s", payout=payout.id, state=payout.state))


@payouts_group.command("results")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@domain_errors
def results_command(path: Path) -> None:
    """Apply the provider's answer file: reference,status(confirmed|failed)[,reason]."""
    with path.open(newline="", encoding="utf-8") as handle:
        counts, problems = payouts.apply_results(csv.DictReader(handle), actor_label=ACTOR)
    db.session.commit()
    for problem in problems:
        click.echo(problem, err=True)
    click.echo(_("confirmed %(confirmed)d, failed %(failed)d", confirmed=counts["confirmed"], failed=counts["failed"]))
    if problems:
        raise click.ClickException(_("%(n)d lines not applied (listed above)", n=len(problems)))


@payouts_group.command("list")
@click.option("--state", default=None)
def list_command(state: str | None) -> None:
    """List payouts (newest first)."""
    query = sa.select(Payout).order_by(Payout.id.desc()).limit(500)
    if state:
        query = query.where(Payout.state == state)
    for payout in db.session.scalars(query):
        click.echo(f"{payout.id}\tbatch {payout.batch_id}\t{payout.worker_id}\t{payout.amount_cents}\t{payout.state}")


def register(app: Flask) -> None:
    for command in (settle_command, ledger_group, payouts_group):
        app.cli.add_command(command)
