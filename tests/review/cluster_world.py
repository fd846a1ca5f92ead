"""A small world with one ring for the cluster, bulk and sanction tests.

w1, w2, w3 share a device fingerprint; w4 reuses w3's screenshot (two steps from w1); w6 posts
a near-copy of w1's comment on the same campaign; w5 shares w1's data-centre address (a gateway,
never a link); w7 shares nothing.
"""
from __future__ import annotations

from tests import factories as f

COMMENT = "这个口红颜色太好看了我已经下单了"


def ring_world(world) -> None:  # noqa: ANN001 - tests.factories.WorldBuilder
    world.add("brands", f.brand(), f.brand(id="b2", name="Other Brand"))
    world.add("rooms", f.room()).add("sessions", f.session())
    world.add("campaigns", f.campaign(reward_cents=300), f.campaign(id="c2", brand_id="b2", reward_cents=500))
    world.add("workers", *(f.worker(id=f"w{i}", phone=f"+86138001380{i:02d}") for i in range(1, 8)))
    spec = {  # worker: (ip, fingerprint, screenshot, comment)
        1: ("47.96.1.10", "fp-ring", "1", COMMENT),
        2: ("120.1.2.3", "fp-ring", "2", None),
        3: ("121.1.2.3", "fp-ring", "3", None),
        4: ("122.1.2.3", "fp-4", "3", None),
        5: ("47.96.1.10", "fp-5", "5", None),
        6: ("123.1.2.3", "fp-6", "6", COMMENT.replace("了我", "了!我")),
        7: ("124.1.2.3", "fp-7", "7", None),
    }
    proofs = []
    for i, (ip, fp, shot, comment) in spec.items():
        for n, campaign in enumerate(("c1", "c2")):
            proofs.append(f.proof(
                id=f"p{i}{'ab'[n]}", worker_id=f"w{i}", campaign_id=campaign, ip=ip, comment_text=comment,
                screenshot_sha256=shot * 64, submitted_at=f"2026-10-01T2{n}:0{i}:00+08:00",
                accepted_at=f"2026-10-01T2{n}:00:00+08:00", started_at=None,
                device=f.device(fingerprint=fp, canvas_hash=f"cv-{i}")))
    world.add("proofs", *proofs)
    world.add("decisions", f.decision(proof_id="p2b", decision="rejected", reason="fraud_device_farm"))
