"""Evaluate every enabled signal over a scoring context and combine them into a rule score.

rule_score = 1 - prod_i (1 - weight_i * score_i)   (noisy-OR over enabled signals)

Each signal is independent evidence that the proof is fraudulent with probability
weight * score; the combination is high when any strong signal fires, and several weak ones
add up without ever exceeding 1. A hard rule (config `hard_hold`: code -> minimum score)
forces the route `hold` whatever the combined score or a model says.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from review_rules.context import ScoringContext
from review_rules.frame import ProofFrame
from review_rules.params import RuleConfigError, check_params
from review_rules.reasons import stated
from review_rules.registry import SignalResult, SignalSpec, all_signals
from review_rules.rows import RowSlice

__all__ = ["CheckedConfig", "RuleConfigError", "RuleOutput", "default_config", "evaluate", "evaluate_many",
           "validate_config"]

DEFAULT_THRESHOLDS = {"auto_approve_below": 0.3, "hold_at_or_above": 0.75}
DEFAULT_HARD_HOLD = {"content.screenshot_reuse": 1.0}
# How much history the database loader (app/scoring/services/context.py) brings for each target.
# Every lookup is capped per target proof (newest rows first), so one busy key cannot flood a context.
DEFAULT_CONTEXT = {"history_days": 30, "network_days": 3, "campaign_window_hours": 1,
                   "account_rows_per_proof": 150, "shared_rows_per_proof": 150, "network_rows_per_proof": 200,
                   "campaign_rows_per_proof": 150, "linked_workers_per_proof": 20, "linked_history_days": 7,
                   "linked_rows_per_account": 15}
CONTEXT_BOUNDS = {"history_days": (1, 365), "network_days": (1, 60), "campaign_window_hours": (0, 72),
                  "account_rows_per_proof": (10, 100_000), "shared_rows_per_proof": (10, 100_000),
                  "network_rows_per_proof": (10, 100_000), "campaign_rows_per_proof": (10, 100_000),
                  "linked_workers_per_proof": (0, 10_000), "linked_history_days": (1, 365),
                  "linked_rows_per_account": (1, 100_000)}
DEFAULT_COMBINE = {"model_weight": 0.7}


@dataclass
class RuleOutput:
    """Everything the rules say about the target proofs (all indexed by proof_id)."""

    scores: pd.DataFrame  # one float column per enabled signal code, in [0, 1]
    features: pd.DataFrame  # numeric evidence behind the signals
    reasons: pd.Series  # list[dict(code, score, reason)] of fired signals, strongest first
    rule_score: pd.Series  # noisy-OR combination in [0, 1]
    hard_hold: pd.Series  # bool: a hard rule forces `hold`
    owners: dict[str, str] = field(default_factory=dict)  # feature name -> code of the signal that emitted it


def default_config() -> dict:
    """Every registered signal enabled with its default weight and parameters."""
    return {
        "signals": {spec.code: {"enabled": True, "weight": spec.weight,
                                "params": {p.name: p.default for p in spec.params}} for spec in all_signals()},
        "thresholds": dict(DEFAULT_THRESHOLDS),
        "hard_hold": dict(DEFAULT_HARD_HOLD),
        "context": dict(DEFAULT_CONTEXT),
        "combine": dict(DEFAULT_COMBINE),
    }


class CheckedConfig(dict):
    """A config `validate_config` produced: complete, checked, and every mapping in it read-only,
    so passing it on (rules, combination) needs no second check."""

    def _read_only(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("a checked rule config is read-only; change a copy and validate it again")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _read_only

    def __copy__(self) -> dict:
        return dict(self)

    def __deepcopy__(self, memo: dict) -> dict:
        return {key: copy.deepcopy(value, memo) for key, value in self.items()}

    def __reduce__(self) -> tuple:
        return (_checked, (dict(self),))


def _checked(value: Any) -> Any:
    return CheckedConfig({k: _checked(v) for k, v in value.items()}) if isinstance(value, dict) else value


def validate_config(config: dict) -> CheckedConfig:
    """A complete, checked, read-only copy of `config`; RuleConfigError names the first bad entry.

    Signals missing from the config (added to the catalogue later) get their defaults; an
    unknown signal code or parameter is an error, so a typo never silently disables a rule.
    A config that already is a CheckedConfig is returned as it is.
    """
    if isinstance(config, CheckedConfig):
        return config
    if not isinstance(config, dict):
        raise RuleConfigError("config: expected an object")
    unknown = sorted(set(config) - {"signals", "thresholds", "hard_hold", "context", "combine", "learned"})
    if unknown:
        raise RuleConfigError(f"config: unknown section(s) {unknown}")
    specs = {spec.code: spec for spec in all_signals()}
    given = config.get("signals") or {}
    if not isinstance(given, dict):
        raise RuleConfigError("signals: expected an object keyed by signal code")
    strange = sorted(set(given) - set(specs))
    if strange:
        raise RuleConfigError(f"signals: unknown signal code(s) {strange}")
    signals = {code: _check_signal(spec, given.get(code)) for code, spec in specs.items()}
    learned = config.get("learned")
    if learned is not None and not isinstance(learned, dict):
        raise RuleConfigError("learned: expected an object (what the weights were learned from)")
    return _checked({
        **({"learned": copy.deepcopy(learned)} if learned is not None else {}),
        "signals": signals,
        "thresholds": _check_thresholds(config.get("thresholds")),
        "hard_hold": _check_hard_hold(config.get("hard_hold", DEFAULT_HARD_HOLD), specs),
        "context": _check_numbers("context", config.get("context"), DEFAULT_CONTEXT, CONTEXT_BOUNDS),
        "combine": _check_numbers("combine", config.get("combine"), DEFAULT_COMBINE, {"model_weight": (0, 1)}),
    })


def _check_signal(spec: SignalSpec, entry: Any) -> dict:
    where = f"signals.{spec.code}"
    entry = {} if entry is None else entry
    if not isinstance(entry, dict):
        raise RuleConfigError(f"{where}: expected an object with enabled, weight, params")
    extra = sorted(set(entry) - {"enabled", "weight", "params"})
    if extra:
        raise RuleConfigError(f"{where}: unknown key(s) {extra}")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RuleConfigError(stated("%(where)s.enabled: expected true or false, got %(value)s", where=where,
                                     value=repr(enabled)))
    weight = entry.get("weight", spec.weight)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0.0 <= weight <= 1.0:
        raise RuleConfigError(stated("%(where)s.weight: expected a number in [0, 1], got %(value)s", where=where,
                                     value=repr(weight)))
    params = check_params(spec.params, entry.get("params"), where, spec.order)
    return {"enabled": enabled, "weight": float(weight), "params": params}


def _check_thresholds(given: Any) -> dict:
    values = _check_numbers("thresholds", given, DEFAULT_THRESHOLDS,
                            {k: (0, 1) for k in DEFAULT_THRESHOLDS})
    if not values["auto_approve_below"] <= values["hold_at_or_above"]:
        raise RuleConfigError(stated("thresholds: auto_approve_below must not exceed hold_at_or_above"))
    return values


def _check_hard_hold(given: Any, specs: dict[str, SignalSpec]) -> dict:
    if not isinstance(given, dict):
        raise RuleConfigError("hard_hold: expected an object signal code -> minimum score")
    out = {}
    for code, minimum in given.items():
        if code not in specs:
            raise RuleConfigError(f"hard_hold: unknown signal code {code!r}")
        if isinstance(minimum, bool) or not isinstance(minimum, (int, float)) or not 0 < minimum <= 1:
            raise RuleConfigError(f"hard_hold.{code}: expected a minimum score in (0, 1], got {minimum!r}")
        out[code] = float(minimum)
    return out


def _check_numbers(section: str, given: Any, defaults: dict, bounds: dict) -> dict:
    given = {} if given is None else given
    if not isinstance(given, dict):
        raise RuleConfigError(f"{section}: expected an object")
    extra = sorted(set(given) - set(defaults))
    if extra:
        raise RuleConfigError(f"{section}: unknown key(s) {extra}")
    out = {}
    for key, default in defaults.items():
        value = given.get(key, default)
        low, high = bounds[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            where = f"{section}.{key}"
            raise RuleConfigError(stated("%(where)s: expected a number in [%(low)s, %(high)s], got %(value)s",
                                         where=where, low=low, high=high, value=repr(value)))
        out[key] = type(default)(value)
    return out


def evaluate(context: ScoringContext, config: dict, rows: RowSlice | None = None) -> RuleOutput:
    """Run every enabled signal over the context; results for the target proofs only."""
    return evaluate_many(context, [config], rows)[0]


def evaluate_many(context: ScoringContext, configs: list[dict], rows: RowSlice | None = None,
                  explain: bool = True) -> list[RuleOutput]:
    """`evaluate` for several configs over one context: a signal whose parameters two configs share
    is computed once (a draft usually differs from the active version in a few signals), and so is
    everything the signals share (ProofFrame.memo). `rows`: the row cache of a larger frame the
    context's proofs come from (review_rules.rows). `explain` False: no reason texts (every proof's
    reasons an empty list), for callers that read only scores, features and the combination (a
    backtest): writing a sentence per fired signal and proof is a good part of a large run."""
    checked = [validate_config(config) for config in configs]  # complete and read-only
    frame = ProofFrame(context, rows)
    targets = np.flatnonzero(frame.target)
    index = pd.Index(frame.ids[targets], name="proof_id")
    computed: dict[tuple[str, str], tuple] = {}  # (code, params) -> (score, features, hit, reasons)
    outputs = []
    for config in checked:
        scores: dict[str, np.ndarray] = {}
        features: dict[str, np.ndarray] = {}
        owners: dict[str, str] = {}  # feature -> the signal that emitted it (relief mutes both together)
        # (positions, code, scores, weight, reasons) of each signal that fired
        fired: list[tuple[np.ndarray, str, np.ndarray, float, list[str]]] = []
        for spec in all_signals():
            entry = config["signals"][spec.code]
            if not entry["enabled"]:
                continue
            key = (spec.code, json.dumps(entry["params"], sort_keys=True, default=str))
            if key not in computed:
                computed[key] = _run(spec, frame, entry["params"], targets, explain)
            score, emitted, hit, reasons = computed[key]
            scores[spec.code] = score
            for name, values in emitted.items():
                if name in features:
                    raise ValueError(f"feature {name!r} emitted twice (second time by {spec.code})")
                features[name] = values
                owners[name] = spec.code
            if len(hit):
                fired.append((hit, spec.code, score[hit], entry["weight"], reasons))
        score_frame = _float_frame(scores, index)
        outputs.append(RuleOutput(
            scores=score_frame,
            features=_float_frame(features, index),
            reasons=_reasons(fired, index) if explain else pd.Series([[] for _ in range(len(index))], index=index,
                                                                   name="reasons", dtype=object),
            rule_score=noisy_or(score_frame, config),
            hard_hold=hard_hold(score_frame, config),
            owners=owners,
        ))
    return outputs


def _run(spec: SignalSpec, frame: ProofFrame, params: dict, targets: np.ndarray, explain: bool = True) -> tuple:
    """One signal on the target rows: (score, features, positions where it fired, their reasons)."""
    result = _row_local(spec, frame, params) if spec.row_local and frame.rows is not None else \
        spec.compute(frame, params)
    score = np.asarray(result.score, dtype=float)[targets]  # a copy: the signal's array is left alone
    score[np.isnan(score)] = 0.0
    np.clip(score, 0.0, 1.0, out=score)
    features = {name: np.asarray(values, dtype=float)[targets] for name, values in result.features.items()}
    hit = np.flatnonzero(score > 0)
    return score, features, hit, result.explain(targets[hit]) if len(hit) and explain else []


def _row_local(spec: SignalSpec, frame: ProofFrame, params: dict) -> SignalResult:
    """A row-local signal on a chunk of a larger frame: computed once over the larger frame (its row
    cache), the chunk's rows taken from it; each row's result is the one the chunk would compute."""
    rows = frame.rows
    key = ("row_local", spec.code, json.dumps(params, sort_keys=True, default=str))
    whole = rows.cache.values(key, lambda proofs: spec.compute(ProofFrame(
        ScoringContext(proofs, frame.context.sessions, frame.context.decisions, frame.context.now),
        RowSlice(rows.cache, np.arange(len(proofs)))), params))
    at = rows.positions
    return SignalResult(np.asarray(whole.score)[at], lambda chosen: whole.explain(at[chosen]),
                        {name: np.asarray(values)[at] for name, values in whole.features.items()})


def _float_frame(columns: dict[str, np.ndarray], index: pd.Index) -> pd.DataFrame:
    """Float columns as one block: building a frame column by column costs more than a small batch's scoring."""
    values = np.column_stack(list(columns.values())) if columns else np.zeros((len(index), 0))
    return pd.DataFrame(values, index=index, columns=list(columns))


