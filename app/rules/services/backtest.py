"""Backtest: what a rule-set version would have routed over a period of labelled history.

The labelled proofs of the period (newest human or imported approve/reject decision; submitted in
[since, until)) are evaluated the way training computes features: every stored proof read once as
columns (`load_all_context`, the batch scoring loader) and the rules run point in time, day by
day, each day seeing only the proofs and decisions before its end (ml.history). The active model,
if any, is combined as scoring does. The version and the active one are evaluated over the same
frames, so the proofs whose route would change come out of one comparison. No ORM object per proof.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import distinct_on

from app.platform.audit import record
from app.platform.i18n import stated
from app.platform.paging import NewestFirst, newest_first
from app.platform.sql import is_postgres
from app.rules.services.metrics import summarise
from app.rules.services.versions import checked, resolve
from app.scoring.services.context import load_all_context
from app.scoring.services.context_columns import read_table, ticks
from app.scoring.services.model_scoring import combine_as_scoring, model_outcome, routing_thresholds
from ml.history import point_in_time_many
from models import Backtest, Campaign, DomainError, Proof, ReviewDecision, RuleSet, StaffUser, Task, db, utcnow
from review_rules.context import ScoringContext
from review_rules.engine import evaluate_many

Progress = Callable[[int, str], None]  # (percent, stage)
TASK_KIND = "backtest"
CHUNK_HOURS = 24.0  # point in time: each day's proofs see only what came before the day ended


class BacktestError(DomainError):
    status_code = 422


@dataclass
class Timings:
    """Seconds spent per stage, printed by the command and the benchmark."""

    stages: dict[str, float] = field(default_factory=dict)
    _last: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = round(self.stages.get(stage, 0.0) + now - self._last, 3)
        self._last = now


def labelled_window(since: datetime, until: datetime) -> pd.DataFrame:
    """index proof_id; label (1 rejected), day (submission date, UTC), reward_cents: one columnar read
    of the proofs submitted in [since, until) with their newest human or imported approve / reject
    decision (model_training.labelled_decisions' rule, for the period's proofs only)."""
    decisions = ReviewDecision.__table__
    period = sa.and_(Proof.submitted_at >= since, Proof.submitted_at < until)
    counted = sa.and_(decisions.c.actor_kind.in_(("human", "import")),
                      decisions.c.decision.in_(("approved", "rejected")),
                      decisions.c.proof_id.in_(sa.select(Proof.id).where(period)))
    newest = (decisions.c.decided_at.desc(), decisions.c.id.desc())
    postgres = is_postgres()
    if postgres:  # DISTINCT ON: the planner sizes it right, where it took `rn = 1` for 1 row in 200 (twice the time)
        label = sa.select(decisions.c.proof_id, decisions.c.decision).where(counted).ext(
            distinct_on(decisions.c.proof_id)).order_by(decisions.c.proof_id, *newest).subquery()
        joined = sa.true()
    else:
        label = sa.select(decisions.c.proof_id, decisions.c.decision, sa.func.row_number().over(
            partition_by=decisions.c.proof_id, order_by=newest).label("rn")).where(counted).subquery()
        joined = label.c.rn == 1
    # on PostgreSQL the submission times come as ticks: no datetime object per proof
    submitted = ticks(Proof.submitted_at) if postgres else sa.type_coerce(Proof.submitted_at, sa.DateTime())
    rows = read_table(sa.select(Proof.id, submitted, Campaign.reward_cents, label.c.decision)
                      .join(Campaign, Campaign.id == Proof.campaign_id).join(label, label.c.proof_id == Proof.id)
                      .where(period, joined).order_by(Proof.id))
    frame = pd.DataFrame({"reward_cents": pd.Series(rows[:, 2].tolist()).to_numpy(),
                          "label": (rows[:, 3] == "rejected").astype(int)},
                         index=pd.Index(rows[:, 0], dtype=object, name="proof_id"))
    days = rows[:, 1].astype(np.int64).view("M8[us]").astype("M8[D]") if postgres else \
        pd.to_datetime(pd.Series(rows[:, 1].tolist(), dtype=object)).to_numpy().astype("M8[D]")
    frame["day"] = np.datetime_as_string(days) if len(frame) else pd.Series(dtype=object)
    return frame.sort_index()


def labels_and_context(since: datetime, until: datetime, timings: Timings) -> tuple[pd.DataFrame, ScoringContext]:
    """The labelled window and every stored proof as context, its targets the labelled proofs.

    On PostgreSQL the labels are read on a second connection, in a thread, while this one reads the
    proofs: the server works the labels out while this process converts the proofs' rows (the
    thread's own time is the `labels` figure, spent during `load`). An empty period is then known
    only after the load."""
    if not is_postgres():  # one connection (an in-memory database is one): one read after the other
        frame = labelled_window(since, until)
        timings.lap("labels")
        _refuse_empty(frame)
        context = load_all_context(target_ids=frame.index.tolist())
        timings.lap("load")
        return frame, context
    app = current_app._get_current_object()

    def read_labels() -> tuple[pd.DataFrame, float]:
        started = time.perf_counter()
        with app.app_context():
            try:
                return labelled_window(since, until), time.perf_counter() - started
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="backtest-labels") as pool:
        pending = pool.submit(read_labels)
        context = load_all_context(target_ids=[])
        frame, seconds = pending.result()
    timings.lap("load")
    timings.stages["labels"] = round(seconds, 3)
    _refuse_empty(frame)
    context.proofs["is_target"] = context.proofs["proof_id"].isin(frame.index).to_numpy()
    return frame, context


def _refuse_empty(frame: pd.DataFrame) -> None:
    if frame.empty:
        raise BacktestError(stated("no labelled proofs were submitted in this period"))


def evaluate_configs(configs: list[dict], context: ScoringContext, progress: Progress | None = None,
                     timings: Timings | None = None, chunk_hours: float = CHUNK_HOURS) -> list[pd.DataFrame]:
    """For each config, over the targets of `context`: index proof_id, columns route, risk, plus the
    signal scores (`scores` attr).

    `chunk_hours` 0 evaluates every target against the whole period at once, as a full batch
    scoring run does: faster, but a proof then sees evidence that arrived after it."""
    timings = timings or Timings()
    # Versions that differ only in routing share one rules run; the rest run chunk by chunk together.
    keys = list(dict.fromkeys(_rules_key(config) for config in configs))
    distinct = [next(c for c in configs if _rules_key(c) == key) for key in keys]

    def chunk_done(done: int, total: int) -> None:
        if progress:
            progress(int(10 + 80 * done / max(total, 1)), stated("evaluating rules"))
    # no reason texts: the figures read scores and routes only
    runs = point_in_time_many(context, distinct, chunk_hours, chunk_done, explain=False,
                              processes=current_app.config["BACKTEST_PROCESSES"]) if chunk_hours > 0 else \
        evaluate_many(context, distinct, explain=False)
    evaluated = dict(zip(keys, runs, strict=True))
    timings.lap("rules")
    outputs = []
    for config in configs:
        rules = evaluated[_rules_key(config)]
        model = model_outcome(rules, Path(current_app.config["MODEL_DIR"]), None)
        combined = combine_as_scoring(rules, model, config)
        result = pd.DataFrame({"route": combined["route"], "risk": combined["risk_score"]})
        result.attrs["scores"] = rules.scores
        result.attrs["model"] = model.version
        result.attrs["thresholds"] = routing_thresholds(model, config)
        outputs.append(result)
    timings.lap("model")
    return outputs


def _rules_key(config: dict) -> str:
    """What the rules' output depends on: everything but the routing thresholds and the model blend
    (which `combine` applies afterwards)."""
    return json.dumps({k: v for k, v in config.items() if k not in ("thresholds", "combine")}, sort_keys=True)


def run_backtest(row: RuleSet, since: datetime, until: datetime, progress: Progress | None = None,
                 timings: Timings | None = None, chunk_hours: float = CHUNK_HOURS) -> dict[str, Any]:
    """Figures for `row` over the labelled proofs submitted in [since, until), compared with the active version."""
    if not since < until:
        raise BacktestError(stated("the period is empty: since must be before until"))
    timings = timings or Timings()
    frame, context = labels_and_context(since, until, timings)
    active = resolve("active")
    configs = [checked(row)] + ([checked(active)] if active.version != row.version else [])
    outputs = evaluate_configs(configs, context, progress, timings, chunk_hours)
    mine = outputs[0].reindex(frame.index)
    baseline = outputs[-1].reindex(frame.index)
    weights = {code: entry["weight"] for code, entry in configs[0]["signals"].items() if entry["enabled"]}
    results = summarise(frame.assign(route=mine["route"].fillna("review"), risk=mine["risk"].fillna(0.0)),
                        outputs[0].attrs["scores"], weights, baseline=baseline["route"])
    active_frame = frame.assign(route=baseline["route"].fillna("review"), risk=baseline["risk"].fillna(0.0))
    flagged = np.isin(active_frame["route"].to_numpy(dtype=object), ("review", "hold"))
    results["active"] = {"version": active.version, "flagged": int(flagged.sum()),
                         "held": int((active_frame["route"] == "hold").sum()),
                         "by_day": [{"day": d, "flagged": int(n)} for d, n in
                                    active_frame.assign(f=flagged).groupby("day")["f"].sum().items()]}
    results["active"].update({k: v for k, v in summarise(active_frame, pd.DataFrame(index=frame.index), {})
                              .items() if k in ("precision", "recall", "money_held_cents")})
    results.update({"version": row.version, "since": since.isoformat(), "until": until.isoformat(),
                    "model": outputs[0].attrs["model"], "chunk_hours": chunk_hours})
    results["thresholds"], results["thresholds_from"] = outputs[0].attrs["thresholds"]
    timings.lap("figures")
    results["timings"] = dict(timings.stages)
    return results


def start(row: RuleSet, since: datetime, until: datetime, actor: StaffUser | None) -> Backtest:
    """The Backtest row and its Task (queued), with the audit row; the caller commits and enqueues."""
    if not since < until:
        raise BacktestError(stated("the period is empty: since must be before until"))
    task = Task(kind=TASK_KIND, status="queued", total=100, message=stated("waiting for a backtest worker"))
    db.session.add(task)
    db.session.flush()
    active = resolve("active")
    test = Backtest(ruleset_version=row.version, baseline_version=active.version, since=since, until=until,
                    status="queued", task_id=task.id, created_by=actor.id if actor else None)
    db.session.add(test)
    db.session.flush()
    record("backtest.started", "backtest", str(test.id), actor=actor, actor_label="cli", data={
        "version": row.version, "since": since.isoformat(), "until": until.isoformat()})
    return test


def finish(test: Backtest, results: dict | None, error: str | None = None) -> None:
    test.status = "failed" if error else "done"
    test.results, test.error, test.finished_at = results, error, utcnow()
    task = db.session.get(Task, test.task_id) if test.task_id else None
    if task is not None:
        task.status, task.finished_at = test.status, test.finished_at
        task.done = 100 if not error else task.done
        task.message = error or stated("done")


def page(before: int | None, size: int = 50) -> NewestFirst:
    """One page of every kept backtest, newest first."""
    return newest_first(sa.select(Backtest), Backtest.id, before, size)


def of_version(version: int, limit: int = 10) -> list[Backtest]:
    """The newest backtests of one version."""
    return list(db.session.scalars(sa.select(Backtest).where(Backtest.ruleset_version == version)
                                   .order_by(Backtest.id.desc()).limit(limit)))
