"""The catalogue, config validation, the noisy-OR combination, reasons, hard holds and routing."""
from __future__ import annotations

import copy
import json
import pickle

import numpy as np
import pandas as pd
import pytest

from review_rules.combine import combine
from review_rules.engine import RuleConfigError, RuleOutput, default_config, evaluate, validate_config
from review_rules.params import ChoiceListParam, FloatParam, IntParam
from review_rules.registry import FAMILIES, all_signals, signal
from tests.review_rules.frames import T0, context, proof, run


def test_catalogue_covers_every_family_with_stable_codes() -> None:
    specs = all_signals()
    codes = [s.code for s in specs]
    assert len(codes) == len(set(codes)) >= 25
    assert {s.family for s in specs} == set(FAMILIES)
    for spec in specs:
        assert spec.code.split(".")[0] == spec.family
        assert spec.description and spec.title
        assert 0 <= spec.weight <= 1
        for param in spec.params:
            assert param.describe()["kind"] in ("int", "float", "bool", "choices")
            param.check(param.default, spec.code)  # every default is within its own bounds


def test_registering_a_code_twice_or_outside_a_family_fails() -> None:
    with pytest.raises(ValueError, match="family"):
        signal("weird.thing", title="x", weight=0.1)
    with pytest.raises(ValueError, match="twice"):
        signal("ip.hosting_asn", title="x", weight=0.1)(lambda frame, p: None)


def test_default_config_validates_to_itself() -> None:
    config = default_config()
    assert validate_config(config) == config


def test_a_checked_config_is_read_only_passed_on_as_is_and_copies_freely() -> None:
    checked = validate_config(default_config())
    assert validate_config(checked) is checked
    with pytest.raises(TypeError, match="read-only"):
        checked["signals"]["ip.hosting_asn"]["weight"] = 0.0
    with pytest.raises(TypeError, match="read-only"):
        checked["thresholds"].update(hold_at_or_above=0.1)
    editable = copy.deepcopy(checked)
    editable["signals"]["ip.hosting_asn"]["weight"] = 0.0
    assert checked["signals"]["ip.hosting_asn"]["weight"] > 0
    assert pickle.loads(pickle.dumps(checked)) == checked and json.loads(json.dumps(checked)) == checked


def test_missing_entries_are_filled_with_defaults() -> None:
    filled = validate_config({"signals": {"ip.hosting_asn": {"weight": 0.5}}})
    assert filled["signals"]["ip.hosting_asn"] == {"enabled": True, "weight": 0.5, "params": {}}
    assert filled["signals"]["device.shared_fingerprint"]["params"]["min_accounts"] == 3
    assert filled["thresholds"] == default_config()["thresholds"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c["signals"].update({"ip.nope": {}}), r"unknown signal code\(s\) \['ip.nope'\]"),
    (lambda c: c["signals"]["ip.tor_proxy"]["params"].update(proxy_score=2.0), r"ip.tor_proxy.params.proxy_score"),
    (lambda c: c["signals"]["device.shared_fingerprint"]["params"].update(min_accounts="3"),
     r"min_accounts: expected a number"),
    (lambda c: c["signals"]["device.shared_fingerprint"]["params"].update(min_accounts=2.5), r"whole number"),
    (lambda c: c["signals"]["device.shared_fingerprint"]["params"].update(color=1), r"unknown parameter"),
    (lambda c: c["signals"]["device.shared_fingerprint"]["params"].update(min_accounts=8, full_accounts=6),
     r"min_accounts \(8\) must be below full_accounts \(6\)"),
    (lambda c: c["signals"]["ip.hosting_asn"].update(weight=1.5), r"ip.hosting_asn.weight"),
    (lambda c: c["signals"]["ip.hosting_asn"].update(enabled="yes"), r"ip.hosting_asn.enabled"),
    (lambda c: c["signals"]["timing.outside_session"]["params"].update(live_actions=["dance"]), r"unknown choice"),
    (lambda c: c["thresholds"].update(auto_approve_below=0.9, hold_at_or_above=0.5), r"must not exceed"),
    (lambda c: c["hard_hold"].update({"ip.nope": 1.0}), r"hard_hold: unknown signal"),
    (lambda c: c.update(extra={}), r"unknown section"),
    (lambda c: c["context"].update(history_days=0), r"context.history_days"),
])
def test_bad_configs_name_the_signal_and_parameter(change, message: str) -> None:  # noqa: ANN001
    config = default_config()
    change(config)
    with pytest.raises(RuleConfigError, match=message):
        validate_config(config)


