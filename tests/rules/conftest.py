"""A labelled world for the operators' tests: honest proofs approved, a device farm's proofs rejected."""
from __future__ import annotations

import pytest

from tests import factories as f
from tests.ml.worlds import honest_world

HONEST, FARM = 8, 4
SINCE, UNTIL = "2026-10-01", "2026-10-02"


def farm_links(first: int, count: int) -> dict[int, dict]:
    """One data-centre address, one fingerprint, a scripted browser: the plainest fraud."""
    return {i: {"ip": "47.100.1.1", "comment_text": "好",
                "device": f.device(fingerprint="farm", canvas_hash="farm", webdriver=True, emulator=True)}
            for i in range(first, first + count)}


@pytest.fixture()
def labelled_world(runner, world):
    """p1..p8 honest and approved, p9..p12 from one device farm and rejected; scored by version 1."""
    honest_world(world, HONEST + FARM, links=farm_links(HONEST + 1, FARM))
    world.add("decisions", *(f.decision(proof_id=f"p{i}", decision="approved" if i <= HONEST else "rejected",
                                        reason="ok" if i <= HONEST else "fraud_device_farm")
                             for i in range(1, HONEST + FARM + 1)))
    result = runner.invoke(args=["import", str(world.write())])
    assert result.exit_code == 0, result.output
    return [f"p{i}" for i in range(1, HONEST + FARM + 1)]

