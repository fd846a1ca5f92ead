"""The operators' relief page and `flask relief`: create, list, lift, audited; the same mutes count in
"try on one proof"; a backtest's sampled proofs open the (read-only) evidence page."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.rules.services import versions
from models import AuditEvent, ProofScore, SignalMute, db
from tests.rules.test_pages import _csrf

FP = "device.shared_fingerprint"


@pytest.mark.parametrize("role", ["compliance", "moderator"])
def test_other_roles_get_403(client, login, role):
    login(role)
    assert client.get("/rules/relief/").status_code == 403
    assert client.post("/rules/relief/", data={"signal_code": FP}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignalMute)) == 0


def test_an_operator_mutes_a_device_from_a_proof_id_then_lifts_it(client, login, labelled_world):
    operator = login("operator")
    assert FP in db.session.get(ProofScore, "p10").reasons.split(";")
    page = client.get("/rules/relief/")
    made = client.post("/rules/relief/", data={
        "csrf_token": _csrf(page.data), "signal_code": FP, "entity_kind": "device", "entity": "p9", "hours": "24",
        "reason": "one shared family tablet"})
    assert made.status_code == 302
    mute = db.session.scalar(sa.select(SignalMute))
    assert (mute.entity_kind, mute.source_proof_id, mute.created_by) == ("device", "p9", operator.id)
    listing = client.get("/rules/relief/").data.decode()
    assert f'id="mute-{mute.id}"' in listing and "one shared family tablet" in listing
    assert "sent for rescoring" in listing
    # the farm's decided proofs keep their stored score; "try on one" counts the mute for every version
    tried = client.get("/rules/try?proof=p10&version=active").data.decode()
    assert tried.count(f"muted by relief #{mute.id}") == 2  # the active version and the one tried

    lifted = client.post(f"/rules/relief/{mute.id}/lift", data={"csrf_token": _csrf(page.data),
                                                                 "reason": "it is a farm after all"})
    assert lifted.status_code == 302
    assert f'id="mute-{mute.id}"' not in client.get("/rules/relief/").data.decode()
    assert f'id="mute-{mute.id}"' in client.get("/rules/relief/?state=lifted").data.decode()
    actions = list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "signal_mute")
                                      .order_by(AuditEvent.id)))
    assert actions == ["relief.muted", "relief.lifted"]
    again = client.post(f"/rules/relief/{mute.id}/lift", data={"csrf_token": _csrf(page.data), "reason": "x"})
    assert again.status_code == 422


def test_a_bad_entity_is_refused_on_the_page(client, login, labelled_world):
    login("operator")
    page = client.get("/rules/relief/")
    refused = client.post("/rules/relief/", data={"csrf_token": _csrf(page.data), "signal_code": FP,
                                                 "entity_kind": "worker", "entity": "nobody", "hours": "24",
                                                 "reason": "r"})
    assert refused.status_code == 404 and "no worker" in refused.data.decode()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignalMute)) == 0


def test_the_cli_mutes_lists_and_lifts(runner, labelled_world, staff):
    staff("operator", "op@example.test")
    made = runner.invoke(args=["relief", "mute", "*", "worker", "w9", "--days", "3", "--reason", "verified",
                               "--by", "op@example.test"])
    assert made.exit_code == 0, made.output
    assert re.search(r"relief #(\d+) in force until", made.output)
    mute = db.session.scalar(sa.select(SignalMute))
    assert mute.signal_code == "*" and (mute.expires_at - mute.created_at).days == 3
    listed = runner.invoke(args=["relief", "list"])
    assert listed.exit_code == 0 and "worker:w9" in listed.output and "active" in listed.output
    bad = runner.invoke(args=["relief", "mute", "no.such", "worker", "w9", "--reason", "x"])
    assert bad.exit_code != 0 and "unknown signal code" in bad.output
    lifted = runner.invoke(args=["relief", "lift", str(mute.id), "--reason", "done"])
    assert lifted.exit_code == 0, lifted.output
    assert "lifted" in runner.invoke(args=["relief", "list", "--state", "all"]).output
    assert db.session.scalar(sa.select(AuditEvent.actor_label).where(AuditEvent.action == "relief.lifted")) == "cli"


def test_a_backtest_sample_opens_the_evidence_page(client, login, labelled_world):
    login("operator")
    draft = versions.create_draft(versions.resolve("active"), {"thresholds.hold_at_or_above": 0.99,
                                                              "thresholds.auto_approve_below": 0.98}, None)
    db.session.commit()
    page = client.get(f"/rules/versions/{draft.version}")
    started = client.post(f"/rules/versions/{draft.version}/backtests", data={
        "csrf_token": _csrf(page.data), "since": "2026-10-01", "until": "2026-10-02"})
    shown = client.get(started.location).data.decode()
    sampled = re.findall(r'href="(/queue/proofs/[^"?]+)"', shown)
    assert sampled, "the draft changes routes, so the sample lists proofs"
    evidence = client.get(sampled[0])
    assert evidence.status_code == 200 and 'id="read-only"' in evidence.data.decode()
