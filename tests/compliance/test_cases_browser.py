"""A case in a real browser: opened from a brand file, a proof attached, closed with an outcome."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.auth.services.staff import create_staff
from app.platform.audit import verify_chain
from models import CaseItem, CaseOutcome, ComplianceCase, db
from tests.e2e.conftest import PASSWORD, browser, live_app, page  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "/tmp/workbench-shots"))


def test_open_a_case_from_a_brand_file_attach_a_proof_and_close_it(page, live_app):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    with live_app.app.app_context():
        create_staff("compliance@example.test", "Compliance", "compliance", PASSWORD)
        db.session.commit()
    page.goto(f"{live_app.url}/login")
    page.fill("input[name=email]", "compliance@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_app.url}/compliance/brands/b1")
    page.click("#open-brand-case")
    expect(page.locator("#subject_id")).to_have_value("b1")
    page.fill("#open-case textarea[name=reason]", "completions from one handset")
    page.click("#open-case input[type=submit]")
    expect(page.locator(".flash")).to_contain_text("opened")
    expect(page.locator("#case-status")).to_have_text("Open")

    page.fill("#attach-proof input[name=proof_id]", "p4")
    page.fill("#attach-proof input[name=why]", "farm handset")
    page.click("#attach-proof input[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Proof p4 attached.")
    expect(page.locator("#case-items")).to_contain_text("p4")

    page.check("#close-case input[name=warning]")
    page.fill("#close-case textarea[name=warning_reason]", "paid for farm completions once")
    page.fill("#close-case textarea[name=reason]", "brand warned, farm proofs rejected")
    page.click("#close-case input[type=submit]")
    expect(page.locator("#case-status")).to_have_text("Closed")
    expect(page.locator("#case-outcomes")).to_contain_text("paid for farm completions once")
    expect(page.locator("#case-timeline")).to_contain_text("case.closed")
    page.screenshot(path=str(SHOTS / "case-closed.png"), full_page=True)

    with live_app.app.app_context():
        case = db.session.scalar(sa.select(ComplianceCase))
        assert case.status == "closed" and case.subject_id == "b1"
        assert db.session.scalar(sa.select(CaseItem.ref).where(CaseItem.kind == "proof")) == "p4"
        assert db.session.scalar(sa.select(CaseOutcome.kind)) == "warning"
        assert verify_chain().ok
