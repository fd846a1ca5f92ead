"""`flask import DIR` and `flask simulate DIR`: worlds in the exchange format, in and out."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app

from app.intake.services.ingest import FILE_TABLES, WORLD_FILES, ImportReport, WorldDirError, WorldImporter
from app.platform.bulk import ANALYZE_FROM, vacuum_after_bulk_load
from app.platform.i18n import _
from app.scoring.jobs import enqueue_scoring
from models import db

SHOWN_DIFFERING = 20  # per file: lines whose id is stored with other content, named on stderr


def _count_lines(directory: Path) -> int:
    total = 0
    for name in WORLD_FILES:
        path = directory / f"{name}.jsonl"
        if path.is_file():  # anything else the importer refuses by name ("not a regular file")
            with path.open("rb") as handle:
                total += sum(1 for line in handle if line.strip())
    return total


def _echo_files(report: ImportReport) -> None:
    """The refused lines and the lines left as stored on stderr, then one summary line per file."""
    for error in report.errors:
        click.echo(error, err=True)
    for f in report.files:
        for note in f.differing[:SHOWN_DIFFERING]:
            click.echo(note, err=True)
    for f in report.files:
        click.echo(_("%(file)s: %(read)d lines, %(new)d new, %(unchanged)d already stored, %(rejected)d rejected",
                     file=f.name, read=f.read, new=f.inserted, unchanged=f.unchanged, rejected=len(f.errors)))
        if f.differing:
            click.echo(_("%(file)s: %(n)d lines differ from the stored rows with their ids; left as stored",
                         file=f.name, n=len(f.differing)))


@click.command("import")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--no-score", is_flag=True, help="Store only; score later with `flask score`.")
def import_command(directory: Path, no_score: bool) -> None:
    """Load a world directory (idempotent: importing twice changes nothing)."""
    if not directory.is_dir():
        raise click.ClickException(_("%(path)s: not a directory", path=directory))
    total = _count_lines(directory)
    with click.progressbar(length=total, label="importing", file=sys.stderr) as bar:
        importer = WorldImporter(current_app.extensions["pii"], current_app.config["DEFAULT_COMMISSION_RATE"],
                                 progress=bar.update)
        try:
            report = importer.run(directory)
        except WorldDirError as exc:
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
    loaded = [f.name for f in report.files if f.inserted >= ANALYZE_FROM]
    vacuum_after_bulk_load(*dict.fromkeys(model.__table__ for name in loaded for model in FILE_TABLES[name]))
    _echo_files(report)
    if report.held_campaign_ids:
        click.echo(_("campaigns: %(n)d held for compliance review (screening findings)",
                     n=len(report.held_campaign_ids)))
    if report.held_proof_ids:
        click.echo(_("proofs: %(n)d new proofs of banned workers held for a senior moderator",
                     n=len(report.held_proof_ids)))
    if report.inserted == 0 and not report.errors and not any(f.differing for f in report.files):
        click.echo(_("nothing new: every row was already stored"))
    if report.new_proof_ids and not no_score:
        queued = enqueue_scoring(report.new_proof_ids)
        click.echo(_("scoring %(n)d new proofs in %(jobs)d queued jobs", n=len(report.new_proof_ids), jobs=len(queued))
                   if queued else _("scoring %(n)d new proofs (in-process)", n=len(report.new_proof_ids)))
    if report.errors:
        raise click.ClickException(_("%(n)d lines rejected (listed above); every good line was stored",
                                     n=len(report.errors)))


@click.command("simulate")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--workers", default=1500, show_default=True, type=click.IntRange(min=50))
@click.option("--campaigns", default=40, show_default=True, type=click.IntRange(min=1))
@click.option("--proofs", default=10000, show_default=True, type=click.IntRange(min=1))
@click.option("--fraud-rate", default=0.25, show_default=True, type=click.FloatRange(0, 1))
@click.option("--patterns", default=None, help="Comma-separated fraud patterns (default: all).")
@click.option("--holdout-pattern", default=None, help="A pattern kept out of decisions.jsonl.")
@click.option("--days", default=28, show_default=True, type=click.IntRange(min=1))
def simulate_command(directory: Path, seed: int, workers: int, campaigns: int, proofs: int, fraud_rate: float,
                     patterns: str | None, holdout_pattern: str | None, days: int) -> None:
    """Write a synthetic world directory (seeded, reproducible) plus labels.jsonl."""
    from scripts.simulate import PATTERNS, SimulationOptions, generate_world

    chosen = tuple(p.strip() for p in patterns.split(",")) if patterns else PATTERNS
    try:
        options = SimulationOptions(seed=seed, workers=workers, campaigns=campaigns, proofs=proofs,
                                    fraud_rate=fraud_rate, patterns=chosen, holdout_pattern=holdout_pattern,
                                    days=days)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    with click.progressbar(length=proofs, label="simulating", file=sys.stderr) as bar:
        state = {"done": 0}

        def progress(done: int, total: int) -> None:
            bar.update(done - state["done"])
            state["done"] = done

        try:
            report = generate_world(directory, options, progress=progress)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    for name, count in report.items():
        click.echo(f"{name}: {count}")


def register(app: Flask) -> None:
    for command in (import_command, simulate_command):
        app.cli.add_command(command)
