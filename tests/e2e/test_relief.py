"""Relief in a real browser: a moderator mutes a false-positive signal for a worker from the proof
page (keyboard `m`), and that worker's next proof, sent through the JSON API, is scored without it
while another worker on the same handset still carries it."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.auth.services.staff import create_staff
from models import ProofScore, SignalMute, db
from tests import factories as f
from tests.e2e.conftest import PASSWORD, browser_app, serving
from tests.factories import WorldBuilder

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "/tmp/workbench-shots"))
FP = "device.shared_fingerprint"
MUTED_ROW = f'[id="muted-{FP}"]'  # the muted signal's row on the proof page


def phash(i: int) -> str:
    """Perceptual hashes far apart (so the near-duplicate screenshot signal stays quiet)."""
    return f"{(0x9E3779B97F4A7C15 * (i + 1)) % 2**64:016x}"


@pytest.fixture()
def scored_app(tmp_path: Path):  # noqa: ANN201
    """Four accounts on one family handset, imported and scored by the real rules (all fire FP)."""
    app = browser_app(tmp_path)
    w = WorldBuilder(tmp_path / "world")
    w.basic(proofs=0).add("workers", *(f.worker(id=f"w{i}", phone=f"+86138001380{i:02d}") for i in range(1, 5)))
    w.add("proofs", *(f.proof(id=f"p{i}", worker_id=f"w{i}", ip=f"117.136.{i}.1", screenshot_sha256=f"{i:064x}",
                              screenshot_phash=phash(i), comment_text=f"主播讲得好{i}",
                              device=f.device(fingerprint="fp-family"))
                      for i in range(1, 5)))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["import", str(w.write())])
        assert result.exit_code == 0, result.output
        for role in ("moderator", "operator"):
            create_staff(f"{role}@example.test", role.title(), role, PASSWORD)
        db.session.commit()
        assert FP in db.session.get(ProofScore, "p1").reasons.split(";")
    with serving(app) as live:
        yield live


def _send(page, live, token: str, proof_id: str, worker: str, n: int) -> None:  # noqa: ANN001
    answer = page.request.post(f"{live.url}/api/v1/proofs", headers={"Authorization": f"Bearer {token}"},
                               data=f.proof(id=proof_id, worker_id=worker, ip=f"117.136.9.{len(proof_id)}",
                                            screenshot_sha256=proof_id.encode().hex().ljust(64, "0")[:64],
                                            screenshot_phash=phash(n),
                                            comment_text="今天的直播很实用", device=f.device(fingerprint="fp-family")))
    assert answer.status == 202, answer.text()


def _sign_in(page, live, role: str) -> None:  # noqa: ANN001
    page.context.clear_cookies()
    page.goto(f"{live.url}/login")
    page.fill("input[name=email]", f"{role}@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(rf"{re.escape(live.url)}/(queue|rules)/.*"))


def test_a_signal_muted_for_a_worker_and_that_workers_next_proof_scored_without_it(page, scored_app):
    from app.auth.services.api_tokens import create_token

    SHOTS.mkdir(parents=True, exist_ok=True)
    live = scored_app
    _sign_in(page, live, "moderator")
    page.goto(f"{live.url}/queue/proofs/p1")
    page.keyboard.press("m")
    assert page.evaluate("document.activeElement.id") == "relief-signal"
    page.select_option("#relief-signal", FP)
    page.select_option("#relief-entity", "worker")
    page.select_option("#relief-hours", "168")
    page.fill("#relief-reason", "w1 与家人共用一部手机，不是刷单团伙")
    page.click("#relief-submit")
    expect(page.locator(".flash")).to_contain_text("sent for rescoring")
    with live.app.app_context():
        mute = db.session.scalar(sa.select(SignalMute))
        assert (mute.signal_code, mute.entity_kind, mute.entity_value) == (FP, "worker", "w1")
    expect(page.locator(f"#mute-{mute.id}")).to_contain_text(FP)
    expect(page.locator(MUTED_ROW)).to_contain_text(f"muted by relief #{mute.id}")
    page.screenshot(path=str(SHOTS / "relief-proof.png"), full_page=True)

    with live.app.app_context():
        _, token = create_token("worker-app")
        db.session.commit()
    _send(page, live, token, "p1-next", "w1", 11)  # the relieved worker's next proof
    _send(page, live, token, "p2-next", "w2", 12)  # another account on the same handset
    with live.app.app_context():
        relieved, other = db.session.get(ProofScore, "p1-next"), db.session.get(ProofScore, "p2-next")
        assert relieved is not None and other is not None, "the API scores in-process without Redis"
        assert FP not in relieved.reasons.split(";")
        assert [s.get("muted") for s in relieved.signals if s["code"] == FP] == [mute.id]
        assert FP in other.reasons.split(";") and relieved.rule_score < other.rule_score

    page.goto(f"{live.url}/queue/proofs/p1-next")
    page.locator("form.lang button[value=zh_CN]").click()
    expect(page.locator(MUTED_ROW)).to_contain_text(f"已被豁免 #{mute.id} 屏蔽")
    expect(page.locator("#relief h2")).to_have_text("豁免")
    page.screenshot(path=str(SHOTS / "relief-next-proof-zh.png"), full_page=True)
    assert re.search(r"\d\.\d\d", page.locator("#score .risk-big").inner_text())

    # The operators see the same relief in their list, and lift it with a reason.
    _sign_in(page, live, "operator")
    page.goto(f"{live.url}/rules/relief/")
    expect(page.locator(f"#mute-{mute.id}")).to_contain_text("w1")
    page.screenshot(path=str(SHOTS / "relief-operators.png"), full_page=True)
    page.fill(f"#lift-reason-{mute.id}", "复核后确认是团伙")
    page.click(f"#lift-submit-{mute.id}")
    expect(page.locator(".flash")).to_contain_text(f"Relief #{mute.id} lifted")
    expect(page.locator("#no-mutes")).to_be_visible()
    with live.app.app_context():
        assert FP in db.session.get(ProofScore, "p1-next").reasons.split(";")  # rescored on lifting
