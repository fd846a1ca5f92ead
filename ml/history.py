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

import numpy as np
import pandas as pd

from ml.forked import ForkedWork
from review_rules.context import ScoringContext, normalise
from review_rules.engine import RuleOutput, evaluate_many, validate_config
from review_rules.rows import RowCache, RowSlice

Progress = Callable[[int, int], None]  # (chunks done, chunks in all)
PARENT_SHARE = 0.6  # of the rows in view after the first window, evaluated in this process (_evaluate_windows)


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
    return point_in_time_many(context, [config], chunk_hours, progress)[0]


def point_in_time_many(context: ScoringContext, configs: list[dict], chunk_hours: float = 24.0,
                       progress: Progress | None = None, explain: bool = True, processes: int = 1) -> list[RuleOutput]:
    """`point_in_time` for several configs, chunk by chunk together: what depends on one row alone
    is computed once for the whole history (review_rules.rows), and a signal two configs run with
    the same parameters once per chunk (evaluate_many). Configs with different history windows
    see different chunks, so they run apart. `explain` False: no reason texts (engine.evaluate_many).
    `processes` 2: the later chunks are evaluated in a forked child meanwhile (_evaluate_windows)."""
    checked = [validate_config(config) for config in configs]
    context = normalise(context)
    proofs = context.proofs.sort_values("submitted_at", kind="stable").reset_index(drop=True)
    cache = RowCache(proofs, context.decisions)
    by_window: dict[int, list[int]] = {}
    for k, config in enumerate(checked):
        by_window.setdefault(config["context"]["history_days"], []).append(k)
    outputs: list[RuleOutput | None] = [None] * len(checked)
    for n, (days, members) in enumerate(by_window.items()):
        def step(done: int, total: int, n: int = n) -> None:
            if progress:
                progress(n * total + done, total * len(by_window))
        parts = _chunks(context, proofs, cache, [checked[k] for k in members], days, chunk_hours, step, explain,
                        processes)
        for k, output in zip(members, parts, strict=True):
            outputs[k] = output
    return outputs  # type: ignore[return-value]


def _chunks(context: ScoringContext, proofs: pd.DataFrame, cache: RowCache, configs: list[dict], history_days: int,
            chunk_hours: float, progress: Progress, explain: bool = True, processes: int = 1) -> list[RuleOutput]:
    submitted = proofs["submitted_at"]
    target_times = submitted[proofs["is_target"].to_numpy()].dropna()
    if target_times.empty:
        return evaluate_many(context, configs, explain=explain)
    step = pd.Timedelta(hours=chunk_hours)
    history = pd.Timedelta(days=history_days)
    start = target_times.min().floor("D")
    edges = pd.date_range(start, target_times.max() + step, freq=step)
    is_target = proofs["is_target"].to_numpy()
    windows: list[tuple[np.ndarray, pd.Timestamp, np.ndarray]] = []  # (rows in view, end, which are targets)
    for edge, end in zip(edges[:-1], edges[1:], strict=True):
        positions = np.flatnonzero(((submitted >= edge - history) & (submitted < end)).to_numpy())
        targets = is_target[positions] & (submitted.iloc[positions] >= edge).to_numpy()
        if targets.any():
            windows.append((positions, end, targets))

    def evaluate_window(positions: np.ndarray, end: pd.Timestamp, targets: np.ndarray) -> list[RuleOutput]:
        # the frame is sorted by submission: a window is a run of rows, sliced without copying them one by one
        contiguous = positions[-1] - positions[0] + 1 == len(positions)
        window = proofs.iloc[positions[0]:positions[-1] + 1] if contiguous else proofs.iloc[positions]
        seen = np.flatnonzero((context.decisions["decided_at"] < end).to_numpy())
        chunk = ScoringContext(window.assign(is_target=targets), context.sessions, context.decisions.iloc[seen], end)
        return evaluate_many(chunk, configs, RowSlice(cache, positions, seen), explain)

    parts = _evaluate_windows(windows, evaluate_window, progress, processes)
    undated = is_target & submitted.isna().to_numpy()
    if undated.any():  # no submission time: score with everything, as scoring would
        everything = RowSlice(cache, np.arange(len(proofs)))
        parts.append(evaluate_many(ScoringContext(proofs.assign(is_target=undated), context.sessions,
                                                  context.decisions, context.now), configs, everything, explain))
    return [concat_outputs([chunk[k] for chunk in parts]) for k in range(len(configs))]


def _evaluate_windows(windows: list[tuple], evaluate_window: Callable[..., list[RuleOutput]], progress: Progress,
                      processes: int) -> list[list[RuleOutput]]:
    """Every window's outputs, in order. With two processes, the first window is evaluated here (it
    fills the row cache, which a forked child then shares), the rest split in two runs: the later run in
    a child, the earlier one (PARENT_SHARE of the rows in view) here. Each window's result is the one a single
    process computes (the caches hold the same values, whoever filled them)."""
    total = len(windows)
    if processes < 2 or total < 3:
        parts = []
        for done, window in enumerate(windows, start=1):
            parts.append(evaluate_window(*window))
            progress(done, total)
        return parts
    parts = [evaluate_window(*windows[0])]
    progress(1, total)
    rest = windows[1:]
    # A window's cost grows with the rows in view. The child pays more per row: it first catches its
    # incremental state (the co-activity ledgers) up to its first window, and writes to memory it shares
    # with this process copy pages. Measured on the 1M world (2 cores): this process taking 60% of
    # the rows finished both runs together (27.6 s for the rules, against 33.1 s at half).
    rows = np.cumsum([len(positions) for positions, *_ in rest])[:-1]
    split = int(np.argmin(np.abs(rows - PARENT_SHARE * (rows[-1] + len(rest[-1][0]))))) + 1
    later = ForkedWork(lambda: [evaluate_window(*window) for window in rest[split:]])
    try:
        for done, window in enumerate(rest[:split], start=2):
            parts.append(evaluate_window(*window))
            progress(done, total)
    except BaseException:
        later.cancel()
        raise
    parts += later.result()
    progress(total, total)
    return parts
