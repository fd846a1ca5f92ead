"""Exports in a real browser: request one from the brand file and download its PDF; watch a queued
export's progress turn into download links when the job finishes."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.auth.services.staff import create_staff
from app.compliance.jobs import build_export
from app.compliance.services.exports import request_export
from models import StaffUser, db
from tests.e2e.conftest import PASSWORD, browser, live_app, page  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def _sign_in(page, live_app) -> None:  # noqa: ANN001, F811
    with live_app.app.app_context():
        create_staff("compliance@example.test", "Compliance", "compliance", PASSWORD)
        db.session.commit()
    page.goto(f"{live_app.url}/login")
    page.fill("input[name=email]", "compliance@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")


def test_request_an_export_from_the_brand_file_and_download_the_pdf(page, live_app):  # noqa: F811
    _sign_in(page, live_app)
    page.goto(f"{live_app.url}/compliance/brands/b1")
    page.click("#brand-exports")
    page.click("#request-export input[type=submit]")
    expect(page.locator("#export-status")).to_have_text("ready")  # no Redis here: built in the request
    with page.expect_download() as download:
        page.click("#download-pdf")
    assert open(download.value.path(), "rb").read(5) == b"%PDF-"
    page.goto(f"{live_app.url}/compliance/brands/b1/exports")
    expect(page.locator("#exports tbody tr")).to_have_count(1)
    expect(page.locator("#exports tbody tr").first).to_contain_text("compliance@example.test")


def test_a_queued_export_shows_progress_then_its_files(page, live_app):  # noqa: F811
    _sign_in(page, live_app)
    with live_app.app.app_context():
        staff = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == "compliance@example.test"))
        export_id = request_export("b1", actor=staff, locale="en").id
        db.session.commit()
    page.goto(f"{live_app.url}/compliance/exports/{export_id}")
    expect(page.locator("#export-progress")).to_be_visible()
    expect(page.locator("#export-status")).to_have_text("queued")
    with live_app.app.app_context():
        build_export(export_id)  # what a worker does; the page refreshes itself every 2 s
    expect(page.locator("#download-zip")).to_be_visible(timeout=10_000)
    expect(page.locator("#export-progress")).to_have_count(0)
