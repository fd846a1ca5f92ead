"""A fraud rejection re-scores the pending proofs of linked accounts, and becomes a training label."""
from __future__ import annotations

import sqlalchemy as sa

from app.review.services.decisions import decide
from app.scoring.jobs import enqueue_linked_rescore, rescore_linked
from app.scoring.services.feedback import linked_pending_proofs, linked_workers
from app.scoring.services.model_training import labelled_decisions
from models import Proof, ProofScore, db
from tests.factories import device
from tests.ml.worlds import honest_world

# w1-w2 share a fingerprint, w2-w3 a hardware canvas, w3-w4 an address; w5 and w6 stand alone.
# The linked four run emulators, so the rules keep their proofs in review (pending).
LINKS = {1: {"device": device(fingerprint="fp-1", canvas_hash="canvas1", emulator=True)},
         2: {"device": device(fingerprint="fp-1", canvas_hash="canvas2", emulator=True)},
         3: {"device": device(fingerprint="fp-3", canvas_hash="canvas2", emulator=True)},
         4: {"ip": "223.104.3.7", "device": device(fingerprint="fp-4", canvas_hash="canvas4", emulator=True)}}


def _import(runner, world) -> None:  # noqa: ANN001
    result = runner.invoke(args=["import", str(honest_world(world, links=LINKS).write())])
    assert result.exit_code == 0, result.output


def _scored_at() -> dict[str, object]:
    return dict(db.session.execute(sa.select(ProofScore.proof_id, ProofScore.scored_at)).all())


def test_links_follow_devices_hardware_and_addresses(runner, world):
    _import(runner, world)
    assert linked_workers("p1") == {"w1", "w2", "w3", "w4"}
    assert linked_workers("p1", max_hops=1) == {"w1", "w2"}
    assert linked_workers("p5") == {"w5"}
    pending = set(db.session.scalars(sa.select(Proof.id).where(Proof.state == "in_review")))
    assert pending == {"p1", "p2", "p3", "p4"}
    assert set(linked_pending_proofs("p1")) == pending
    assert linked_pending_proofs("p5") == []


def test_fraud_rejection_rescores_linked_pending_proofs_only(runner, world, staff):
    _import(runner, world)
    moderator = staff("moderator")
    before = _scored_at()
    decide(db.session.get(Proof, "p1"), "rejected", actor=moderator, reason_code="fraud_device_farm")
    db.session.commit()
    pending = set(linked_pending_proofs("p1"))
    assert pending == {"p2", "p3", "p4"}  # p1 is decided now
    assert enqueue_linked_rescore("p1", "fraud_device_farm") is None  # no Redis: ran in-process
    after = _scored_at()
    assert {pid for pid in after if after[pid] != before[pid]} == pending
    assert rescore_linked("p1") == len(pending)  # a retried job does the same again, no harm


def test_a_rejection_that_is_not_fraud_links_nobody(runner, world, staff):
    _import(runner, world)
    decide(db.session.get(Proof, "p1"), "rejected", actor=staff("moderator"), reason_code="incomplete_task")
    db.session.commit()
    before = _scored_at()
    assert enqueue_linked_rescore("p1", "incomplete_task") is None
    assert _scored_at() == before


def test_human_decisions_are_labels_and_policy_approvals_are_not(runner, world, staff):
    _import(runner, world)
    decide(db.session.get(Proof, "p2"), "rejected", actor=staff("moderator"), reason_code="fraud_ring")
    db.session.commit()
    labels = labelled_decisions().set_index("proof_id")["label"].to_dict()
    assert labels == {"p2": 1}  # the auto-approved proofs carry system decisions, never labels


def test_rejecting_from_the_queue_screen_rescores_the_ring(client, auth, runner, world, staff):
    _import(runner, world)
    staff("moderator")
    auth.login("moderator@example.test")
    before = _scored_at()
    response = client.post("/queue/proofs/p1/decide", data={"reject": "1", "reason_code": "fraud_device_farm"})
    assert response.status_code in (302, 303), response.data[:500]
    assert db.session.get(Proof, "p1").state == "rejected"
    after = _scored_at()
    assert {pid for pid in after if after[pid] != before[pid]} == {"p2", "p3", "p4"}
