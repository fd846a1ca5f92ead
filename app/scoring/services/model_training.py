"""Training and evaluating fraud models on the moderators' decisions.

Labels are the newest human or imported decision per proof (approved = 0, rejected = 1); system
approvals are never labels (the model would learn from itself). Features come from the rules
engine over the same context scoring uses. The caller commits.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from app.platform.i18n import stated
from app.scoring.services import models_registry as registry
from app.scoring.services.context import load_all_context
from app.scoring.services.rulesets import draft_learned, load_active_rules
from ml.config import TrainingConfig
from ml.evaluate import beats
from ml.features import feature_frame
from ml.history import point_in_time
from ml.registry import ArtifactError, save_artifact
from ml.train import LabelledSet, NotEnoughLabels, check_labels, evaluate_bundle, time_split, train
from ml.weights import with_learned_weights
from models import ReviewDecision, StaffUser, db

Progress = Callable[[str, int], None]  # (stage, percent)


@dataclass
class TrainingReport:
    version: str
    metrics: dict
    promoted: bool
    reason: str
    active_before: str | None = None
    active_metrics: dict | None = None
    operating_point: dict | None = None
    learned_ruleset: int | None = None  # the draft rule set holding the weights learned on the labels


@dataclass
class VersionEvaluation:
    version: str
    status: str
    stored: dict
    window: dict | None = None
    error: str | None = None
    operating_point: dict | None = None


@dataclass
class EvaluationReport:
    window: dict = field(default_factory=dict)
    rows: list[VersionEvaluation] = field(default_factory=list)


def labelled_decisions() -> pd.DataFrame:
    """proof_id, label, decided_at: the newest human/import approve-or-reject decision per proof."""
    ranked = sa.select(
        ReviewDecision.proof_id, ReviewDecision.decision, ReviewDecision.decided_at,
        sa.func.row_number().over(partition_by=ReviewDecision.proof_id,
                                  order_by=(ReviewDecision.decided_at.desc(), ReviewDecision.id.desc())).label("rn"),
    ).where(ReviewDecision.actor_kind.in_(("human", "import")),
            ReviewDecision.decision.in_(("approved", "rejected"))).subquery()
    rows = db.session.execute(sa.select(ranked.c.proof_id, ranked.c.decision, ranked.c.decided_at)
                              .where(ranked.c.rn == 1)).all()
    frame = pd.DataFrame(rows, columns=["proof_id", "decision", "decided_at"])
    frame["label"] = (frame["decision"] == "rejected").astype(int)
    return frame.drop(columns="decision")


def labelled_set(config: TrainingConfig, progress: Progress | None = None) -> tuple[LabelledSet, dict]:
    """Features of every labelled proof, computed by the rules engine in one pass; plus the ruleset facts."""
    labels = labelled_decisions()
    if labels.empty:
        raise NotEnoughLabels(stated("no labelled proofs: import decisions or review some proofs first"))
    check_labels(labels["label"], config)  # before the expensive part
    if progress:
        progress(stated("computing features for %(n)s labelled proofs", n=len(labels)), 10)
    features, submitted_at, ruleset = rule_features(labels["proof_id"].tolist(), config.feature_chunk_hours)
    label_series = labels.set_index("proof_id")["label"].reindex(features.index)
    signals = tuple(ruleset.pop("signals"))
    rule_score, hard_hold = ruleset.pop("rule_score"), ruleset.pop("hard_hold")
    return LabelledSet(features, label_series, submitted_at.reindex(features.index), signals,
                       rule_score.reindex(features.index), hard_hold.reindex(features.index)), ruleset


def rule_features(proof_ids: list[str], chunk_hours: float) -> tuple[pd.DataFrame, pd.Series, dict]:
    """Model features of these proofs as scoring saw them (ml.history), their submission times, the rule set."""
    rules = load_active_rules()
    context = load_all_context(target_ids=proof_ids)
    output = point_in_time(context, rules.config, chunk_hours)
    submitted = context.proofs.set_index("proof_id")["submitted_at"]
    features = feature_frame(output)
    facts = {"version": rules.version, "signals": list(output.scores.columns), "config": rules.config,
             "rule_score": output.rule_score, "hard_hold": output.hard_hold}
    return features, submitted.reindex(features.index), facts


def train_and_register(model_dir: Path, *, force: bool = False, config: TrainingConfig | None = None,
                       actor: StaffUser | None = None, progress: Progress | None = None,
                       target: dict | None = None) -> TrainingReport:
    """Train a candidate, compare it with the active model on the same window, promote if better.

    `target` overrides the operating-point settings of the config (honest_review_share,
    novelty_budget, hold_precision, review_capacity_per_day)."""
    config = config or TrainingConfig()
    if target:
        config = replace(config, **{k: v for k, v in target.items() if v is not None})
    config = config.validate()
    data, ruleset = labelled_set(config, progress)
    if progress:
        progress(stated("training"), 40)
    rule_config = ruleset.pop("config", None)  # tests that stub labelled_set may leave it out
    result = train(data, config, rule_config=rule_config)
    result.bundle.meta["ruleset"] = ruleset
    if progress:
        progress(stated("comparing with the active model"), 80)
    active = registry.active_version()
    active_metrics, active_error = _score_active(active, model_dir, data.subset(result.validation_ids), config)
    path, digest = save_artifact(result.bundle, model_dir)
    row = registry.register_candidate(result.bundle, path, digest, result.metrics)
    row.meta = {**row.meta, "compared_with": {"version": active.version if active else None,
                                             "metrics": active_metrics, "error": active_error}}
    learned_draft = _draft_learned(result.bundle.meta.get("learned_weights"), rule_config, row.version, ruleset)
    better = beats(result.metrics, active_metrics)
    reason = _promotion_reason(active, active_metrics, active_error, better, force)
    promoted = better or force
    if promoted:
        try:
            registry.promote(row, actor=actor, actor_label="training", reason=reason,
                             comparison={"candidate": result.metrics, "active": active_metrics},
                             replacing=active.version if active else None)
        except registry.ModelVersionError as exc:  # an operator promoted or rolled back while this trained
            promoted, reason = False, str(exc)
    return TrainingReport(version=row.version, metrics=result.metrics, promoted=promoted, reason=reason,
                          active_before=active.version if active else None, active_metrics=active_metrics,
                          operating_point=result.bundle.meta.get("operating_point"),
                          learned_ruleset=learned_draft.version if learned_draft is not None else None)


def _draft_learned(learned: dict | None, rule_config: dict | None, model_version: str,
                   ruleset: dict):  # noqa: ANN202 - RuleSet | None
    """The learned weights as a draft rule set based on the active one (operators publish it)."""
    if not learned or rule_config is None:
        return None
    source = {"model_version": model_version, "based_on": ruleset.get("version")}
    window = learned.get("window") or {}
    note = stated("weights learned on %(rows)s labelled proofs submitted %(since)s to %(until)s (model %(model)s), "
                  "from rule set %(version)s", rows=window.get("rows", "?"), since=window.get("from", "?"),
                  until=window.get("to", "?"), model=model_version, version=ruleset.get("version"))
    return draft_learned(with_learned_weights(rule_config, learned, source), note, source)


def _score_active(active, model_dir: Path, window: LabelledSet,  # noqa: ANN001 - ModelVersion | None
                  config: TrainingConfig) -> tuple[dict | None, str | None]:
    """The active model's metrics on the candidate's validation window (None when there is none)."""
    if active is None:
        return None, None
    try:
        return evaluate_bundle(registry.load_version(active, model_dir), window, config), None
    except ArtifactError as exc:
        return None, str(exc)


def _promotion_reason(active, active_metrics: dict | None, active_error: str | None,  # noqa: ANN001
                      better: bool, force: bool) -> str:
    if active is None:
        return stated("first model: no active model to beat")
    if active_error:
        return stated("active model %(version)s is unusable (%(error)s)", version=active.version, error=active_error)
    if better:
        return stated("beats %(version)s on the same validation window", version=active.version)
    if force:
        return stated("forced: does not beat %(version)s on the same validation window", version=active.version)
    return stated("kept %(version)s: the candidate does not beat it on the same validation window",
                  version=active.version)


def evaluate_versions(model_dir: Path, config: TrainingConfig | None = None) -> EvaluationReport:
    """Every non-retired model scored on today's newest labelled window, next to its stored metrics."""
    config = (config or TrainingConfig()).validate()
    report = EvaluationReport()
    versions = sorted((v for v in registry.list_versions() if v.status != "retired"),
                      key=lambda v: v.status != "active")  # active first, then candidates newest first
    data: LabelledSet | None = None
    try:
        data, _ = labelled_set(config)
        _, newer, cut = time_split(data.submitted_at, config.validation_share)
        data = data.subset(newer)
        report.window = {"from": cut.isoformat(), "rows": len(newer), "positives": int(data.labels.sum())}
    except NotEnoughLabels as exc:
        report.window = {"error": str(exc)}
        data = None
    for row in versions:
        item = VersionEvaluation(version=row.version, status=row.status, stored=row.metrics or {},
                                 operating_point=(row.meta or {}).get("operating_point"))
        if data is not None:
            try:
                item.window = evaluate_bundle(registry.load_version(row, model_dir), data, config)
            except (ArtifactError, ValueError) as exc:
                item.error = str(exc)
        report.rows.append(item)
    return report
