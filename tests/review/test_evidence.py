"""The proof page: evidence a moderator reads, and personal data that never shows unmasked."""
from __future__ import annotations

import pytest

from app.review.services.evidence import explanation_rows, proof_evidence
from models import utcnow
from tests import factories as f
from tests.review.helpers import put_in_queue


@pytest.fixture()
def linked_world(runner, world):
    """w1..w4: w1 and w2 share an IP, w1 and w3 a device, w4 is alone on another network."""
    world.add("brands", f.brand()).add("rooms", f.room()).add("sessions", f.session()).add("campaigns", f.campaign(
        min_watch_seconds=300))
    world.add("workers", *(f.worker(id=f"w{i}", phone=f"+86138001380{i:02d}") for i in range(1, 5)))
    world.add("proofs",
              f.proof(id="p1", worker_id="w1", ip="223.104.3.77", watch_seconds=900,
                      device=f.device(fingerprint="fp-A", canvas_hash="cv-1")),
              f.proof(id="p2", worker_id="w2", ip="223.104.3.77",
                      device=f.device(fingerprint="fp-B", canvas_hash="cv-2")),
              f.proof(id="p3", worker_id="w3", ip="223.104.3.9",
                      device=f.device(fingerprint="fp-A", canvas_hash="cv-1"), screenshot_sha256="b" * 64),
              f.proof(id="p4", worker_id="w4", ip="2408:8456:1:2::77", device=None, screenshot_sha256="c" * 64,
                      submitted_at="2026-10-02T04:00:00+08:00"),
              f.proof(id="old1", worker_id="w1", screenshot_sha256="d" * 64, submitted_at="2026-09-20T20:05:00+08:00",
                      accepted_at="2026-09-20T20:00:00+08:00", started_at=None),
              f.proof(id="old2", worker_id="w1", screenshot_sha256="e" * 64, submitted_at="2026-09-21T20:05:00+08:00",
                      accepted_at="2026-09-21T20:00:00+08:00", started_at=None),
              f.proof(id="old3", worker_id="w2", screenshot_sha256="9" * 64, submitted_at="2026-09-21T20:05:00+08:00",
                      accepted_at="2026-09-21T20:00:00+08:00", started_at=None))
    world.add("decisions", f.decision(proof_id="old1"), f.decision(proof_id="old2", decision="rejected", reason="bot"),
              f.decision(proof_id="old3", decision="rejected", reason="bot"))
    result = runner.invoke(args=["import", str(world.write()), "--no-score"])
    assert result.exit_code == 0, result.output
    put_in_queue("p1", "hold", 0.9, signals=[
        {"code": "timing.watch_exceeds_elapsed", "score": 0.8, "reason": "claims 900 s watched, 270 s elapsed"},
        {"code": "ip.shared", "score": 0.4, "reason": "IP used by 2 accounts: w1, w2"}],
        explanation=[{"feature": "watch_ratio", "contribution": 0.3}, {"feature": "account_age", "contribution": -0.1}])
    put_in_queue("p4", "review", 0.5)


def test_raw_ip_never_reaches_the_html(client, linked_world, login):
    login("moderator")
    for path in ("/queue/proofs/p1", "/queue/proofs/p2", "/queue/proofs/p4", "/queue/?q=hold", "/queue/?q=review"):
        html = client.get(path).data
        assert b"223.104.3.77" not in html and b"2408:8456:1:2::77" not in html and b"223.104.3.9<" not in html
    assert b'id="masked-ip">223.104.3.x<' in client.get("/queue/proofs/p1").data
    assert "2408:8456:1:\u2026".encode() in client.get("/queue/proofs/p4").data


