"""Route thresholds chosen on the validation window, and the novelty floor with its budget."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.novelty import SignalCoverage, novel_mask
from ml.operating import OperatingTarget, Validation, choose, cold_start
from ml.train import train
from review_rules.combine import blend, combine
from review_rules.engine import RuleOutput, default_config
from tests.ml.synthetic import FAST, labelled_set

CONFIG = default_config()
W = CONFIG["combine"]["model_weight"]
RULES = CONFIG["thresholds"]


def window(n_honest: int = 4000, n_fraud: int = 1000, seed: int = 1, days: float = 7.0,
           support: np.ndarray | None = None, rule: np.ndarray | None = None) -> Validation:
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(n_honest, int), np.ones(n_fraud, int)]
    model = np.r_[rng.beta(1, 12, n_honest), rng.beta(6, 2, n_fraud)]
    rule = rule if rule is not None else np.r_[rng.uniform(0, 0.5, n_honest), rng.uniform(0.2, 0.7, n_fraud)]
    return Validation(labels=y, model=model, rule=rule, hard=np.zeros(len(y), bool),
                      support=support if support is not None else np.full(len(y), 1000), days=days)


def routed(w: Validation, point: dict) -> np.ndarray:
    risk = blend(w.rule, w.model, W)
    return w.hard | (w.rule >= RULES["hold_at_or_above"]) | (risk >= point["auto_approve_below"])


@pytest.mark.parametrize("share", [0.01, 0.02, 0.05])
def test_auto_approve_threshold_sends_at_most_the_target_share_of_honest_proofs(share):
    w = window()
    point = choose(w, CONFIG, OperatingTarget(honest_share=share, novelty_budget=0.0))
    honest = w.labels == 0
    person = routed(w, point)
    assert person[honest].mean() <= share + 1e-12
    assert point["validation"]["honest_routed"] == pytest.approx(person[honest].mean())
    assert point["validation"]["fraud_routed"] == pytest.approx(person[~honest].mean())
    # the lowest such threshold: one honest proof more would break the target
    risk = blend(w.rule, w.model, W)
    below = risk[honest & (risk < point["auto_approve_below"])].max()
    assert ((risk[honest] >= below).sum() + 0) > np.floor(share * honest.sum())
    assert point["auto_approve_below"] < point["hold_at_or_above"]


def test_a_wider_target_routes_more_fraud():
    w = window()
    tight = choose(w, CONFIG, OperatingTarget(honest_share=0.005))["validation"]["fraud_routed"]
    loose = choose(w, CONFIG, OperatingTarget(honest_share=0.05))["validation"]["fraud_routed"]
    assert loose > tight


def test_review_capacity_per_day_caps_the_routed_volume():
    w = window(days=10.0)
    free = choose(w, CONFIG, OperatingTarget(honest_share=0.05))
    capped = choose(w, CONFIG, OperatingTarget(honest_share=0.05, capacity_per_day=50))
    assert capped["auto_approve_below"] > free["auto_approve_below"]
    assert routed(w, capped).sum() <= 50 * 10
    assert capped["validation"]["routed_per_day"] <= 50


def test_proofs_the_rules_force_to_a_person_count_against_the_target():
    w = window()
    w.rule[:40] = 0.9  # 1% of the honest proofs: rules holds, a person sees them whatever the model says
    point = choose(w, CONFIG, OperatingTarget(honest_share=0.02, novelty_budget=0.0))
    assert routed(w, point)[w.labels == 0].mean() <= 0.02 + 1e-12
    assert point["validation"]["honest_forced_by_rules"] == pytest.approx(0.01)


def test_rules_that_spend_the_whole_target_still_leave_the_model_half_of_it():
    w = window()
    w.rule[:120] = 0.9  # 3% of the honest proofs are rules holds (or labelling mistakes)
    point = choose(w, CONFIG, OperatingTarget(honest_share=0.02, novelty_budget=0.0))
    honest = w.labels == 0
    risk = blend(w.rule, w.model, W)
    by_model = honest & ~(w.rule >= RULES["hold_at_or_above"]) & (risk >= point["auto_approve_below"])
    assert 0 < by_model.sum() <= 0.01 * honest.sum()
    assert point["auto_approve_below"] < risk[honest].max()  # not a threshold above every honest proof
    assert point["validation"]["honest_routed"] == pytest.approx(routed(w, point)[honest].mean())
    assert point["validation"]["fraud_routed"] > 0.5


def test_hold_threshold_keeps_holds_mostly_fraud():
    w = window()
    point = choose(w, CONFIG, OperatingTarget())
    risk = blend(w.rule, w.model, W)
    held = risk >= point["hold_at_or_above"]
    assert held.any() and w.labels[held].mean() >= 0.9


def test_novelty_floor_stays_within_its_budget_of_honest_proofs():
    rng = np.random.default_rng(3)
    n_honest, n_fraud = 4000, 1000
    support = rng.choice([0, 1, 5, 500], n_honest + n_fraud, p=[0.1, 0.05, 0.05, 0.8])
    w = window(n_honest, n_fraud, support=support)
    hidden = (w.labels == 1) & (support == 0)  # fraud the labels never showed: the model is silent on it
    w.model[hidden], w.rule[hidden] = 0.01, 0.5
    for budget in (0.0, 0.005, 0.02):
        point = choose(w, CONFIG, OperatingTarget(honest_share=0.02, novelty_budget=budget))
        nov = point["novelty"]
        assert nov["honest_added"] <= budget + 1e-12
        assert point["validation"]["honest_routed"] <= 0.02 + budget + 1e-12
    wide = choose(w, CONFIG, OperatingTarget(novelty_budget=0.05))
    narrow = choose(w, CONFIG, OperatingTarget(novelty_budget=0.001))
    assert wide["novelty"]["fraud_added"] >= narrow["novelty"]["fraud_added"]
    assert wide["validation"]["fraud_routed"] > choose(w, CONFIG, OperatingTarget(novelty_budget=0.0))[
        "validation"]["fraud_routed"]


def test_cold_start_keeps_the_rule_set_thresholds_and_says_so():
    point = cold_start(CONFIG)
    assert point["auto_approve_below"] == RULES["auto_approve_below"] and "cold start" in point["source"]


def test_coverage_counts_exact_combinations_and_new_signals_are_novel():
    train_scores = pd.DataFrame({"a": [1.0, 1.0, 0.0, 0.0, 0.1], "b": [0.0, 1.0, 1.0, 0.0, 0.0]})
    coverage = SignalCoverage.fit(train_scores)
    new = pd.DataFrame({"a": [1.0, 1.0, 0.0, 0.0, 0.0], "b": [0.0, 1.0, 0.0, 1.0, 0.0],
                        "c": [0.0, 0.0, 0.0, 0.0, 0.9]})
    # {a}: 1, {a,b}: 1, {}: 2 (a=0.1 is below FIRE_AT), {b}: 1, {c}: unknown signal -> 0
    assert coverage.support(new).tolist() == [1, 1, 2, 1, 0]
    mask = novel_mask(coverage, new, np.array([0.5, 0.1, 0.5, 0.5, 0.5]),
                      {"min_support": 2, "min_rule_score": 0.3})
    assert mask.tolist() == [True, False, False, True, True]
    assert not novel_mask(coverage, new, np.ones(5), {"min_support": 0}).any()


def _output(rule: list[float]) -> RuleOutput:
    index = pd.Index([f"p{i}" for i in range(len(rule))], name="proof_id")
    return RuleOutput(scores=pd.DataFrame(index=index), features=pd.DataFrame(index=index),
                      reasons=pd.Series([[] for _ in rule], index=index, dtype=object),
                      rule_score=pd.Series(rule, index=index), hard_hold=pd.Series([False] * len(rule), index=index))


def test_combine_routes_on_the_operating_point_and_lets_the_rules_reading_stand_where_novel():
    out = _output([0.1, 0.4, 0.4, 0.8])
    model = pd.Series([0.02, 0.02, 0.02, 0.02], index=out.rule_score.index)
    operating = {"auto_approve_below": 0.08, "hold_at_or_above": 0.5}
    plain = combine(out, model, CONFIG, operating=operating)
    risk = W * 0.02 + (1 - W) * np.array([0.1, 0.4, 0.4, 0.8])
    assert plain["risk_score"].tolist() == pytest.approx([risk[0], risk[1], risk[2], max(risk[3], 0.08)])
    assert plain["route"].tolist() == ["auto_approve", "review", "review", "review"]
    novel = combine(out, model, CONFIG, operating=operating, novel=np.array([True, True, False, True]))
    # rules alone: 0.1 approves, 0.4 reviews, 0.8 holds; where novel that reading stands
    assert novel["route"].tolist() == ["auto_approve", "review", "review", "hold"]
    assert novel["risk_score"].iloc[1] >= 0.08 and novel["risk_score"].iloc[3] >= 0.5
    cold = combine(out, None, CONFIG, operating=operating)
    assert cold["route"].tolist() == ["auto_approve", "review", "review", "hold"]  # rule set thresholds


def test_training_stores_the_operating_point_and_coverage_with_the_model():
    data = labelled_set(1200)
    data.signals = ("ip.hosting_asn",)
    rng = np.random.default_rng(0)
    data.rule_score = pd.Series(np.clip(0.3 * data.labels + rng.uniform(0, 0.4, len(data.labels)), 0, 1),
                                index=data.labels.index)
    data.hard_hold = pd.Series(False, index=data.labels.index)
    bundle = train(data, FAST, rule_config=CONFIG).bundle
    point = bundle.meta["operating_point"]
    assert 0 < point["auto_approve_below"] < point["hold_at_or_above"] <= 1
    assert point["validation"]["honest_routed"] <= 0.02 + 0.005 + 1e-12
    assert point["source"] == "validation window" and bundle.coverage is not None
    assert bundle.meta["novelty"]["training_rows"] == bundle.meta["data_window"]["fit"]["rows"] + \
        bundle.meta["data_window"]["calibration"]["rows"]
    assert "operating_point" not in train(data, FAST).bundle.meta  # no rule set given: rule thresholds stay
