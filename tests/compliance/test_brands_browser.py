"""Compliance in a real browser: a brand's KYC suspended with a reason, then the audit list filtered
and a date range exported as CSV."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.auth.services.staff import create_staff
from app.platform.audit import verify_chain
from models import AuditEvent, Brand, db
from tests.e2e.conftest import PASSWORD, browser, live_app, page  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_suspend_a_brand_then_filter_and_export_the_audit_trail(page, live_app):  # noqa: F811
    with live_app.app.app_context():
        create_staff("compliance@example.test", "Compliance", "compliance", PASSWORD)
        db.session.commit()
    page.goto(f"{live_app.url}/login")
    page.fill("input[name=email]", "compliance@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_app.url}/compliance/brands")
    page.click("text=Recompute rings and scorecards")
    expect(page.locator(".flash")).to_contain_text("recomputed for 1 brands")
    page.click("a:text('Glow Cosmetics')")
    expect(page.locator("#kyc-state")).to_have_text("Verified")
    assert "91310000MA1K4XXXX1" not in page.content()

    page.select_option("select[name=target]", "suspended")
    page.fill("textarea[name=reason]", "completions come from one studio")
    page.click("input[name=submit][value='Change KYC state']")
    expect(page.locator("#kyc-state")).to_have_text("Suspended")
    expect(page.locator(".kyc-history tbody tr").first).to_contain_text("completions come from one studio")

    page.click("text=Audit trail")
    page.fill("#action", "brand.kyc_changed")
    page.click("button:text('Filter')")
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("compliance@example.test")

    today = datetime.now(UTC).date().isoformat()
    export = page.locator("form[action$='/audit/export']")
    export.locator("input[name=since]").fill(today)
    export.locator("input[name=until]").fill(today)
    with page.expect_download() as download:
        export.locator("input[name=export]").click()
    text = open(download.value.path(), encoding="utf-8").read()
    lines = list(csv.DictReader(io.StringIO(text)))
    assert [r["action"] for r in lines] == ["brand.kyc_changed"]
    assert lines[0]["reason"] == "completions come from one studio"

    with live_app.app.app_context():
        assert db.session.get(Brand, "b1").kyc_status == "suspended"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "audit.exported")) == 1
        assert verify_chain().ok
