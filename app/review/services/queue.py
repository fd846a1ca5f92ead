"""Queue reads for the moderators' workbench: tabs, filters, keyset pages, counts and chart data.

Claims and decisions live in app/services/queue_claims.py; the evidence of one proof in
app/services/queue_evidence.py. Functions take explicit arguments and never commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context

from app.platform.i18n import _
from app.platform.vocabulary import QUEUES, queue_label, route_label
from app.review.services import priority, sla
from app.review.services.qa_sample import (  # noqa: F401 - the QA names are imported from here too
    QA_CONFIRMED,
    QA_DISAGREED,
    QA_SAMPLE_EVERY,
    human_sample_every,
    sampled_for_qa,
)
from models import Campaign, DomainError, Proof, ProofScore, ReviewItem, StaffUser, db

CLAIM_MINUTES = 15
PAGE_SIZE = 50
COUNT_CAP = 1000  # counts over history (the QA sample) stop here: "1000+"
PENDING = ("open", "claimed")
TABS = ("hold", "review", "senior", "auto")
SENIOR_ROLES = ("senior_moderator",)  # admin passes every role check
ROUTES = ("hold", "review", "auto_approve")
HISTOGRAM_BINS = 10
HISTOGRAM_SAMPLE = 20_000


class QueueError(DomainError):
    status_code = 400


def tabs_for(user: StaffUser) -> tuple[str, ...]:
    """The tabs a staff member may open; the senior queue is for senior moderators and admins."""
    return TABS if user.has_role(*SENIOR_ROLES) else tuple(t for t in TABS if t != "senior")


@dataclass(frozen=True)
class QueueFilters:
    """What the moderator is looking at: one tab, narrowed by optional filters."""

    tab: str = "hold"
    campaign: str | None = None
    brand: str | None = None
    signal: str | None = None
    route: str | None = None
    worker: str | None = None
    mine: bool = False

    def args(self, **overrides: str | None) -> dict[str, str]:
        """Query-string form for links that keep the moderator's context; overrides may add or drop keys."""
        out = {"q": self.tab}
        for key in ("campaign", "brand", "signal", "route", "worker"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.mine:
            out["mine"] = "1"
        out.update(overrides)  # type: ignore[arg-type]
        return {k: v for k, v in out.items() if v}

    @property
    def narrowed(self) -> bool:
        return any((self.campaign, self.brand, self.signal, self.route, self.worker, self.mine))


def parse_filters(args: Any, allowed_tabs: tuple[str, ...], default_tab: str) -> QueueFilters:
    """Build filters from request args; unknown tabs and routes are refused, not ignored."""
    tab = args.get("q") or default_tab
    if tab not in allowed_tabs:
        shown = queue_label(tab) if tab in QUEUES else tab  # a mistyped ?q= is quoted as typed
        raise QueueError(_("queue %(tab)r is not one of yours: %(tabs)s", tab=shown,
                           tabs=", ".join(queue_label(t) for t in allowed_tabs)))
    route = args.get("route") or None
    if route is not None and route not in ROUTES:
        raise QueueError(_("route %(route)r must be one of %(routes)s", route=route,
                           routes=", ".join(route_label(r) for r in ROUTES)))

    def text(key: str) -> str | None:
        value = (args.get(key) or "").strip()
        if len(value) > 64:
            raise QueueError(_("%(field)s: at most 64 characters", field=key))
        return value or None

    return QueueFilters(tab=tab, campaign=text("campaign"), brand=text("brand"), signal=text("signal"),
                        route=route, worker=text("worker"), mine=args.get("mine") in ("1", "on", "true"))


# -- ordering and keyset cursors -------------------------------------------------------------------

# (column, descending, python type). Pending work: breached items first, then by the queue's key
# (risk x money x age, app/review/services/priority.py), both descending along one index. QA sample:
# newest first, which the primary key serves without a sort however large the auto queue grows.
TIER = sa.literal_column("tier", sa.Integer)
KEY_ORDER = ((ReviewItem.sort_key, True, float), (ReviewItem.id, True, int))
PENDING_ORDER = ((TIER, True, int), *KEY_ORDER)
QA_ORDER = ((ReviewItem.id, True, int),)


def order_for(tab: str) -> tuple:
    return QA_ORDER if tab == "auto" else PENDING_ORDER


def encode_cursor(values: tuple) -> str:
    return "_".join(repr(v) for v in values)


def decode_cursor(raw: str, order: tuple) -> tuple:
    parts = raw.split("_")
    if len(parts) != len(order):
        raise QueueError(_("page cursor does not match this queue; start from the first page"))
    try:
        return tuple(kind(part) for part, (_, _, kind) in zip(parts, order, strict=True))
    except ValueError as exc:
        raise QueueError(_("page cursor is malformed; start from the first page")) from exc


def _beyond(order: tuple, values: tuple, forward: bool) -> sa.ColumnElement[bool]:
    """Rows strictly after (forward) or before the cursor in the lexicographic sort order.

    The redundant bound on the first column lets the database start its index scan at the cursor.
    """
    clauses = []
    for i, (column, descending, _kind) in enumerate(order):
        ties = [col == val for (col, _desc, _kind2), val in zip(order[:i], values[:i], strict=True)]
        goes_down = descending == forward
        clauses.append(sa.and_(*ties, column < values[i] if goes_down else column > values[i]))
    first, descending, _ = order[0]
    bound = first <= values[0] if descending == forward else first >= values[0]
    return sa.and_(bound, sa.or_(*clauses))


def sorted_query(query: sa.Select, order: tuple, forward: bool, source: sa.Subquery | None = None) -> sa.Select:
    """ORDER BY the sort columns (taken from `source` when sorting a union of branches)."""
    columns = [(source.c[c.key] if source is not None else c, d) for c, d, _ in order]
    return query.order_by(*[(c.desc() if d == forward else c.asc()) for c, d in columns])


# -- the filtered item query -----------------------------------------------------------------------

def _in_tab(tab: str, status: str | None = None) -> sa.ColumnElement[bool]:
    """Rows of a tab; `status` narrows pending tabs to one status so an index scan yields them in order."""
    if status is not None:
        return sa.and_(ReviewItem.queue == tab, ReviewItem.status == status)
    if tab == "auto":  # degraded auto routes wait for a human, and the QA sample comes back (qa_sample.py)
        return sa.or_(sa.and_(ReviewItem.queue == "auto", ReviewItem.status.in_(PENDING)), sampled_for_qa())
    return sa.and_(ReviewItem.queue == tab, ReviewItem.status.in_(PENDING))


def signal_token(code: str) -> sa.ColumnElement[bool]:
    """Exact code match inside the ';'-joined reasons ('ip.tor' must not match 'ip.tor_exit')."""
    return (sa.literal(";") + ProofScore.reasons + sa.literal(";")).like(f"%;{code};%")


def filtered_items(columns: list, filters: QueueFilters, viewer_id: int, now: datetime,
                   status: str | None = None) -> sa.Select:
    """SELECT `columns` FROM review_items narrowed by the tab and filters (joins only when needed)."""
    query = sa.select(*columns).select_from(ReviewItem).where(_in_tab(filters.tab, status))
    if filters.campaign:
        query = query.where(ReviewItem.campaign_id == filters.campaign)
    if filters.brand:
        brand_campaigns = sa.select(Campaign.id).where(Campaign.brand_id == filters.brand)
        query = query.where(ReviewItem.campaign_id.in_(brand_campaigns))
    if filters.worker:
        query = query.join(Proof, Proof.id == ReviewItem.proof_id).where(Proof.worker_id == filters.worker)
    if filters.signal or filters.route:
        query = query.join(ProofScore, ProofScore.proof_id == ReviewItem.proof_id)
        if filters.route:
            query = query.where(ProofScore.route == filters.route)
        if filters.signal:
            query = query.where(signal_token(filters.signal))
    if filters.mine:
        query = query.where(ReviewItem.status == "claimed", ReviewItem.claimed_by == viewer_id,
                            ReviewItem.claimed_at >= claim_cutoff(now))
    return query


def claim_minutes(minutes: int | None = None) -> int:
    """How long a claim lasts: `minutes` when given, else the app's QUEUE_CLAIM_MINUTES (CLAIM_MINUTES
    outside an app), so the queue, the claim checks and the job that releases claims agree."""
    if minutes is not None:
        return minutes
    return int(current_app.config.get("QUEUE_CLAIM_MINUTES", CLAIM_MINUTES)) if has_app_context() else CLAIM_MINUTES


def claim_cutoff(now: datetime, minutes: int | None = None) -> datetime:
    """Claims taken before this moment have expired and may be taken by someone else."""
    return now - timedelta(minutes=claim_minutes(minutes))


# -- one page of the list --------------------------------------------------------------------------

@dataclass
class QueueRow:
    item_id: int
    proof_id: str
    queue: str
    status: str
    campaign_id: str
    worker_id: str
    risk: float
    route: str | None
    degraded: bool
    top_signals: list[dict]
    waiting_seconds: float
    claimed_by: str | None = None
    claimed_by_me: bool = False
    due_seconds: float | None = None  # until the queue's service level is breached; negative once it is
    money_cents: int | None = None  # the proof's reward: what a decision on it moves
    age_weight: float = 1.0  # e^(age / tau): how much waiting has raised its place (priority.py)

    @property
    def breached(self) -> bool:
        return self.due_seconds is not None and self.due_seconds < 0


@dataclass
class Page:
    rows: list[QueueRow] = field(default_factory=list)
    next_cursor: str | None = None
    prev_cursor: str | None = None


def list_page(filters: QueueFilters, viewer_id: int, now: datetime, *, after: str | None = None,
              before: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """One page of the tab in queue order; `after`/`before` are cursors from a previous page."""
    order = order_for(filters.tab)
    forward = before is None
    cursor = after or before
    values = decode_cursor(cursor, order) if cursor else None
    found = db.session.execute(_page_query(filters, viewer_id, now, order, values, forward, limit + 1)).all()
    more = len(found) > limit
    found = found[:limit]
    if not forward:
        found.reverse()
    rows = _load_rows([r.id for r in found], viewer_id, now)
    page = Page(rows=rows)
    if rows:
        first, last = _key_of(found[0], order), _key_of(found[-1], order)
        if forward:
            page.next_cursor = encode_cursor(last) if more else None
            page.prev_cursor = encode_cursor(first) if after else None
        else:
            page.next_cursor = encode_cursor(last)
            page.prev_cursor = encode_cursor(first) if more else None
    return page


def _page_query(filters: QueueFilters, viewer_id: int, now: datetime, order: tuple, values: tuple | None,
                forward: bool, limit: int) -> sa.Select:
    """Ids and sort keys of one page. Pending tabs read one ordered branch per tier (breached, within
    service level) and status (open, claimed) and merge them, so the (queue, status, sort_key) index
    serves the order and no sort touches the whole backlog."""
    if filters.tab == "auto":
        branch = filtered_items([ReviewItem.id], filters, viewer_id, now)
        if values is not None:
            branch = branch.where(_beyond(order, values, forward))
        return sorted_query(branch, order, forward).limit(limit)
    branches = []
    for tier in priority.tiers(filters.tab, now):
        keyset = _tier_keyset(int(tier.breached), values, forward)
        if keyset is False:
            continue
        for status in PENDING:
            branch = filtered_items([ReviewItem.id, ReviewItem.sort_key, sa.literal(int(tier.breached)).label("tier")],
                                    filters, viewer_id, now, status=status).where(tier.where)
            if keyset is not True:
                branch = branch.where(keyset)
            branches.append(sorted_query(branch, KEY_ORDER, forward).limit(limit))
    if not branches:
        return sa.select(ReviewItem.id, ReviewItem.sort_key, sa.literal(0).label("tier")).where(sa.false())
    # Each branch is wrapped so SQLite accepts its ORDER BY/LIMIT inside the UNION.
    merged = sa.union_all(*[sa.select(b.subquery()) for b in branches]).subquery()
    return sorted_query(sa.select(merged), order, forward, source=merged).limit(limit)


def _tier_keyset(tier: int, values: tuple | None, forward: bool) -> sa.ColumnElement[bool] | bool:
    """Rows of one tier past the cursor (tier, key, id): all of them (True), none (False), or a key range."""
    if values is None:
        return True
    cursor_tier, *key = values
    if tier == cursor_tier:
        return _beyond(KEY_ORDER, tuple(key), forward)
    later = tier < cursor_tier  # the breached tier (1) is served before the other (0)
    return later if forward else not later


def _key_of(row: sa.Row, order: tuple) -> tuple:
    mapping = row._mapping
    return tuple(mapping[col.key] for col, _, _ in order)


def _load_rows(item_ids: list[int], viewer_id: int, now: datetime) -> list[QueueRow]:
    """Details for one page of items in a single query (the keyset query stays narrow)."""
    if not item_ids:
        return []
    result = db.session.execute(
        sa.select(ReviewItem, Proof.campaign_id, Proof.worker_id, ProofScore.risk_score, ProofScore.route,
                  ProofScore.signals, ProofScore.reasons, ProofScore.degraded, StaffUser.name, Campaign.reward_cents)
        .join(Proof, Proof.id == ReviewItem.proof_id)
        .outerjoin(Campaign, Campaign.id == Proof.campaign_id)
        .outerjoin(ProofScore, ProofScore.proof_id == ReviewItem.proof_id)
        .outerjoin(StaffUser, StaffUser.id == ReviewItem.claimed_by)
        .where(ReviewItem.id.in_(item_ids))).all()
    by_id = {r[0].id: r for r in result}
    cutoff = claim_cutoff(now)
    hours = sla.sla_hours()
    rows = []
    for item_id in item_ids:
        item, campaign_id, worker_id, risk, route, signals, reasons, degraded, claimer, cents = by_id[item_id]
        waited = (now - item.created_at).total_seconds()
        active = item.status == "claimed" and item.claimed_at is not None and item.claimed_at >= cutoff
        rows.append(QueueRow(
            item_id=item.id, proof_id=item.proof_id, queue=item.queue, status=item.status,
            campaign_id=campaign_id, worker_id=worker_id, risk=item.priority if risk is None else risk,
            route=route, degraded=bool(degraded), top_signals=top_signals(signals, reasons),
            waiting_seconds=waited, money_cents=cents, age_weight=priority.age_weight(waited, item.queue, hours),
            claimed_by=claimer if active else None, claimed_by_me=active and item.claimed_by == viewer_id,
            due_seconds=None if item.status == "decided"
            else sla.seconds_left(item.created_at, item.queue, now, hours)))
    return rows


def top_signals(signals: list | None, reasons: str | None, limit: int = 3) -> list[dict]:
    """The strongest signals first; falls back to the bare codes when no detail was stored."""
    detailed = [s for s in (signals or []) if isinstance(s, dict) and s.get("code")]
    if detailed:
        return sorted(detailed, key=lambda s: -float(s.get("score") or 0))[:limit]
    return [{"code": code, "score": None, "reason": ""} for code in (reasons or "").split(";") if code][:limit]


# -- counts and charts -----------------------------------------------------------------------------

def _decile() -> sa.ColumnElement[int]:
    return sa.case(*[(ReviewItem.priority < (i + 1) / HISTOGRAM_BINS, i) for i in range(HISTOGRAM_BINS - 1)],
                   else_=HISTOGRAM_BINS - 1)


def pending_deciles(tabs: tuple[str, ...]) -> dict[str, list[int]]:
    """Pending items per queue and risk decile: one grouped pass over the pending rows only,
    which feeds the tab counts, the per-queue chart and the histogram of an unfiltered tab."""
    bucket = _decile().label("bucket")
    out = {tab: [0] * HISTOGRAM_BINS for tab in tabs}
    for queue, index, count in db.session.execute(
            sa.select(ReviewItem.queue, bucket, sa.func.count())
            .where(ReviewItem.queue.in_(tabs), ReviewItem.status.in_(PENDING))
            .group_by(ReviewItem.queue, bucket)):
        out[queue][int(index)] = count
    return out


def tab_counts(tabs: tuple[str, ...], deciles: dict[str, list[int]] | None = None) -> dict[str, int]:
    """Pending items per tab; for the auto tab, pending plus the unchecked QA sample (capped)."""
    deciles = deciles if deciles is not None else pending_deciles(tabs)
    counts = {tab: sum(deciles[tab]) for tab in tabs}
    if "auto" in tabs:
        sample = (sa.select(ReviewItem.id).where(_in_tab("auto"), ReviewItem.status == "decided")
                  .order_by(ReviewItem.id.desc()).limit(COUNT_CAP))
        counts["auto"] += db.session.scalar(sa.select(sa.func.count()).select_from(sample.subquery())) or 0
    return counts


def risk_histogram(filters: QueueFilters, viewer_id: int, now: datetime,
                   deciles: dict[str, list[int]] | None = None) -> tuple[list[int], bool]:
    """Items of the current view per risk decile, and whether only a sample was counted.

    Unfiltered pending tabs reuse `deciles`; filtered views and the QA tab count at most
    HISTOGRAM_SAMPLE rows (the newest for QA) so one chart never scans the whole history.
    """
    if deciles is not None and filters.tab in deciles and filters.tab != "auto" and not filters.narrowed:
        return deciles[filters.tab], False
    inner = filtered_items([_decile().label("bucket")], filters, viewer_id, now)
    if filters.tab == "auto":
        inner = inner.order_by(ReviewItem.id.desc())
    inner = inner.limit(HISTOGRAM_SAMPLE).subquery()
    counts = [0] * HISTOGRAM_BINS
    for index, count in db.session.execute(sa.select(inner.c.bucket, sa.func.count()).group_by(inner.c.bucket)):
        counts[int(index)] = count
    return counts, sum(counts) >= HISTOGRAM_SAMPLE


def next_qa_proof(filters: QueueFilters, viewer_id: int, now: datetime) -> str | None:
    """The newest sampled policy approval of the auto tab still waiting for a QA look."""
    query = filtered_items([ReviewItem.proof_id], filters, viewer_id, now).where(ReviewItem.status == "decided")
    return db.session.scalar(sorted_query(query, QA_ORDER, True).limit(1))
