"""Signal weights earned on the labelled history; priors where labels are silent; hard evidence stays hard."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.weights import STRENGTH, learn_weights, with_learned_weights
from review_rules.engine import default_config, validate_config

CONFIG = default_config()


def frame(n: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.25).astype(int)
    index = pd.Index([f"p{i}" for i in range(n)], name="proof_id")
    scores = pd.DataFrame({
        "ip.shared_accounts": (rng.random(n) < np.where(y == 1, 0.1, 0.3)).astype(float),  # honest crowds
        "graph.ring": (rng.random(n) < np.where(y == 1, 0.6, 0.01)).astype(float),  # mostly fraud
        "graph.dormant_wake": np.r_[np.ones(3), np.zeros(n - 3)],  # the labels barely show it
        "device.automation": (rng.random(n) < np.where(y == 1, 0.05, 0.05)).astype(float),  # hard, uninformative
    }, index=index)
    return scores, pd.Series(y, index=index)


def test_weights_follow_the_labels_and_priors_hold_where_labels_are_silent():
    scores, labels = frame()
    learned = learn_weights(scores, labels, CONFIG)["signals"]
    prior = {code: CONFIG["signals"][code]["weight"] for code in scores}
    assert learned["ip.shared_accounts"]["weight"] < prior["ip.shared_accounts"] / 2
    assert learned["graph.ring"]["weight"] > prior["graph.ring"]
    rare = learned["graph.dormant_wake"]
    assert rare["fired"] == 3 and abs(rare["weight"] - prior["graph.dormant_wake"]) <= 3 / (3 + STRENGTH) + 1e-9
    assert learned["device.automation"]["hard"] and learned["device.automation"]["weight"] >= prior["device.automation"]
    fired = scores["graph.ring"] >= 0.2
    assert learned["graph.ring"]["rejected"] == int(labels[fired].sum())
    untouched = next(c for c in CONFIG["signals"] if c not in scores)
    assert learned[untouched]["weight"] == CONFIG["signals"][untouched]["weight"]


def test_learned_rule_set_records_its_window_and_validates():
    scores, labels = frame()
    times = pd.Series(pd.date_range("2026-09-01", periods=len(scores), freq="min", tz="UTC"), index=scores.index)
    learned = learn_weights(scores, labels, CONFIG, times)
    config = validate_config(with_learned_weights(CONFIG, learned, {"model_version": "m1"}))
    assert config["signals"]["graph.ring"]["weight"] == learned["signals"]["graph.ring"]["weight"]
    assert config["learned"]["window"] == {"from": times.min().isoformat(), "to": times.max().isoformat(),
                                           "rows": len(scores), "rejected": int(labels.sum())}
    assert config["learned"]["model_version"] == "m1"
    assert CONFIG["signals"]["graph.ring"]["weight"] != config["signals"]["graph.ring"]["weight"]  # a copy


def test_a_malformed_learned_section_is_refused():
    from review_rules.engine import RuleConfigError

    with pytest.raises(RuleConfigError, match="learned"):
        validate_config({**CONFIG, "learned": ["nope"]})


def test_the_novelty_floor_reads_the_rules_with_learned_weights():
    from ml.weights import learned_reading
    from review_rules.combine import combine
    from tests.ml.test_operating_point import _output

    scores, labels = frame()
    learned = learn_weights(scores, labels, CONFIG)
    probe = pd.DataFrame({"ip.shared_accounts": [1.0, 0.0], "graph.dormant_wake": [0.0, 1.0],
                          "device.automation": [0.0, 0.0], "graph.ring": [0.0, 0.0]}, index=["p0", "p1"])
    reading = learned_reading(probe, learned)
    weights = learned["signals"]
    assert reading == pytest.approx([weights["ip.shared_accounts"]["weight"], weights["graph.dormant_wake"]["weight"]])
    ring = pd.DataFrame({"graph.ring": [1.0]}, index=["p2"])  # learned above its prior: the reading keeps the prior
    assert weights["graph.ring"]["weight"] > weights["graph.ring"]["prior"]
    assert learned_reading(ring, learned) == pytest.approx([weights["graph.ring"]["prior"]])
    assert learned_reading(probe, None) is None
    out = _output([0.3, 0.3])  # the same rule score; the labels say the first is an honest crowd
    model = pd.Series([0.0, 0.0], index=out.rule_score.index)
    operating = {"auto_approve_below": 0.1, "hold_at_or_above": 0.5}
    routes = combine(out, model, CONFIG, operating=operating, novel=np.array([True, True]),
                     novel_reading=reading)["route"].tolist()
    assert routes == ["auto_approve", "review"]
