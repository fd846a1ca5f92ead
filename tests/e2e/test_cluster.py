"""A ring handled as one case in a real browser: open the cluster from a proof, preview the bulk
rejection, send it for four eyes, and a second (senior) reviewer applies it."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models import ModerationRequest, Proof, ReviewDecision, StaffUser, db

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "/tmp/workbench-shots"))


def test_cluster_preview_bulk_reject_and_second_reviewer(page, sign_in, live_app):
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in("moderator")
    page.goto(f"{live_app.url}/queue/proofs/p4?q=hold")
    page.keyboard.press("c")
    page.wait_for_url(re.compile(r".*/queue/proofs/p4/cluster$"))
    expect(page.locator("#cluster-graph svg circle.account.seed")).to_have_count(1)
    assert page.locator("#cluster-graph svg circle.account").count() >= 3  # w4 and the two sharing its handset
    page.screenshot(path=str(SHOTS / "cluster.png"), full_page=True)

    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "bulk-reason"
    page.keyboard.press("1")
    assert page.locator("#bulk-reason").input_value() == "fraud_device_farm"
    page.keyboard.press("Enter")  # from the reason list: preview
    page.wait_for_url(re.compile(r".*/cluster/preview$"))
    summary = page.locator("#preview-summary").inner_text()
    assert re.search(r"\d+ proofs of \d+ workers, ¥[\d,.]+ of rewards\.", summary), summary
    expect(page.locator("#four-eyes")).to_contain_text("rejects a whole ring")
    page.screenshot(path=str(SHOTS / "bulk-preview.png"), full_page=True)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/queue/proofs/p4/cluster$"))
    expect(page.locator(".flash")).to_contain_text("waits for a second reviewer")
    with live_app.app.app_context():
        asked = db.session.scalar(sa.select(ModerationRequest))
        assert asked.status == "pending"
        waiting = list(asked.payload["proof_ids"])
        assert "p4" in waiting and db.session.get(Proof, "p4").state == "in_review"

    page.context.clear_cookies()
    sign_in("senior_moderator")
    page.goto(f"{live_app.url}/queue/requests")
    expect(page.locator(f"#request-{asked.id} .preview-line")).to_contain_text(f"{len(waiting)} proofs")
    page.screenshot(path=str(SHOTS / "four-eyes.png"), full_page=True)
    page.fill(f"#note-{asked.id}", "same handset across accounts")
    page.click(f"#approve-{asked.id}")
    expect(page.locator(".flash")).to_contain_text(f"Request #{asked.id} applied.")
    expect(page.locator("#no-requests")).to_be_visible()
    with live_app.app.app_context():
        assert {db.session.get(Proof, pid).state for pid in waiting} == {"rejected"}
        reasons = set(db.session.scalars(sa.select(ReviewDecision.reason_code).where(
            ReviewDecision.idempotency_key.like(f"bulk:{asked.id}:%"))))
        assert reasons == {"fraud_device_farm"}


def test_ban_needs_a_senior_then_new_proofs_are_held(page, sign_in, live_app):
    from app.auth.services.api_tokens import create_token
    from models import ReviewItem, WorkerSanction
    from tests import factories as f

    sign_in("moderator")
    page.goto(f"{live_app.url}/queue/proofs/p7?q=review")
    page.keyboard.press("w")
    page.wait_for_url(re.compile(r".*/queue/workers/w7$"))
    page.select_option("#kind", "ban")
    page.fill("#reason", "三个账号共用一台设备，评论雷同")
    page.select_option("#pending_decision", "rejected")
    page.select_option("#reason_code", "fraud_ring")
    page.click("#sanction-submit")
    expect(page.locator(".flash")).to_contain_text("waits for a second reviewer")
    expect(page.locator("#standing")).to_have_text("in good standing")  # nothing in force yet

    page.context.clear_cookies()
    sign_in("senior_moderator")
    page.goto(f"{live_app.url}/queue/requests")
    page.locator("#requests-count").wait_for()
    page.click("button[id^=approve-]")
    expect(page.locator(".flash")).to_contain_text("applied")
    page.goto(f"{live_app.url}/queue/workers/w7")
    expect(page.locator("#standing")).to_have_text("banned")
    page.screenshot(path=str(SHOTS / "worker-banned.png"), full_page=True)

    with live_app.app.app_context():
        _, token = create_token("worker-app")
        db.session.commit()
        assert db.session.get(Proof, "p7").state == "rejected"  # the pending proof went with the ban
    headers = {"Authorization": f"Bearer {token}"}
    standing = page.request.get(f"{live_app.url}/api/v1/workers/w7", headers=headers).json()
    assert (standing["status"], standing["may_take_tasks"]) == ("banned", False)
    answer = page.request.post(f"{live_app.url}/api/v1/proofs", headers=headers, data=f.proof(
        id="p7-new", worker_id="w7", ip="223.104.3.97", screenshot_sha256="9" * 64))
    assert answer.status == 202
    with live_app.app.app_context():
        item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == "p7-new"))
        assert (db.session.get(Proof, "p7-new").state, item.queue) == ("in_review", "senior")
        assert db.session.scalar(sa.select(WorkerSanction.kind)) == "ban"


def test_an_appeal_filed_by_the_worker_client_is_upheld_by_a_senior(page, sign_in, live_app):
    from app.auth.services.api_tokens import create_token
    from app.review.services.decisions import decide

    with live_app.app.app_context():
        moderator = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == "moderator@example.test"))
        decide(db.session.get(Proof, "p1"), "rejected", actor=moderator, reason_code="fraud_proxy")
        _, token = create_token("worker-app")
        db.session.commit()
    answer = page.request.post(f"{live_app.url}/api/v1/proofs/p1/appeal",
                               headers={"Authorization": f"Bearer {token}"},
                               data={"message": "我在家里用的宽带，不是代理，请复核"})
    assert answer.status == 201

    sign_in("senior_moderator")
    page.goto(f"{live_app.url}/queue/appeals")
    card = page.locator("section[id^=appeal-]")
    expect(card).to_contain_text("我在家里用的宽带")
    expect(card).to_contain_text("fraud_proxy")
    page.screenshot(path=str(SHOTS / "appeals.png"), full_page=True)
    page.fill("textarea[id^=appeal-note-]", "家庭宽带，误判")
    page.click("button[id^=uphold-]")
    expect(page.locator(".flash")).to_contain_text("upheld")
    expect(page.locator("#no-appeals")).to_be_visible()
    with live_app.app.app_context():
        assert db.session.get(Proof, "p1").state == "approved"
