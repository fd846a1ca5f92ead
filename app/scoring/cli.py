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
from app.platform.hooks import PROOFS_SCORED, emit
from app.platform.i18n import _, stated, stored_text
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
        with click.progressbar(length=len(ids), label=_("scoring") if not rescore else _("rescoring all"),
                               file=sys.stderr) as bar:
            summary = score_proofs(ids, batch_size=size, progress=_committing(bar.update))
        db.session.commit()
        emit(PROOFS_SCORED, ids)
    stale = _rescore_stale_now(size)
    if len(ids) + stale.rescored >= ANALYZE_FROM:
        vacuum_after_bulk_load(*(model.__table__ for model in (ProofScore, ReviewItem, ReviewDecision, Proof)))
    if not ids and not stale.rescored:
        click.echo(_("nothing to score: every proof has a current score"))
        return
    routes = summary.routes or {}
    spread = ", ".join(f"{route} {count}" for route, count in sorted(routes.items()))
    scored = _("scored %(n)d proofs", n=len(ids)) if rescore else _("scored %(n)d unscored proofs", n=len(ids))
    parts = [scored + (f" ({spread})" if spread else ""), _("rescored %(n)d stale proofs", n=stale.rescored),
             _("%(n)d approved by policy", n=summary.auto_approved + stale.auto_approved)]
    if stale.pulled_back:
        parts.append(_("%(n)d policy approvals pulled back into review", n=stale.pulled_back))
    click.echo(_("; ").join(parts))


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
                click.progressbar(length=waiting, label=_("rescoring stale"), file=sys.stderr) as bar:
            return rescore_stale(size, progress=_committing(bar.update))
    except LockTimeout as exc:
        raise click.ClickException(_("%(error)s: a rescoring job is still running", error=exc)) from exc


def rescore_after_change(reason: str) -> None:
    """After a promotion: queue the rescoring of stale proofs (in-process, with a progress bar, without Redis)."""
    with click.progressbar(length=0, label=_("rescoring stale"), file=sys.stderr) as bar:
        task = enqueue_stale_rescore(reason, progress=bar.update)
    click.echo(_("rescoring task %(task)s: %(status)s — %(message)s", task=task.id, status=task.status,
                 message=stored_text(task.message)))


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
    click.echo(_("wrote %(n)d rows to %(path)s", n=count, path=path))



ml_cli = AppGroup("ml", help="Train, evaluate and promote the fraud classifier.")

METRIC_COLUMNS = (("pr_auc", "PR-AUC"), ("roc_auc", "ROC-AUC"), ("recall_at_fpr", "rec@1%FPR"),
                  ("ece", "ECE"), ("brier", "Brier"))


def _fmt_metrics(values: dict | None) -> str:
    if not values:
        return "  ".join(f"{'-':>9}" for _column in METRIC_COLUMNS)
    return "  ".join(f"{values.get(key, float('nan')):>9.4f}" for key, _label in METRIC_COLUMNS)


