"""Option validation: a bad option is refused with its name in the message."""

from __future__ import annotations

from datetime import datetime

import pytest

from scripts.simulate import PATTERNS, SimulationOptions, generate_world


@pytest.mark.parametrize(("field", "value"), [
    ("seed", -1), ("seed", 1.5), ("workers", 10), ("workers", "many"), ("campaigns", 0), ("proofs", 0),
    ("days", 0), ("fraud_rate", 1.2), ("fraud_rate", -0.1), ("labelled_share", 1.5), ("label_noise", 0.7),
    ("patterns", ("device_farm", "no_such_pattern")), ("patterns", "device_farm"),
    ("patterns", ("lockstep", "lockstep")), ("holdout_pattern", "no_such_pattern"),
    ("start", datetime(2026, 9, 1)), ("workers", True),
])
def test_bad_option_is_named(field, value):
    with pytest.raises(ValueError, match=field):
        SimulationOptions(**{field: value})


def test_options_changed_after_construction_are_checked_again(tmp_path):
    options = SimulationOptions()
    object.__setattr__(options, "proofs", 0)
    with pytest.raises(ValueError, match="proofs"):
        generate_world(tmp_path / "w", options)
    assert not (tmp_path / "w").exists()


def test_holdout_must_be_a_selected_pattern():
    with pytest.raises(ValueError, match="holdout_pattern"):
        SimulationOptions(patterns=("device_farm",), holdout_pattern="lockstep")


def test_fraud_needs_a_pattern():
    with pytest.raises(ValueError, match="patterns"):
        SimulationOptions(patterns=())


def test_defaults_are_valid():
    options = SimulationOptions().validate()
    assert options.patterns == PATTERNS and options.start.utcoffset() is not None
    assert (options.seed, options.workers, options.campaigns, options.proofs) == (7, 1500, 40, 10_000)
