"""`flask score`, `flask export-scores FILE.csv` and `flask ml train | evaluate | promote`."""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from app.platform.bulk import ANALYZE_FROM, vacuum_after_bulk_load
from app.platform.locks import LockTimeout, exclusive
from app.scoring.jobs import RESCORE_LOCK, RESCORE_STALE, enqueue_stale_rescore
from app.scoring.services import models_registry as registry
from app.scoring.services.model_training import EvaluationReport, train_and_register
from app.scoring.services.scoring import (
    RescoreRun,
    ScoreSummary,
    rescore_stale,
    score_proofs,
    unscored_ids,
    warm_scoring,
)
from app.scoring.services.staleness import active_versions, stale_count
from ml.registry import ArtifactError
from ml.train import NotEnoughLabels
from models import DomainError, Proof, ProofScore, ReviewDecision, ReviewItem, db, utcnow


@click.command("score")
@click.option("--all", "rescore", is_flag=True, help="Rescore every proof, decided ones included.")
def score_command(rescore: bool) -> None:
    """Score every proof that has no score yet, and rescore every stale one (a score made by a rule
    set or model no longer active, on a proof still waiting for a decision)."""
    size = current_app.config["SCORING_BATCH_SIZE"]
    ids = unscored_ids(rescore)
    summary = ScoreSummary(routes={})
    if ids:
        with click.progressbar(length=len(ids), label="scoring" if not rescore else "rescoring all",
                               file=sys.stderr) as bar:
            summary = score_proofs(ids, batch_size=size, progress=_committing(bar.update))
    stale = _rescore_stale_now(size)
    if len(ids) + stale.rescored >= ANALYZE_FROM:
        vacuum_after_bulk_load(*(model.__table__ for model in (ProofScore, ReviewItem, ReviewDecision, Proof)))
    if not ids and not stale.rescored:
        click.echo("nothing to score: every proof has a current score")
        return
    routes = summary.routes or {}
    spread = ", ".join(f"{route} {count}" for route, count in sorted(routes.items()))
    kind = "proofs" if rescore else "unscored proofs"
    click.echo(f"scored {len(ids)} {kind}" + (f" ({spread})" if spread else "")
               + f"; rescored {stale.rescored} stale proofs; "
               f"{summary.auto_approved + stale.auto_approved} approved by policy"
               + (f"; {stale.pulled_back} policy approvals pulled back into review" if stale.pulled_back else ""))


def _committing(update):  # noqa: ANN001, ANN202 - (count) -> None
    def batch_done(count: int) -> None:
        db.session.commit()  # per batch: a crash keeps every finished batch
        update(count)
    return batch_done


def _rescore_stale_now(size: int) -> RescoreRun:
    """Rescore the stale proofs here, under the lock a queued rescoring job would hold (never both at once)."""
    versions = active_versions()
    hold = current_app.config["SETTLEMENT_HOLD_HOURS"]
    waiting = stale_count(versions, utcnow(), hold)
    db.session.commit()
    if not waiting:
        return RescoreRun()
    try:
        with exclusive(RESCORE_LOCK, RESCORE_STALE.timeout, current_app.config["INSTANCE_DIR"]), \
                click.progressbar(length=waiting, label="rescoring stale", file=sys.stderr) as bar:
            return rescore_stale(size, progress=_committing(bar.update))
    except LockTimeout as exc:
        raise click.ClickException(f"{exc}: a rescoring job is still running") from exc


def rescore_after_change(reason: str) -> None:
    """After a promotion: queue the rescoring of stale proofs (in-process, with a progress bar, without Redis)."""
    with click.progressbar(length=0, label="rescoring stale", file=sys.stderr) as bar:
        task = enqueue_stale_rescore(reason, progress=bar.update)
    click.echo(f"rescoring task {task.id}: {task.status} — {task.message}")


