"""Screening fixtures: a small imported world with honest and deceptive campaigns, signed-in staff."""
from __future__ import annotations

import pytest

from tests import factories as f

DECEPTIVE_BRIEF = "评论请用我们提供的文案，好评后联系客服领红包，不要说是任务。"


@pytest.fixture()
def screened_world(runner, world):
    """Import c1 (honest), c2 (deceptive brief) with a proof each; returns the import output."""

    def load(extra_campaigns: tuple[dict, ...] = ()) -> str:
        world.add("brands", f.brand()).add("rooms", f.room()).add("sessions", f.session())
        world.add("campaigns", f.campaign(), f.campaign(id="c2", brief=DECEPTIVE_BRIEF), *extra_campaigns)
        world.add("workers", f.worker(), f.worker(id="w2", phone="+8613800138002"))
        world.add("proofs", f.proof(), f.proof(id="p2", campaign_id="c2", worker_id="w2", ip="223.104.3.78",
                                               device=f.device(fingerprint="fp-2")))
        result = runner.invoke(args=["import", str(world.write()), "--no-score"])
        assert result.exit_code == 0, result.output
        return result.output

    return load