def test_linked_accounts_count_other_workers_per_shared_key(app, linked_world):
    links = {g.key: g for g in proof_evidence("p1", app.extensions["pii"], utcnow()).links}
    assert (links["ip_hash"].workers, [w.worker_id for w in links["ip_hash"].top]) == (1, ["w2"])
    assert links["ip_prefix_hash"].workers == 2  # w2 and w3 share the /24; w1's own other proofs do not count
    assert [w.worker_id for w in links["device_fp_hash"].top] == ["w3"]
    assert [w.worker_id for w in links["device_canvas_hash"].top] == ["w3"]
    assert [w.worker_id for w in links["screenshot_sha256"].top] == ["w2"]  # p2 reused the same file
    w2 = links["ip_hash"].top[0]
    assert (w2.rejected, w2.decided) == (1, 1)  # the moderator sees w2 was rejected before


def test_worker_history_and_approval_rate(app, client, linked_world, login):
    history = proof_evidence("p1", app.extensions["pii"], utcnow()).history
    assert history.by_state == {"approved": 1, "rejected": 1}
    assert history.approval_rate == 0.5 and [pid for pid, _ in history.recent] != []
    login("moderator")
    assert b"<strong>50%</strong> of 2 decided" in client.get("/queue/proofs/p1").data


def test_proof_page_shows_signals_timing_device_and_model(client, linked_world, login):
    login("moderator")
    html = client.get("/queue/proofs/p1").data.decode()
    assert "claims 900 s watched, 270 s elapsed" in html and "timing.watch_exceeds_elapsed" in html
    assert html.index("timing.watch_exceeds_elapsed") < html.index("ip.shared<")  # strongest signal first
    assert "more than the time elapsed" in html and "m-2026-10-01" in html and "v3" in html
    assert "watch_ratio" in html and "+0.300" in html
    assert "这个颜色好适合黄皮" in html and "a" * 64 in html and "8f3c1e0000ffaa11" in html
    assert "iPhone · iOS 18.1" in html and "during s1" in html
    assert "No device object was submitted." in client.get("/queue/proofs/p4").data.decode()


def test_outside_live_session_is_flagged(client, linked_world, login):
    login("moderator")
    assert "submitted outside every live session" in client.get("/queue/proofs/p4").data.decode()


def test_decision_history_lists_who_did_what(client, linked_world, login):
    login("moderator")
    client.post("/queue/proofs/p4/decide?q=review", data={"escalate": "1", "note": "odd network"})
    html = client.get("/queue/proofs/p4").data.decode()
    timeline = html[html.index('id="history"'):]
    assert "escalated</span> by Moderator" in timeline and "odd network" in timeline


def test_unknown_proof_is_404(client, linked_world, login):
    login("moderator")
    assert client.get("/queue/proofs/nope").status_code == 404


@pytest.mark.parametrize(("stored", "expected"), [
    (None, []),
    ([{"feature": "a", "contribution": 0.1}, {"name": "b", "value": -0.5}], [("b", -0.5), ("a", 0.1)]),
    ({"x": 0.2, "y": -0.3}, [("y", -0.3), ("x", 0.2)]),
    ([["z", 0.4]], [("z", 0.4)]),
])
def test_explanation_shapes(stored, expected):
    assert explanation_rows(stored) == expected


def test_the_scorers_reasons_read_in_chinese_on_the_proof_page(app, client, linked_world, login):
    """Reasons are stored in English; the page shows each through its translated template."""
    import flask_babel

    from app.scoring.services.scoring import score_proofs
    from models import ProofScore, db

    score_proofs(["p2", "p3"])
    db.session.commit()
    login("moderator")
    assert client.post("/preferences/language", data={"locale": "zh_CN", "next": "/queue/"}).status_code == 302
    flask_babel.refresh()
    app.extensions["i18n_missing"].clear()
    for pid in ("p2", "p3"):
        stored = [s["reason"] for s in db.session.get(ProofScore, pid).signals if s.get("reason")]
        assert stored, pid
        shown = client.get(f"/queue/proofs/{pid}").get_data(as_text=True)
        assert not [reason for reason in stored if reason in shown], pid  # none left in English
    assert not app.extensions["i18n_missing"], sorted(app.extensions["i18n_missing"])
