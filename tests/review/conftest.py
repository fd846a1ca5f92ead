"""Queue fixtures: a small imported world whose proofs are put into queues with chosen risk."""
from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture()
def imported(runner, world):
    """Import `n` proofs (p1..pn by workers w1..wn) of two campaigns and two brands, unscored."""

    def load(n: int = 6) -> list[str]:
        world.add("brands", f.brand(), f.brand(id="b2", name="Other Brand"))
        world.add("rooms", f.room()).add("sessions", f.session())
        world.add("campaigns", f.campaign(), f.campaign(id="c2", brand_id="b2"))
        world.add("workers", *(f.worker(id=f"w{i}", phone=f"+86138001380{i:02d}") for i in range(1, n + 1)))
        world.add("proofs", *(f.proof(id=f"p{i}", worker_id=f"w{i}", campaign_id="c1" if i % 2 else "c2",
                                      ip=f"223.104.3.{i}", device=f.device(fingerprint=f"fp-{i}"))
                              for i in range(1, n + 1)))
        result = runner.invoke(args=["import", str(world.write()), "--no-score"])
        assert result.exit_code == 0, result.output
        return [f"p{i}" for i in range(1, n + 1)]

    return load

