"""The backtest's fast path (row cache shared by the chunks, configs evaluated together) gives what
the reference gives: every config evaluated on its own, chunk by chunk, each chunk from scratch."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.history import concat_outputs, point_in_time_many
from review_rules.context import ScoringContext, normalise
from review_rules.engine import RuleOutput, default_config, evaluate, evaluate_many, validate_config
from scripts.bench.world_frames import load_world
from scripts.simulate import SimulationOptions, generate_world


def reference(context: ScoringContext, config: dict, chunk_hours: float) -> RuleOutput:
    """The point-in-time loop as it was before the fast path: one config, every chunk computed anew."""
    context = normalise(context)
    proofs = context.proofs.sort_values("submitted_at", kind="stable")
    submitted = proofs["submitted_at"]
    times = submitted[proofs["is_target"].to_numpy()].dropna()
    step = pd.Timedelta(hours=chunk_hours)
    history = pd.Timedelta(days=validate_config(config)["context"]["history_days"])
    edges = pd.date_range(times.min().floor("D"), times.max() + step, freq=step)
    parts = []
    for edge, end in zip(edges[:-1], edges[1:], strict=True):
        window = proofs[((submitted >= edge - history) & (submitted < end)).to_numpy()]
        targets = window["is_target"].to_numpy() & (window["submitted_at"] >= edge).to_numpy()
        if targets.any():
            decisions = context.decisions[(context.decisions["decided_at"] < end).to_numpy()]
            parts.append(evaluate(ScoringContext(window.assign(is_target=targets), context.sessions, decisions, end),
                                  config))
    return concat_outputs(parts)


@pytest.fixture(scope="module")
def world_context(tmp_path_factory) -> ScoringContext:
    directory = tmp_path_factory.mktemp("world")
    generate_world(directory, SimulationOptions(proofs=2500, workers=350, campaigns=8, days=4, seed=11))
    world = load_world(directory, use_cache=False)
    labelled = set(world.decisions["proof_id"])
    proofs = world.proofs.assign(is_target=world.proofs["proof_id"].isin(labelled))
    return ScoringContext(proofs, world.sessions, world.decisions, pd.Timestamp.now(tz="UTC"))


def draft_config() -> dict:
    config = default_config()
    config["signals"]["ip.shared_accounts"]["params"]["min_accounts"] = 4
    config["signals"]["account.velocity"]["weight"] = 0.5
    config["thresholds"]["hold_at_or_above"] = 0.6
    return config


def assert_same(fast: RuleOutput, slow: RuleOutput) -> None:
    assert fast.scores.index.equals(slow.scores.index)
    pd.testing.assert_frame_equal(fast.scores, slow.scores, check_exact=True)
    pd.testing.assert_frame_equal(fast.features, slow.features, check_exact=True)
    pd.testing.assert_series_equal(fast.rule_score, slow.rule_score, check_exact=True)
    pd.testing.assert_series_equal(fast.hard_hold, slow.hard_hold)
    assert fast.reasons.tolist() == slow.reasons.tolist()


@pytest.mark.parametrize("chunk_hours", [24.0, 6.0])
def test_fast_point_in_time_equals_the_reference_for_every_config(world_context, chunk_hours):
    configs = [default_config(), draft_config()]
    fast = point_in_time_many(world_context, configs, chunk_hours)
    for config, output in zip(configs, fast, strict=True):
        slow = reference(world_context, config, chunk_hours)
        assert_same(output, slow)
    assert int(world_context.proofs["is_target"].sum()) == len(fast[0].scores) > 1000
    # the world holds fraud the rules see, so the comparison covers fired signals and their reasons
    assert (fast[0].scores.to_numpy() > 0).sum(axis=0).astype(bool).sum() >= 10
    assert not fast[0].scores.equals(fast[1].scores)  # the draft's change matters


def test_two_processes_give_what_one_gives(world_context, monkeypatch):
    """The later windows evaluated in a forked child: the same outputs, in the same order, and the
    progress reaches the last window."""
    from ml import history

    children = []
    real = history.ForkedWork
    monkeypatch.setattr(history, "ForkedWork", lambda work: children.append(1) or real(work))
    configs = [default_config(), draft_config()]
    seen: list[tuple[int, int]] = []
    forked = point_in_time_many(world_context, configs, 24.0, lambda done, total: seen.append((done, total)),
                                explain=False, processes=2)
    assert children == [1] and seen[-1][0] == seen[-1][1] >= 3
    for alone, together in zip(point_in_time_many(world_context, configs, 24.0, explain=False), forked, strict=True):
        assert_same(together, alone)


def test_evaluating_configs_together_equals_evaluating_each(world_context):
    configs = [default_config(), draft_config()]
    together = evaluate_many(world_context, configs)
    for config, output in zip(configs, together, strict=True):
        assert_same(output, evaluate(world_context, config))
    assert np.any(together[0].rule_score.to_numpy() != together[1].rule_score.to_numpy())


def test_without_reasons_every_figure_is_the_reference_one(world_context):
    """The backtest asks for no reason texts: scores, features, rule score and hard hold stay the reference's."""
    configs = [default_config(), draft_config()]
    quiet = point_in_time_many(world_context, configs, 24.0, explain=False)
    for config, output in zip(configs, quiet, strict=True):
        slow = reference(world_context, config, 24.0)
        assert_same(RuleOutput(output.scores, output.features, slow.reasons, output.rule_score, output.hard_hold), slow)
        assert output.reasons.index.equals(slow.reasons.index)
        assert all(r == [] for r in output.reasons) and any(slow.reasons.map(len))
    whole = evaluate_many(world_context, configs, explain=False)[1]
    assert_same(RuleOutput(whole.scores, whole.features, evaluate(world_context, configs[1]).reasons,
                           whole.rule_score, whole.hard_hold), evaluate(world_context, configs[1]))


def test_prefix_chunks_match_decisions_by_row(world_context, monkeypatch):
    """The chunks of a history window that reaches back to the start take each decision's proof row and
    account from the row cache (no id matching per chunk); the results stay the reference's (tests above)."""
    from review_rules.frame import ProofFrame

    used = []
    real = ProofFrame.decision_keys
    monkeypatch.setattr(ProofFrame, "decision_keys", lambda self: used.append(real(self) is not None) or real(self))
    point_in_time_many(world_context, [default_config()], 24.0, explain=False)
    assert used and all(used)


def test_row_local_signals_are_computed_once_for_the_whole_history(world_context, monkeypatch):
    """Every chunk takes a row-local signal from one computation over the whole history; the reference
    tests above hold its scores, features and reasons to the chunk-by-chunk ones."""
    from review_rules import engine
    from review_rules.registry import all_signals

    local = {spec.code for spec in all_signals() if spec.row_local}
    calls: list[str] = []
    real = engine._row_local
    monkeypatch.setattr(engine, "_row_local", lambda spec, frame, params: calls.append(spec.code) or
                        real(spec, frame, params))
    fast = point_in_time_many(world_context, [default_config()], 24.0)[0]
    assert set(calls) == local and len(calls) > len(local)  # every chunk asked, ...
    fired = {code for code in local if (fast.scores[code] > 0).any()}
    assert len(fired) >= 6, fired  # ... and the world makes most of them fire
