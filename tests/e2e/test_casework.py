"""In a real browser: ask the worker a question from the proof page, the worker client answers through
the API and the proof is back in the queue with the answer shown; and ticking cluster rows by keyboard."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from models import db

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "/tmp/workbench-shots"))


def test_request_info_then_the_api_answer_puts_the_proof_back(page, sign_in, live_app):
    from app.auth.services.api_tokens import create_token

    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in("moderator")
    page.goto(f"{live_app.url}/queue/proofs/p3?q=review")
    page.keyboard.press("i")
    assert page.evaluate("document.activeElement.id") == "info-question"
    page.keyboard.type("请说明您观看直播时使用的是哪台设备？")
    page.fill("#info-hours", "12")
    page.click("#info-ask")
    page.wait_for_url(re.compile(r".*/queue/(\?.*)?$"))
    expect(page.locator(".flash")).to_contain_text("Asked the worker about p3")
    expect(page.locator("#queue-table tr[data-href*='/proofs/p3?']")).to_have_count(0)
    page.goto(f"{live_app.url}/queue/proofs/p3?q=review")
    expect(page.locator("#info-waiting")).to_be_visible()
    expect(page.locator("#blocked")).to_be_visible()  # no decision while the worker is asked
    page.screenshot(path=str(SHOTS / "info-requested.png"), full_page=True)

    with live_app.app.app_context():
        _, token = create_token("worker-app")
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    status = page.request.get(f"{live_app.url}/api/v1/proofs/p3", headers=headers).json()
    assert status["info_request"]["status"] == "open"
    answer = page.request.post(f"{live_app.url}/api/v1/proofs/p3/info", headers=headers,
                               data={"answer": "我用的是自己的华为手机，在家里的宽带上看的"})
    assert answer.status == 201, answer.text()

    page.goto(f"{live_app.url}/queue/?q=review")
    expect(page.locator("#queue-table tr[data-href*='/proofs/p3?']")).to_have_count(1)
    page.goto(f"{live_app.url}/queue/proofs/p3?q=review")
    expect(page.locator("#info-history")).to_contain_text("我用的是自己的华为手机")
    expect(page.locator("#decision-form")).to_be_visible()
    page.screenshot(path=str(SHOTS / "info-answered.png"), full_page=True)


def test_keyboard_moves_a_visible_focus_and_ticks_cluster_rows(page, sign_in, live_app):
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in("moderator")
    page.goto(f"{live_app.url}/queue/proofs/p4/cluster")
    rows = page.locator("#cluster-proofs tbody tr")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bselected\b"))
    expect(rows.nth(0)).not_to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("x")
    expect(rows.nth(1).locator("input.tick")).to_be_checked()
    expect(rows.nth(1)).to_have_class(re.compile(r"\bticked\b"))
    assert page.locator("#bulk-scope").input_value() == "selected"
    page.keyboard.press("k")
    page.keyboard.press("x")
    expect(rows.nth(0).locator("input.tick")).to_be_checked()
    page.keyboard.press("x")  # again: untick
    expect(rows.nth(0).locator("input.tick")).not_to_be_checked()
    page.screenshot(path=str(SHOTS / "cluster-ticked.png"), full_page=True)
    page.keyboard.press("?")
    expect(page.locator("#kbd-help")).to_contain_text("tick or untick the selected row")
    page.keyboard.press("Escape")

    page.goto(f"{live_app.url}/queue/?q=review")  # the queue list: j/k move the same visible focus
    listed = page.locator("#queue-table tbody tr")
    expect(listed.nth(0)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("j")
    expect(listed.nth(1)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(listed.nth(1).locator("input.tick")).to_be_checked()
    expect(listed.nth(2).locator("input.tick")).to_be_checked()
    ticked = [listed.nth(i).locator("input.tick").get_attribute("value") for i in (1, 2)]
    page.keyboard.press("r")  # the list's reason, then 2 (fraud_bot) and Enter: preview the ticked rows
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/queue/bulk/preview$"))
    expect(page.locator("#preview-summary")).to_contain_text("2 proofs of 2 workers")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/queue/\?q=review$"))
    expect(page.locator(".flash")).to_contain_text("Applied to 2 proofs")
    with live_app.app.app_context():
        from models import Proof

        assert {db.session.get(Proof, pid).state for pid in ticked} == {"rejected"}