@click.command("export-scores")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_scores_command(path: Path) -> None:
    """Write proof_id,risk_score,route,reasons for every proof (unscored proofs get empty fields)."""
    query = (sa.select(Proof.id, ProofScore.risk_score, ProofScore.route, ProofScore.reasons)
             .outerjoin(ProofScore, ProofScore.proof_id == Proof.id).order_by(Proof.id)
             .execution_options(yield_per=10000))
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["proof_id", "risk_score", "route", "reasons"])
        for proof_id, risk, route, reasons in db.session.execute(query):
            writer.writerow([proof_id, "" if risk is None else f"{risk:.6f}", route or "", reasons or ""])
            count += 1
    click.echo(f"wrote {count} rows to {path}")



ml_cli = AppGroup("ml", help="Train, evaluate and promote the fraud classifier.")

METRIC_COLUMNS = (("pr_auc", "PR-AUC"), ("roc_auc", "ROC-AUC"), ("recall_at_fpr", "rec@1%FPR"),
                  ("ece", "ECE"), ("brier", "Brier"))


def _fmt_metrics(values: dict | None) -> str:
    if not values:
        return "  ".join(f"{'-':>9}" for _ in METRIC_COLUMNS)
    return "  ".join(f"{values.get(key, float('nan')):>9.4f}" for key, _ in METRIC_COLUMNS)


def operating_lines(point: dict | None) -> list[str]:
    """The operating point in words: thresholds, target, and what it did on the validation window."""
    if not point:
        return ["operating point: none stored (an older model): routes on the rule set's thresholds"]
    lines = [f"operating point ({point.get('source', '?')}): auto-approve below {point['auto_approve_below']:.4f}, "
             f"hold at or above {point['hold_at_or_above']:.4f}"]
    target, seen = point.get("target"), point.get("validation")
    if target and seen:
        capacity = target.get("capacity_per_day")
        lines.append(f"  target: at most {100 * target['honest_share']:.1f}% of honest proofs to a person"
                     + (f", at most {capacity:g} proofs a day" if capacity else "")
                     + f"; novelty budget {100 * target['novelty_budget']:.1f}%")
        lines.append(f"  on the validation window ({seen['rows']} proofs, {seen['fraud']} rejected, {seen['days']:g} "
                     f"days): honest routed {100 * seen['honest_routed']:.2f}%, fraud routed "
                     f"{100 * seen['fraud_routed']:.2f}%, fraud held {100 * seen['fraud_held']:.2f}%"
                     + (f", {seen['routed_per_day']:.0f} routed a day" if seen.get("routed_per_day") else ""))
    novelty = point.get("novelty") or {}
    if novelty.get("min_support"):
        lines.append(f"  novelty floor: fired-signal combinations seen fewer than {novelty['min_support']} times "
                     f"in training, rules' reading >= {novelty['min_rule_score']:.2f}: added honest "
                     f"{100 * novelty['honest_added']:.2f}%, fraud {100 * novelty['fraud_added']:.2f}%")
    elif novelty:
        lines.append("  novelty floor: off (no setting stays within its budget on the validation window)")
    return lines


def cold_start_line() -> str:
    from app.scoring.services.rulesets import load_active_rules
    from ml.operating import cold_start

    point = cold_start(load_active_rules().config)
    return (f"cold start: {point['source']}: auto-approve below {point['auto_approve_below']:g}, "
            f"hold at or above {point['hold_at_or_above']:g}")


@ml_cli.command("train")
@click.option("--force", is_flag=True, help="Promote the new model even if it does not beat the active one.")
@click.option("--queue", "queued", is_flag=True, help="Run on the `training` RQ queue and print the task id.")
@click.option("--honest-share", type=click.FloatRange(0.001, 0.5), default=None,
              help="Target share of honest proofs sent to a person (default 0.02).")
@click.option("--capacity-per-day", type=click.FloatRange(min=1), default=None,
              help="Proofs a day the reviewers can read; thresholds rise to stay within it.")
@click.option("--novelty-budget", type=click.FloatRange(0.0, 0.2), default=None,
              help="Extra share of honest proofs the novelty floor may send to a person (default 0.005).")
