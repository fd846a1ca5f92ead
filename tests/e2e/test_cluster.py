"""A ring handled as one case in a real browser: open the cluster from a proof, preview the bulk
rejection, send it for four eyes, and a second (senior) reviewer applies it."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models import ModerationRequest, Proof, ReviewDecision, db

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

    page.select_option("#bulk-reason", "fraud_device_farm")
    page.keyboard.press("Escape")  # leave the field, so the next key is a shortcut
    page.keyboard.press("p")
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
