"""Entity-level relief as pure data: a mute zeroes one signal for the matching proofs and nothing else."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from review_rules.engine import RuleOutput, default_config, hard_hold, noisy_or, validate_config
from review_rules.registry import all_signals
from review_rules.relief import ALLOWLIST, LINKAGE_SIGNALS, MUTE_COLUMNS, apply_mutes, empty_mutes


def _output() -> RuleOutput:
    index = pd.Index(["p1", "p2", "p3"], name="proof_id")
    scores = pd.DataFrame({"device.shared_fingerprint": [0.9, 0.9, 0.0], "ip.hosting_asn": [0.5, 0.0, 0.5],
                           "content.screenshot_reuse": [0.0, 0.0, 1.0]}, index=index)
    features = pd.DataFrame({"fp_accounts": [4.0, 4.0, 1.0], "hosting": [1.0, 0.0, 1.0]}, index=index)
    reasons = pd.Series([
        [{"code": "device.shared_fingerprint", "score": 0.9, "reason": "fp on 4 accounts"},
         {"code": "ip.hosting_asn", "score": 0.5, "reason": "cloud"}],
        [{"code": "device.shared_fingerprint", "score": 0.9, "reason": "fp on 4 accounts"}],
        [{"code": "content.screenshot_reuse", "score": 1.0, "reason": "file paid"},
         {"code": "ip.hosting_asn", "score": 0.5, "reason": "cloud"}]], index=index, dtype=object)
    checked = validate_config(default_config())
    return RuleOutput(scores, features, reasons, noisy_or(scores, checked), hard_hold(scores, checked),
                      owners={"fp_accounts": "device.shared_fingerprint", "hosting": "ip.hosting_asn"})


PROOFS = pd.DataFrame({"proof_id": ["p1", "p2", "p3"], "worker_id": ["w1", "w2", "w3"],
                       "ip_hash": ["ipA", "ipB", "ipA"], "device_fp_hash": ["fp1", "fp1", None],
                       "campaign_id": ["c1", "c1", "c2"]})


def _mutes(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(MUTE_COLUMNS), dtype=object)


def test_a_muted_signal_no_longer_counts_for_that_worker_only():
    output = _output()
    relieved = apply_mutes(output, PROOFS, _mutes((7, "device.shared_fingerprint", "worker", "w1")), default_config())
    assert relieved.scores.at["p1", "device.shared_fingerprint"] == 0.0
    assert relieved.scores.at["p2", "device.shared_fingerprint"] == 0.9  # another worker on the same device
    assert relieved.rule_score["p1"] < output.rule_score["p1"]
    assert relieved.rule_score["p2"] == output.rule_score["p2"] and relieved.rule_score["p3"] == output.rule_score["p3"]
    expected = 1 - (1 - 0.5 * default_config()["signals"]["ip.hosting_asn"]["weight"])
    assert relieved.rule_score["p1"] == pytest.approx(expected)
    assert np.isnan(relieved.features.at["p1", "fp_accounts"]) and relieved.features.at["p2", "fp_accounts"] == 4.0
    codes = [(e["code"], e.get("muted")) for e in relieved.reasons["p1"]]
    assert codes == [("ip.hosting_asn", None), ("device.shared_fingerprint", 7)]  # muted last, with its mute
    assert relieved.reasons["p1"][-1]["muted_score"] == 0.9 and relieved.reasons["p1"][-1]["score"] == 0.0
    assert output.scores.at["p1", "device.shared_fingerprint"] == 0.9  # the input is left alone


def test_a_mute_on_a_hard_rule_lifts_its_hold_for_that_address():
    output = _output()
    assert bool(output.hard_hold["p3"])
    relieved = apply_mutes(output, PROOFS, _mutes((1, "content.screenshot_reuse", "address", "ipA")), default_config())
    assert not bool(relieved.hard_hold["p3"])


def test_no_matching_mute_returns_the_output_itself():
    output = _output()
    assert apply_mutes(output, PROOFS, empty_mutes(), default_config()) is output
    assert apply_mutes(output, PROOFS, _mutes((1, "ip.hosting_asn", "worker", "w9")), default_config()) is output


def test_an_allowlisted_device_mutes_its_linkage_signals_not_the_rest():
    relieved = apply_mutes(_output(), PROOFS, _mutes((3, ALLOWLIST, "device", "fp1")), default_config())
    assert relieved.scores.loc[["p1", "p2"], "device.shared_fingerprint"].tolist() == [0.0, 0.0]
    assert relieved.scores.at["p1", "ip.hosting_asn"] == 0.5  # not a link through the device


def test_the_oldest_of_two_mutes_is_named():
    relieved = apply_mutes(_output(), PROOFS, _mutes((9, "ip.hosting_asn", "campaign", "c2"),
                                                     (4, "ip.hosting_asn", "address", "ipA")), default_config())
    assert [e.get("muted") for e in relieved.reasons["p3"] if e["code"] == "ip.hosting_asn"] == [4]


def test_linkage_lists_name_real_signals():
    codes = {spec.code for spec in all_signals()}
    for kind, listed in LINKAGE_SIGNALS.items():
        assert set(listed) <= codes, kind