def train_command(force: bool, queued: bool, honest_share: float | None, capacity_per_day: float | None,
                  novelty_budget: float | None) -> None:
    """Train on the labelled decisions; choose the route thresholds on the validation window; promote
    the model if it beats the active one."""
    if queued:
        from app.scoring.jobs import enqueue_training

        task = enqueue_training(force=force)
        click.echo(f"task {task.id}: {task.status} — {task.message}")
        if task.status == "failed":
            raise click.ClickException(task.message or "training failed")
        return

    def progress(stage: str, percent: int) -> None:
        click.echo(f"[{percent:>3}%] {stage}", err=True)

    try:
        report = train_and_register(current_app.config["MODEL_DIR"], force=force, progress=progress, target={
            "honest_review_share": honest_share, "review_capacity_per_day": capacity_per_day,
            "novelty_budget": novelty_budget})
    except (NotEnoughLabels, DomainError) as exc:
        db.session.rollback()
        still = "" if registry.active_version() else f" {cold_start_line()}"
        raise click.ClickException(f"cannot train: {exc}. Nothing was stored or promoted.{still}") from exc
    db.session.commit()
    click.echo(f"{'model':<26}  " + "  ".join(f"{label:>9}" for _, label in METRIC_COLUMNS))
    click.echo(f"{report.version + ' (new)':<26}  {_fmt_metrics(report.metrics)}")
    if report.active_before:
        click.echo(f"{report.active_before + ' (active)':<26}  {_fmt_metrics(report.active_metrics)}")
    for line in operating_lines(report.operating_point):
        click.echo(line)
    if report.learned_ruleset:
        click.echo(f"weights learned on the labelled history: draft rule set {report.learned_ruleset} "
                   f"(`flask --app app rules show {report.learned_ruleset}`; publish it to use them)")
    click.echo(("promoted: " if report.promoted else "not promoted: ") + report.reason)
    if report.promoted:
        rescore_after_change(f"model {report.version} promoted")


def print_evaluation(report: EvaluationReport) -> None:
    window = report.window
    if "error" in window:
        click.echo(f"no evaluation window: {window['error']} (stored metrics only)")
    else:
        click.echo(f"window: proofs submitted from {window['from']} ({window['rows']} rows, "
                   f"{window['positives']} rejected)")
    click.echo(f"{'model':<24} {'status':<9} {'':<7} " + "  ".join(f"{label:>9}" for _, label in METRIC_COLUMNS))
    for row in report.rows:
        click.echo(f"{row.version:<24} {row.status:<9} {'stored':<7} {_fmt_metrics(row.stored)}")
        if row.error:
            click.echo(f"{'':<24} {'':<9} {'window':<7} unusable: {row.error}")
        elif row.window is not None:
            click.echo(f"{'':<24} {'':<9} {'window':<7} {_fmt_metrics(row.window)}")
        for line in operating_lines(row.operating_point):
            click.echo(f"{'':<24} {line}")


@ml_cli.command("evaluate")
def evaluate_command() -> None:
    """Compare the active model with the candidates on the newest labelled window."""
    from app.scoring.services.model_training import evaluate_versions

    if not registry.list_versions():
        raise click.ClickException(f"no trained models yet: run `flask --app app ml train`. {cold_start_line()}")
    try:
        report = evaluate_versions(current_app.config["MODEL_DIR"])
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    print_evaluation(report)


@ml_cli.command("promote")
@click.argument("version")
@click.option("--reason", required=True, help="Why this version (kept in the audit trail).")
def promote_command(version: str, reason: str) -> None:
    """Make VERSION the active model (e.g. a rollback); its artifact must pass the hash check."""
    try:
        row = registry.get_version(version)
        registry.load_version(row, current_app.config["MODEL_DIR"])
        registry.promote(row, actor_label="cli", reason=reason)
    except (registry.ModelVersionError, ArtifactError) as exc:
        raise click.ClickException(f"{version}: {exc}") from exc
    db.session.commit()
    click.echo(f"{version} is now the active model")
    rescore_after_change(f"model {version} promoted")


def register(app: Flask) -> None:
    # `flask worker` loads the rule set and model before its first job (app/platform/cli.py).
    app.extensions.setdefault("worker_warm_ups", []).append(warm_scoring)
    for command in (score_command, export_scores_command, ml_cli):
        app.cli.add_command(command)
