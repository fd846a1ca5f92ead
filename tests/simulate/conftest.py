"""A small simulated world shared by the simulator tests (generated once per module)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.simulate import SimulationOptions, generate_world

SMALL = SimulationOptions(seed=11, workers=400, campaigns=12, proofs=3000, days=14)


def read(directory: Path, name: str) -> list[dict]:
    """Every object of one JSON Lines file."""
    with open(directory / f"{name}.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """(directory, report) of a 3,000-proof world with every pattern."""
    out = tmp_path_factory.mktemp("world")
    return out, generate_world(out, SMALL)