def noisy_or(scores: pd.DataFrame, config: dict) -> pd.Series:
    """The rule score of signal scores (module docstring); `config` checked."""
    weights = np.array([config["signals"][code]["weight"] for code in scores.columns], dtype=float)
    keep = np.prod(1.0 - scores.to_numpy(dtype=float) * weights, axis=1) if len(scores.columns) else \
        np.ones(len(scores))
    return pd.Series(np.clip(1.0 - keep, 0.0, 1.0), index=scores.index, name="rule_score")


def hard_hold(scores: pd.DataFrame, config: dict) -> pd.Series:
    """True where a hard rule's signal reached its minimum; `config` checked."""
    hold = np.zeros(len(scores), dtype=bool)
    for code, minimum in config["hard_hold"].items():
        if code in scores.columns:
            hold |= scores[code].to_numpy() >= minimum - 1e-9
    return pd.Series(hold, index=scores.index, name="hard_hold")


def _reasons(fired: list[tuple[np.ndarray, str, np.ndarray, float, list[str]]], index: pd.Index) -> pd.Series:
    out: list[list[dict]] = [[] for _ in range(len(index))]
    if fired:
        positions = np.concatenate([hit for hit, *_ in fired])
        scores = np.concatenate([score for _, _, score, _, _ in fired])
        strengths = np.concatenate([score * weight for _, _, score, weight, _ in fired])
        codes = [code for hit, code, *_ in fired for _ in range(len(hit))]
        reasons = [reason for *_, texts in fired for reason in texts]
        # by proof, strongest first; ties keep catalogue order (a stable sort over the fired order)
        order = np.lexsort((-strengths, positions))
        for k, pos, score in zip(order.tolist(), positions[order].tolist(), scores[order].tolist(), strict=True):
            out[pos].append({"code": codes[k], "score": round(score, 3), "reason": reasons[k]})
    return pd.Series(out, index=index, name="reasons", dtype=object)
