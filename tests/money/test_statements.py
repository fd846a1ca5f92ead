"""Statements agree with the money that moved, on screen and as CSV, for the right roles only."""
from __future__ import annotations

import csv
import io

import pytest

from app.money.jobs import run_settlement
from app.money.services import clawback, funding, statements
from models import db
from tests.money import helpers as h


@pytest.fixture()
def money_world(app):  # noqa: ANN001, ANN201
    """c1: 3 settled, 1 clawed back, 1 in review, then closed; c2: untouched."""
    h.world(campaigns={"c1": {"budget_cents": 1000}, "c2": {"budget_cents": 500}})
    for i, worker in enumerate(("w1", "w1", "w2")):
        h.proof(f"p{i}", worker=worker)
        h.approve(f"p{i}")
    h.proof("p9")
    db.session.commit()
    run_settlement()
    clawback.claw_back("p0", reason_code="fraud_ring")
    funding.close_campaign("c1")
    db.session.commit()
    return app


def test_brand_statement_adds_up(money_world):
    (brand,) = statements.brand_statements()
    assert (brand.funded, brand.spent, brand.refunded, brand.commission) == (1500, 200, 700, 30)
    assert (brand.held, brand.reserved, brand.available) == (600, 100, 500)
    c1, c2 = statements.campaign_statements("b1")
    assert (c1.status, c1.funded, c1.spent, c1.refunded, c1.held, c1.reserved) == ("closed", 1000, 200, 700, 100, 100)
    assert (c2.funded, c2.held) == (500, 500)


def test_worker_statement_shows_clawbacks(money_world):
    w1, w2 = statements.worker_statements()
    assert (w1.worker_id, w1.earned, w1.clawed_back, w1.balance) == ("w1", 170, 85, 85)
    assert (w2.earned, w2.balance) == (85, 85)
    assert [s.worker_id for s in statements.worker_statements(after="w1")] == ["w2"]


def test_revenue_by_day_nets_clawbacks(money_world):
    (day,) = statements.revenue_by_day()
    assert (day["settlements"], day["commission"], day["clawed_back"], day["net"]) == (3, 45, 15, 30)
    assert sum(statements.account_totals().values()) == 0


def test_statement_cli_writes_csv(money_world, runner, tmp_path):
    path = tmp_path / "brands.csv"
    result = runner.invoke(args=["ledger", "statement", "brands", "--csv", str(path)])
    assert result.exit_code == 0 and "wrote 1 rows" in result.output
    (row,) = csv.DictReader(path.open(encoding="utf-8"))
    assert row["funded"] == "1500" and row["available"] == "500"


@pytest.mark.parametrize("path", ["/ledger/", "/ledger/brands", "/ledger/brands/b1", "/ledger/workers",
                                  "/ledger/workers/w1", "/ledger/revenue", "/ledger/payouts"])
def test_screens_render_for_compliance(money_world, client, auth, staff, path):
    staff("compliance")
    auth.login("compliance@example.test")
    response = client.get(path)
    assert response.status_code == 200, response.data[:500]


def test_brand_screen_shows_the_statement(money_world, client, auth, staff):
    staff("operator")
    auth.login("operator@example.test")
    page = client.get("/ledger/brands/b1").get_data(as_text=True)
    assert "¥15.00" in page and "refund:c1" in page


@pytest.mark.parametrize("path, first_column", [("/ledger/brands.csv", "brand_id"),
                                                ("/ledger/workers.csv", "worker_id"), ("/ledger/revenue.csv", "day")])
def test_csv_downloads(money_world, client, auth, staff, path, first_column):
    staff("admin")
    auth.login("admin@example.test")
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == first_column and len(rows) >= 2


def test_moderators_cannot_see_money(money_world, client, auth, staff):
    staff("moderator")
    auth.login("moderator@example.test")
    assert client.get("/ledger/brands").status_code == 403


def test_unknown_brand_is_404(money_world, client, auth, staff):
    staff("compliance")
    auth.login("compliance@example.test")
    assert client.get("/ledger/brands/nope").status_code == 404