def operating_lines(point: dict | None) -> list[str]:
    """The operating point in words: thresholds, target, and what it did on the validation window."""
    if not point:
        return [_("operating point: none stored (an older model): routes on the rule set's thresholds")]
    lines = [_("operating point (%(source)s): auto-approve below %(below)s, hold at or above %(hold)s",
               source=point.get("source", "?"), below=format(point['auto_approve_below'], ".4f"),
               hold=format(point['hold_at_or_above'], ".4f"))]
    target, seen = point.get("target"), point.get("validation")
    if target and seen:
        capacity = target.get("capacity_per_day")
        lines.append("  " + _("target: at most %(share)s%% of honest proofs to a person",
                              share=format(100 * target['honest_share'], ".1f"))
                     + (_(", at most %(capacity)s proofs a day", capacity=format(capacity, "g")) if capacity else "")
                     + _("; novelty budget %(budget)s%%", budget=format(100 * target['novelty_budget'], ".1f")))
        lines.append("  " + _("on the validation window (%(rows)s proofs, %(fraud)s rejected, %(days)s days): honest "
                              "routed %(honest)s%%, fraud routed %(routed)s%%, fraud held %(held)s%%",
                              rows=seen["rows"], fraud=seen["fraud"], days=format(seen['days'], "g"),
                              honest=format(100 * seen["honest_routed"], ".2f"),
                              routed=format(100 * seen["fraud_routed"], ".2f"),
                              held=format(100 * seen['fraud_held'], ".2f"))
                     + (_(", %(n)s routed a day", n=format(seen['routed_per_day'], ".0f"))
                        if seen.get("routed_per_day") else ""))
    novelty = point.get("novelty") or {}
    if novelty.get("min_support"):
        lines.append("  " + _("novelty floor: fired-signal combinations seen fewer than %(support)s times in training, "
                              "rules' reading >= %(score)s: added honest %(honest)s%%, fraud %(fraud)s%%",
                              support=novelty["min_support"], score=format(novelty['min_rule_score'], ".2f"),
                              honest=format(100 * novelty['honest_added'], ".2f"),
                              fraud=format(100 * novelty['fraud_added'], ".2f")))
    elif novelty:
        lines.append("  " + _("novelty floor: off (no setting stays within its budget on the validation window)"))
    return lines


def cold_start_line() -> str:
    from app.scoring.services.rulesets import load_active_rules
    from ml.operating import cold_start

    point = cold_start(load_active_rules().config)
    return _("cold start: %(source)s: auto-approve below %(below)s, hold at or above %(hold)s",
             source=point["source"], below=format(point["auto_approve_below"], "g"),
             hold=format(point["hold_at_or_above"], "g"))


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
        click.echo(_("task %(task)s: %(status)s — %(message)s", task=task.id, status=task.status,
                     message=stored_text(task.message)))
        if task.status == "failed":
            raise click.ClickException(stored_text(task.message) or _("training failed"))
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
        why = stored_text(str(exc))
        raise click.ClickException(_("cannot train: %(error)s. Nothing was stored or promoted.", error=why)
                                   + still) from exc
    db.session.commit()
    click.echo(f"{'model':<26}  " + "  ".join(f"{label:>9}" for _key, label in METRIC_COLUMNS))
    click.echo(f"{report.version + ' (new)':<26}  {_fmt_metrics(report.metrics)}")
    if report.active_before:
        click.echo(f"{report.active_before + ' (active)':<26}  {_fmt_metrics(report.active_metrics)}")
    for line in operating_lines(report.operating_point):
        click.echo(line)
    if report.learned_ruleset:
        click.echo(_("weights learned on the labelled history: draft rule set %(version)s "
                     "(`flask --app app rules show %(version)s`; publish it to use them)",
                     version=report.learned_ruleset))
    click.echo(_("promoted: %(reason)s", reason=stored_text(report.reason)) if report.promoted
               else _("not promoted: %(reason)s", reason=stored_text(report.reason)))
    if report.promoted:
        rescore_after_change(stated("model %(version)s promoted", version=report.version))


def print_evaluation(report: EvaluationReport) -> None:
    window = report.window
    if "error" in window:
        click.echo(_("no evaluation window: %(error)s (stored metrics only)", error=window["error"]))
    else:
        click.echo(_("window: proofs submitted from %(start)s (%(rows)s rows, %(rejected)s rejected)",
                     start=window["from"], rows=window["rows"], rejected=window["positives"]))
    click.echo(f"{'model':<24} {'status':<9} {'':<7} " + "  ".join(f"{label:>9}" for _key, label in METRIC_COLUMNS))
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
        raise click.ClickException(_("no trained models yet: run `flask --app app ml train`.")
                                   + f" {cold_start_line()}")
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
    click.echo(_("%(version)s is now the active model", version=version))
    rescore_after_change(stated("model %(version)s promoted", version=version))


def register(app: Flask) -> None:
    # `flask worker` loads the rule set and model before its first job (app/platform/cli.py).
    app.extensions.setdefault("worker_warm_ups", []).append(warm_scoring)
    for command in (score_command, export_scores_command, ml_cli):
        app.cli.add_command(command)
