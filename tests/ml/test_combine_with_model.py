"""The documented combination of rule score and model probability, and the routes it gives."""
from __future__ import annotations

import pandas as pd
import pytest

from review_rules.combine import combine
from review_rules.engine import RuleOutput, default_config

CONFIG = default_config()
W = CONFIG["combine"]["model_weight"]
AUTO, HOLD = CONFIG["thresholds"]["auto_approve_below"], CONFIG["thresholds"]["hold_at_or_above"]


def rule_output(rule: list[float], hard: list[bool] | None = None) -> RuleOutput:
    index = pd.Index([f"p{i}" for i in range(len(rule))], name="proof_id")
    return RuleOutput(scores=pd.DataFrame(index=index), features=pd.DataFrame(index=index),
                      reasons=pd.Series([[] for _ in rule], index=index, dtype=object),
                      rule_score=pd.Series(rule, index=index),
                      hard_hold=pd.Series(hard or [False] * len(rule), index=index))


@pytest.mark.parametrize(("rule", "model", "risk", "route"), [
    (0.1, 0.05, W * 0.05 + (1 - W) * 0.1, "auto_approve"),
    (0.1, 0.95, W * 0.95 + (1 - W) * 0.1, "review" if W * 0.95 + 0.03 < HOLD else "hold"),
    (0.5, 0.0, (1 - W) * 0.5, "auto_approve"),  # the model overrules a middling rule score
    (0.9, 0.0, AUTO, "review"),  # ...but not a rule score the rules alone would hold
    (0.9, 1.0, W + (1 - W) * 0.9, "hold"),
])
def test_model_and_rules_blend_with_a_floor_at_rule_hold(rule, model, risk, route):
    out = combine(rule_output([rule]), pd.Series([model], index=["p0"]), CONFIG)
    assert out["risk_score"].iloc[0] == pytest.approx(risk)
    assert out["route"].iloc[0] == route


def test_cold_start_is_the_rule_score():
    out = combine(rule_output([0.1, 0.5, 0.9]), None, CONFIG)
    assert out["risk_score"].tolist() == pytest.approx([0.1, 0.5, 0.9])
    assert out["model_score"].isna().all()


def test_hard_hold_wins_over_a_confident_model():
    out = combine(rule_output([0.2], hard=[True]), pd.Series([0.0], index=["p0"]), CONFIG)
    assert out["route"].tolist() == ["hold"]


def test_degraded_never_auto_approves():
    out = combine(rule_output([0.0, 0.1, 0.9]), None, CONFIG, degraded=True)
    assert "auto_approve" not in set(out["route"]) and out["degraded"].all()


def test_signals_the_model_never_saw_keep_the_rules_reading_as_a_floor():
    out = rule_output([0.4, 0.4])
    code = next(iter(CONFIG["signals"]))
    out.scores = pd.DataFrame({code: [1.0, 0.0]}, index=out.rule_score.index)
    model = pd.Series([0.0, 0.0], index=out.rule_score.index)
    seen = combine(out, model, CONFIG)
    unseen = combine(out, model, CONFIG, unseen=[code])
    weight = CONFIG["signals"][code]["weight"]
    assert seen["risk_score"].tolist() == pytest.approx([(1 - W) * 0.4] * 2)
    assert unseen["risk_score"].tolist() == pytest.approx([max((1 - W) * 0.4, weight), (1 - W) * 0.4])
