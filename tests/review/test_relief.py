"""Relief from the proof page: a moderator mutes one of the proof's signals for its worker (or device,
address, campaign); the entity's waiting proofs are rescored without it and the page says why."""
from __future__ import annotations

import re

import flask_babel
import pytest
import sqlalchemy as sa

from models import AuditEvent, ProofScore, SignalMute, db
from tests import factories as f

FP = "device.shared_fingerprint"


@pytest.fixture()
def farm(runner, world):  # noqa: ANN001, ANN201
    """Four accounts on one handset, scored and waiting in the queue."""
    world.basic(proofs=0).add("workers", *(f.worker(id=f"w{i}", phone=f"+86138001380{i:02d}") for i in range(1, 5)))
    world.add("proofs", *(f.proof(id=f"p{i}", worker_id=f"w{i}", ip=f"117.136.{i}.1", screenshot_sha256=f"{i:064x}",
                                  comment_text=f"打卡{i}", device=f.device(fingerprint="fp-farm"))
                          for i in range(1, 5)))
    result = runner.invoke(args=["import", str(world.write())])
    assert result.exit_code == 0, result.output
    assert all(FP in s.reasons.split(";") for s in db.session.scalars(sa.select(ProofScore)))


def _csrf(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
    return found.group(1).decode() if found else ""


def test_a_moderator_mutes_a_signal_for_the_worker_from_the_proof_page(client, login, farm):
    moderator = login("moderator")
    page = client.get("/queue/proofs/p1")
    html = page.data.decode()
    assert 'id="relief-form"' in html and f'<option value="{FP}">' in html and 'value="*"' in html
    done = client.post("/queue/proofs/p1/relieve", data={
        "csrf_token": _csrf(page.data), "signal_code": FP, "entity_kind": "worker", "hours": "72",
        "reason": "w1 shares the family phone with w2"})
    assert done.status_code == 302 and "/queue/proofs/p1" in done.location
    mute = db.session.scalar(sa.select(SignalMute))
    assert (mute.signal_code, mute.entity_kind, mute.entity_value, mute.created_by) == (FP, "worker", "w1",
                                                                                     moderator.id)
    db.session.expire_all()
    p1, p2 = db.session.get(ProofScore, "p1"), db.session.get(ProofScore, "p2")
    assert FP not in p1.reasons.split(";") and [s.get("muted") for s in p1.signals if s["code"] == FP] == [mute.id]
    assert FP in p2.reasons.split(";")  # another worker on the same handset still counts it
    shown = client.get("/queue/proofs/p1").data.decode()
    assert f"muted by relief #{mute.id}" in shown and f'id="mute-{mute.id}"' in shown
    assert "1 waiting proof(s) sent for rescoring" in shown
    assert f'<option value="{FP}">' not in shown  # already relieved: no longer offered
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "relief.muted"))
    assert event.actor_id == moderator.id and event.data["source_proof"] == "p1"


def test_a_relief_without_a_reason_or_for_a_signal_the_proof_lacks_is_refused(client, login, farm):
    login("moderator")
    page = client.get("/queue/proofs/p1")
    no_reason = client.post("/queue/proofs/p1/relieve", data={
        "csrf_token": _csrf(page.data), "signal_code": FP, "entity_kind": "worker", "hours": "24", "reason": ""})
    assert no_reason.status_code == 422
    foreign = client.post("/queue/proofs/p1/relieve", data={
        "csrf_token": _csrf(page.data), "signal_code": "ip.tor_proxy", "entity_kind": "worker", "hours": "24",
        "reason": "r"})
    assert foreign.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignalMute)) == 0


def test_a_device_allowlist_relieves_every_account_on_it(client, login, farm):
    login("senior_moderator")
    page = client.get("/queue/proofs/p3")
    client.post("/queue/proofs/p3/relieve", data={"csrf_token": _csrf(page.data), "signal_code": "*",
                                                  "entity_kind": "device", "hours": "24", "reason": "shop tablet"})
    db.session.expire_all()
    assert all(FP not in s.reasons.split(";") for s in db.session.scalars(sa.select(ProofScore)))
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.object_type == "signal_mute")) \
        == "relief.allowlisted"


def test_the_relief_box_reads_in_chinese(app, client, login, farm):
    login("moderator")
    page = client.get("/queue/proofs/p1")
    client.post("/queue/proofs/p1/relieve", data={"csrf_token": _csrf(page.data), "signal_code": FP,
                                                  "entity_kind": "worker", "hours": "4", "reason": "家人共用手机"})
    assert client.post("/preferences/language", data={"locale": "zh_CN", "next": "/queue/"}).status_code == 302
    flask_babel.refresh()
    app.extensions["i18n_missing"].clear()
    shown = client.get("/queue/proofs/p1").data.decode()
    assert "已被豁免 #1 屏蔽" in shown and "豁免" in shown
    assert not app.extensions["i18n_missing"], sorted(app.extensions["i18n_missing"])