def test_param_types() -> None:
    assert IntParam("n", 3, minimum=1, maximum=5).check(4.0, "x") == 4
    assert FloatParam("f", 0.5).check(1, "x") == 1.0
    with pytest.raises(RuleConfigError):
        FloatParam("f", 0.5).check(True, "x")
    assert ChoiceListParam("a", ["b"], choices=("a", "b")).check(["b", "a"], "x") == ["a", "b"]


def test_noisy_or_of_weighted_scores() -> None:
    row = proof(1, ip_asn_name="AMAZON-02", ip_country="JP", device_webdriver=True)
    config = default_config()
    output = evaluate(context([row]), config)
    fired = output.scores.loc["p1"]
    fired = fired[fired > 0]
    expected = 1 - np.prod([1 - config["signals"][c]["weight"] * s for c, s in fired.items()])
    assert set(fired.index) == {"ip.hosting_asn", "device.automation"}
    assert output.rule_score["p1"] == pytest.approx(expected)


def test_reasons_strongest_first_and_only_for_fired_signals() -> None:
    output = run([proof(1, ip_asn_name="AMAZON-02", ip_country="JP", device_webdriver=True)])
    reasons = output.reasons["p1"]
    assert [r["code"] for r in reasons] == ["device.automation", "ip.hosting_asn"]
    assert "AMAZON-02" in reasons[1]["reason"] and reasons[0]["score"] == 1.0


def test_disabled_signal_is_neither_scored_nor_combined() -> None:
    config = default_config()
    config["signals"]["device.automation"]["enabled"] = False
    output = evaluate(context([proof(1, device_webdriver=True)]), config)
    assert "device.automation" not in output.scores.columns
    assert output.rule_score["p1"] == 0.0


def test_only_targets_are_returned_but_history_counts() -> None:
    rows = [proof(i, device_fp_hash="shared", is_target=i == 0) for i in range(6)]
    output = run(rows)
    assert output.scores.index.tolist() == ["p0"]
    assert output.scores.loc["p0", "device.shared_fingerprint"] == 1.0
    assert list(output.features.index) == ["p0"] and list(output.reasons.index) == ["p0"]


def test_empty_context() -> None:
    output = evaluate(context([proof(1, is_target=False)]), default_config())
    assert output.scores.empty and output.rule_score.empty


def test_evaluate_does_not_modify_the_config() -> None:
    config = default_config()
    before = copy.deepcopy(config)
    evaluate(context([proof(1)]), config)
    assert config == before


def _output(rule: list[float], hard: list[bool]) -> RuleOutput:
    index = pd.Index([f"p{i}" for i in range(len(rule))], name="proof_id")
    return RuleOutput(pd.DataFrame(index=index), pd.DataFrame(index=index), pd.Series([[]] * len(rule), index=index),
                      pd.Series(rule, index=index), pd.Series(hard, index=index))


def test_routes_from_thresholds_and_hard_hold() -> None:
    combined = combine(_output([0.1, 0.5, 0.9, 0.1], [False, False, False, True]), None, default_config())
    assert combined["route"].tolist() == ["auto_approve", "review", "hold", "hold"]
    assert combined["risk_score"].tolist() == [0.1, 0.5, 0.9, 0.1]
    assert combined["model_score"].isna().all()


def test_degraded_scores_never_auto_approve() -> None:
    combined = combine(_output([0.05], [False]), None, default_config(), degraded=True)
    assert combined["route"].tolist() == ["review"] and bool(combined["degraded"].iloc[0])


def test_model_score_blends_with_rules() -> None:
    config = default_config()
    model = pd.Series([0.9, np.nan], index=pd.Index(["p0", "p1"], name="proof_id"))
    combined = combine(_output([0.1, 0.4], [False, False]), model, config)
    weight = config["combine"]["model_weight"]
    assert combined.loc["p0", "risk_score"] == pytest.approx(weight * 0.9 + (1 - weight) * 0.1)
    assert combined.loc["p1", "risk_score"] == pytest.approx(0.4)  # unscored by the model: rules alone


def test_features_are_numeric_and_aligned() -> None:
    output = run([proof(i, at=T0 + pd.Timedelta(hours=i)) for i in range(4)])
    assert output.features.index.equals(output.scores.index)
    assert all(pd.api.types.is_numeric_dtype(t) for t in output.features.dtypes)


def test_factorize_treats_blank_text_as_missing() -> None:
    from review_rules.groups import factorize

    assert factorize(pd.Series(["a", "", " ", None, "a"])).tolist() == [0, -1, -1, -1, 0]
    assert factorize(pd.Series(["a", 3, "", None], dtype=object)).tolist() == [0, 1, -1, -1]
    assert factorize(pd.Series([1.0, None, 2.0], dtype=object)).tolist() == [0, -1, 1]
