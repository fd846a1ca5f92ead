"""Rule output for labelled history as scoring would have seen it: point in time, chunk by chunk.

A proof is scored shortly after it arrives, when its context holds only older proofs. Computing
training features for a whole history in one pass would let every proof see its own future (the
rest of a burst, later ring members) and teach the model evidence it never has when it scores.
So the targets are cut into chunks of `chunk_hours` by submission time, and a chunk is evaluated
with the proofs submitted before the chunk ends (within the rule set's history window), the
decisions made before then, and `now` = the chunk's end.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from review_rules.context import ScoringContext, normalise
from review_rules.engine import RuleOutput, evaluate

Progress = Callable[[int, int], None]  # (chunks done, chunks in all)


def concat_outputs(parts: list[RuleOutput]) -> RuleOutput:
    """One RuleOutput from chunk outputs (columns aligned; a signal absent from a chunk scores 0)."""
    return RuleOutput(
        scores=pd.concat([p.scores for p in parts]).fillna(0.0),
        features=pd.concat([p.features for p in parts]),
        reasons=pd.concat([p.reasons for p in parts]),
        rule_score=pd.concat([p.rule_score for p in parts]),
        hard_hold=pd.concat([p.hard_hold for p in parts]),
    )


def subset(output: RuleOutput, ids: pd.Index) -> RuleOutput:
    """The rows of `output` for `ids`, in that order."""
    return RuleOutput(output.scores.loc[ids], output.features.loc[ids], output.reasons.loc[ids],
                      output.rule_score.loc[ids], output.hard_hold.loc[ids])


def point_in_time(context: ScoringContext, config: dict, chunk_hours: float = 24.0,
                  progress: Progress | None = None) -> RuleOutput:
    """Rule output for every target of `context`, each chunk seeing only the history before its end."""
    context = normalise(context)
    proofs = context.proofs.sort_values("submitted_at", kind="stable")
    submitted = proofs["submitted_at"]
    target_times = submitted[proofs["is_target"].to_numpy()].dropna()
    if target_times.empty:
        return evaluate(context, config)
    step = pd.Timedelta(hours=chunk_hours)
    history = pd.Timedelta(days=config.get("context", {}).get("history_days", 30))
    start = target_times.min().floor("D")
    edges = pd.date_range(start, target_times.max() + step, freq=step)
    parts: list[RuleOutput] = []
    for done, (edge, end) in enumerate(zip(edges[:-1], edges[1:], strict=True), start=1):
        window = proofs[((submitted >= edge - history) & (submitted < end)).to_numpy()]
        targets = window["is_target"].to_numpy() & (window["submitted_at"] >= edge).to_numpy()
        if targets.any():
            decisions = context.decisions[(context.decisions["decided_at"] < end).to_numpy()]
            chunk = ScoringContext(window.assign(is_target=targets), context.sessions, decisions, end)
            parts.append(evaluate(chunk, config))
        if progress:
            progress(done, len(edges) - 1)
    undated = proofs["is_target"].to_numpy() & submitted.isna().to_numpy()
    if undated.any():  # no submission time: score with everything, as scoring would
        parts.append(evaluate(ScoringContext(proofs.assign(is_target=undated), context.sessions,
                                             context.decisions, context.now), config))
    return concat_outputs(parts)
