"""Statements on screen and as CSV, for compliance, operators and admins. Every page is a GET that
only reads; money moves through the CLI and jobs (`flask settle`, `flask payouts ...`)."""
from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template, request

from app.money.services import statements
from app.platform.access import role_required
from app.platform.i18n import _
from models import Brand, FraudFlag, Payout, Worker, db

bp = Blueprint("ledger", __name__, url_prefix="/ledger")
ROLES = ("compliance", "operator")  # admin passes every role check
PAGE = 100


def _csv(name: str, rows: Iterable[Any], columns: list[str] | None = None) -> Response:
    buffer = io.StringIO()
    statements.write_csv(buffer, rows, columns)
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@bp.get("/")
@role_required(*ROLES)
def index():  # noqa: ANN201
    payout_states = dict(db.session.execute(
        sa.select(Payout.state, sa.func.count()).group_by(Payout.state)).all())
    open_flags = db.session.scalar(sa.select(sa.func.count()).select_from(FraudFlag).where(
        FraudFlag.status == "open")) or 0
    return render_template("money/index.html", totals=statements.account_totals(),
                           revenue=statements.revenue_by_day(days=14), payout_states=payout_states,
                           open_flags=open_flags)


@bp.get("/brands")
@role_required(*ROLES)
def brands():  # noqa: ANN201
    return render_template("money/brands.html", rows=statements.brand_statements())


@bp.get("/brands.csv")
@role_required(*ROLES)
def brands_csv():  # noqa: ANN201
    columns = ["brand_id", "name", "funded", "spent", "refunded", "commission", "held", "reserved", "available"]
    return _csv("brand-statements", statements.brand_statements(), columns)


@bp.get("/brands/<brand_id>")
@role_required(*ROLES)
def brand(brand_id: str):  # noqa: ANN201
    row = db.session.get(Brand, brand_id)
    if row is None:
        abort(404, description=_("brand %(brand)s does not exist", brand=brand_id))
    statement = next(s for s in statements.brand_statements() if s.brand_id == brand_id)
    return render_template("money/brand.html", brand=row, statement=statement,
                           campaigns=statements.campaign_statements(brand_id),
                           entries=statements.recent_entries(brand_id=brand_id))


@bp.get("/workers")
@role_required(*ROLES)
def workers():  # noqa: ANN201
    after = request.args.get("after") or None
    rows = statements.worker_statements(after=after, limit=PAGE + 1)
    next_after = rows[PAGE - 1].worker_id if len(rows) > PAGE else None
    return render_template("money/workers.html", rows=rows[:PAGE], next_after=next_after, after=after)


@bp.get("/workers.csv")
@role_required(*ROLES)
def workers_csv():  # noqa: ANN201
    return _csv("worker-statements", statements.worker_statements())


@bp.get("/workers/<worker_id>")
@role_required(*ROLES)
def worker(worker_id: str):  # noqa: ANN201
    row = db.session.get(Worker, worker_id)
    if row is None:
        abort(404, description=_("worker %(worker)s does not exist", worker=worker_id))
    found = statements.worker_statements(worker_id=worker_id)
    payouts = db.session.scalars(sa.select(Payout).where(Payout.worker_id == worker_id)
                                 .order_by(Payout.id.desc()).limit(50)).all()
    flags = db.session.scalars(sa.select(FraudFlag).where(FraudFlag.worker_id == worker_id)
                               .order_by(FraudFlag.id.desc())).all()
    return render_template("money/worker.html", worker=row, statement=found[0] if found else None,
                           entries=statements.recent_entries(worker_id=worker_id), payouts=payouts, flags=flags)


@bp.get("/revenue")
@role_required(*ROLES)
def revenue():  # noqa: ANN201
    return render_template("money/revenue.html", rows=statements.revenue_by_day())


@bp.get("/revenue.csv")
@role_required(*ROLES)
def revenue_csv():  # noqa: ANN201
    return _csv("platform-revenue", statements.revenue_by_day(),
                ["day", "settlements", "commission", "clawed_back", "net"])


@bp.get("/payouts")
@role_required(*ROLES)
def payouts():  # noqa: ANN201
    state = request.args.get("state") or None
    before = request.args.get("before", type=int)
    query = sa.select(Payout).order_by(Payout.id.desc()).limit(PAGE + 1)
    if state:
        query = query.where(Payout.state == state)
    if before:
        query = query.where(Payout.id < before)
    rows = db.session.scalars(query).all()
    next_before = rows[PAGE - 1].id if len(rows) > PAGE else None
    return render_template("money/payouts.html", rows=rows[:PAGE], state=state, next_before=next_before)
