"""In Chromium: compliance requests changes to a held campaign, the brief is fixed, compliance approves."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.auth.services.staff import create_staff
from models import Campaign, db
from tests import factories as f
from tests.compliance.conftest import DECEPTIVE_BRIEF
from tests.e2e.conftest import PASSWORD, browser, browser_app, page, serving  # noqa: F401 - fixtures
from tests.factories import WorldBuilder

pytestmark = pytest.mark.browser


@pytest.fixture()
def screening_app(tmp_path: Path):  # noqa: ANN201
    app = browser_app(tmp_path)
    w = WorldBuilder(tmp_path / "world")
    w.add("brands", f.brand()).add("rooms", f.room()).add("sessions", f.session())
    w.add("campaigns", f.campaign(), f.campaign(id="c2", brief=DECEPTIVE_BRIEF))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["import", str(w.write()), "--no-score"])
        assert result.exit_code == 0, result.output
        create_staff("compliance@example.test", "Compliance", "compliance", PASSWORD)
        db.session.commit()
    with serving(app) as live:
        yield app, live.url


def test_held_campaign_is_approved_after_a_brief_change(page, screening_app):  # noqa: F811
    app, url = screening_app
    page.goto(f"{url}/login")
    page.fill("input[name=email]", "compliance@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{url}/compliance/screening/")
    row = page.locator("tr[data-campaign=c2]")
    assert "review.cashback" in row.inner_text()
    assert page.locator("tr[data-campaign=c1]").count() == 0
    row.locator("a").first.click()
    page.wait_for_url(f"{url}/compliance/screening/campaigns/c2")
    assert "好评后联系客服领红包" in page.locator("table.findings").inner_text()

    page.fill("textarea[name=reason]", "Remove the cashback for praise and the instruction to hide the task.")
    page.click("input[name=request_changes]")
    page.wait_for_url(f"{url}/compliance/screening/")
    assert "changes requested" in page.locator(".flash").inner_text()

    page.goto(f"{url}/compliance/screening/campaigns/c2")
    assert page.locator("#screening-status").text_content() == "changes requested"
    assert page.locator("input[name=approve]").count() == 0  # the brand must change the brief first
    page.fill("textarea[name=brief]", "进入直播间真实评论你对新品的看法，本任务为品牌推广。")
    page.click("input[name=save]")
    page.wait_for_url(f"{url}/compliance/screening/campaigns/c2")
    assert page.locator("#screening-status").text_content() == "resubmitted"
    assert "No findings." in page.content()

    page.click("input[name=approve]")
    page.wait_for_url(f"{url}/compliance/screening/")
    assert "approved" in page.locator(".flash").inner_text()
    assert "No campaign is waiting." in page.content()
    with app.app_context():
        assert db.session.get(Campaign, "c2").status == "active"
