"""The moderator's day in a real browser: sign in, read the queue, claim with the keyboard, reject."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models import AuditEvent, Proof, ReviewDecision, StaffUser, db

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "/tmp/workbench-shots"))


def test_moderator_claims_with_keyboard_and_rejects_with_reason(page, sign_in, live_app):
    sign_in("moderator")
    rows = page.locator("#queue-table tbody tr[data-href]")
    assert rows.count() == 3  # the hold tab opens first: it is the riskiest pending work
    assert rows.first.locator("td.mono").first.inner_text() == "p4"
    assert "Hold" in page.locator(".tabs a.active").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "queue.png"), full_page=True)

    page.keyboard.press("n")
    page.wait_for_url(re.compile(r".*/queue/proofs/p4\?q=hold$"))
    assert "claimed by you" in page.locator("#claim-status").inner_text()
    assert page.locator("#masked-ip").inner_text() == "223.104.3.x"
    page.screenshot(path=str(SHOTS / "proof.png"), full_page=True)

    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "reason_code"
    page.keyboard.press("1")
    assert page.locator("#reason_code").input_value() == "fraud_device_farm"
    page.keyboard.press("Enter")
    # Straight on to the next item of the hold tab (which one depends on the re-score of p4's linked
    # accounts that a fraud rejection triggers).
    page.wait_for_url(re.compile(r".*/queue/proofs/(?!p4\?)\w+\?q=hold$"))
    assert "claimed by you" in page.locator("#claim-status").inner_text()
    assert "Rejected p4 · fraud_device_farm." in page.locator(".flash").inner_text()

    with live_app.app.app_context():
        moderator = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == "moderator@example.test"))
        decision = db.session.scalar(sa.select(ReviewDecision).where(ReviewDecision.proof_id == "p4"))
        assert (decision.decision, decision.reason_code, decision.actor_id) == ("rejected", "fraud_device_farm",
                                                                              moderator.id)
        assert db.session.get(Proof, "p4").state == "rejected"
        assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "proof.rejected",
                                                             AuditEvent.object_id == "p4")) is not None


def test_list_selection_help_and_reject_without_reason(page, sign_in, live_app):
    sign_in("senior_moderator")
    page.goto(f"{live_app.url}/queue/?q=review")
    ids = page.locator("#queue-table tbody tr[data-href] td.mono:nth-child(2)").all_inner_texts()
    assert len(ids) >= 2
    selected = page.locator("tr.selected td.mono").first
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(selected).to_have_text(ids[0])
    page.keyboard.press("?")
    expect(page.locator("#kbd-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#kbd-help")).to_be_hidden()
    page.keyboard.press("j")
    expect(selected).to_have_text(ids[1])  # each step settles before the next key, as a person's would
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/queue/proofs/{ids[1]}\?q=review$"))
    page.click("#reject")  # no reason chosen: the server refuses and says why
    assert "A rejection needs a reason code." in page.locator("#decision").inner_text()
    with live_app.app.app_context():
        assert db.session.scalar(sa.select(ReviewDecision).where(ReviewDecision.proof_id == ids[1])) is None


def test_a_chinese_speaking_moderator_decides_by_keyboard(browser, live_app):
    """The browser asks for Chinese: every label, the help and the confirmation are in Chinese."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_app.url}/login")
    assert page.locator("h1").inner_text() == "登录"
    page.fill("input[name=email]", "moderator@example.test")
    page.fill("input[name=password]", "correct-horse")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_app.url}/queue/**")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "拦截" in page.locator(".tabs a.active").inner_text()
    page.keyboard.press("?")
    expect(page.locator("#kbd-help")).to_contain_text("键盘快捷键")
    page.keyboard.press("Escape")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "queue-zh.png"), full_page=True)

    page.keyboard.press("n")
    page.wait_for_url(re.compile(r".*/queue/proofs/p4\?q=hold$"))
    assert "已被你认领" in page.locator("#claim-status").inner_text()
    assert "年" in page.locator("#timing time").first.inner_text()  # 2026年9月…, in Asia/Shanghai
    page.screenshot(path=str(SHOTS / "proof-zh.png"), full_page=True)
    page.keyboard.press("a")
    page.wait_for_url(re.compile(r".*/queue/proofs/(?!p4\?)\w+\?q=hold$"))
    assert "已通过 p4" in page.locator(".flash").inner_text()
    with live_app.app.app_context():
        assert db.session.get(Proof, "p4").state == "approved"
    context.close()
