"""The queue list: tabs, priority order, filters, keyset pagination, counts and charts."""
from __future__ import annotations

import re

import pytest

from app.review.services.queue import QA_SAMPLE_EVERY, QueueFilters, list_page, tab_counts
from models import ReviewItem, db, utcnow
from tests.review.helpers import put_in_queue

ROW = re.compile(rb'<tr data-href="/queue/proofs/(\w+)')


def rows(response) -> list[str]:  # noqa: ANN001
    assert response.status_code == 200, response.data[:500]
    return [m.decode() for m in ROW.findall(response.data)]


@pytest.fixture()
def queued(imported):
    imported(8)
    risks = {"p1": 0.91, "p2": 0.55, "p3": 0.72, "p4": 0.55, "p5": 0.2, "p6": 0.55, "p7": 0.88, "p8": 0.4}
    signals = {"p2": [{"code": "ip.hosting_asn", "score": 0.9, "reason": "hosting"}],
               "p4": [{"code": "ip.hosting_asn_v2", "score": 0.9, "reason": "not the same code"}]}
    for proof_id, risk in risks.items():
        queue = "hold" if risk > 0.7 else "review"
        put_in_queue(proof_id, queue, risk, route="hold" if queue == "hold" else "review",
                     signals=signals.get(proof_id))
    return risks


def test_tabs_sort_by_risk_then_age(client, queued, login):
    login("moderator")
    assert rows(client.get("/queue/?q=hold")) == ["p1", "p7", "p3"]
    assert rows(client.get("/queue/?q=review")) == ["p2", "p4", "p6", "p8", "p5"]  # ties: oldest item first


def test_default_tab_is_the_riskiest_with_work(client, queued, login):
    login("moderator")
    assert rows(client.get("/queue/")) == ["p1", "p7", "p3"]


@pytest.mark.parametrize(("query", "expected"), [
    ("campaign=c1", ["p1", "p7", "p3"]),  # odd proofs are on c1
    ("campaign=c2", []),
    ("brand=b2", []),
    ("brand=b1", ["p1", "p7", "p3"]),
    ("worker=w7", ["p7"]),
    ("route=hold", ["p1", "p7", "p3"]),
    ("route=review", []),
])
def test_filters_narrow_the_hold_tab(client, queued, login, query, expected):
    login("moderator")
    assert rows(client.get(f"/queue/?q=hold&{query}")) == expected


def test_brand_and_signal_filters_on_review_tab(client, queued, login):
    login("moderator")
    assert rows(client.get("/queue/?q=review&brand=b2")) == ["p2", "p4", "p6", "p8"]
    assert rows(client.get("/queue/?q=review&signal=ip.hosting_asn")) == ["p2"]  # exact code, not a prefix


def test_claimed_by_me_filter(client, queued, login):
    login("moderator")
    client.post("/queue/claim-next?q=review", data={"claim": "1"})
    assert rows(client.get("/queue/?q=review&mine=1")) == ["p2"]


def test_keyset_pages_walk_forward_and_back_without_gaps(app, client, queued, login):
    app.config["QUEUE_PAGE_SIZE"] = 2
    login("moderator")
    seen, url, pages = [], "/queue/?q=review", []
    while url:
        response = client.get(url)
        pages.append(rows(response))
        seen += pages[-1]
        nxt = re.search(rb'href="([^"]+)" rel="next"', response.data)
        url = nxt.group(1).decode().replace("&amp;", "&") if nxt else None
    assert pages == [["p2", "p4"], ["p6", "p8"], ["p5"]]
    assert seen == ["p2", "p4", "p6", "p8", "p5"]
    prev = re.search(rb'href="([^"]+)" rel="prev"', response.data).group(1).decode().replace("&amp;", "&")
    assert rows(client.get(prev)) == ["p6", "p8"]


def test_keyset_cursor_is_stable_when_items_are_decided_meanwhile(app, queued, staff):
    user = staff("moderator")
    filters = QueueFilters(tab="review")
    first = list_page(filters, user.id, utcnow(), limit=2)
    db.session.query(ReviewItem).filter(ReviewItem.proof_id.in_(["p2", "p4"])).update({"status": "decided"})
    second = list_page(filters, user.id, utcnow(), after=first.next_cursor, limit=2)
    assert [r.proof_id for r in second.rows] == ["p6", "p8"]


def test_bad_cursor_is_a_400(client, queued, login):
    login("moderator")
    assert client.get("/queue/?q=review&after=0.5_notanid").status_code == 400
    assert client.get("/queue/?q=review&after=1_2_3_4").status_code == 400
    assert client.get("/queue/?q=review&after=1_0.5_x").status_code == 400


def test_counts_per_tab_and_charts(client, queued, login):
    login("senior_moderator")
    assert tab_counts(("hold", "review", "senior", "auto")) == {"hold": 3, "review": 5, "senior": 0, "auto": 0}
    page = client.get("/queue/?q=review").data
    assert page.count(b'<svg class="chart"') == 2
    assert b"Review \xc2\xb7 medium risk: 4</title>" in page  # stacked bar segment: p2, p4, p6, p8
    assert b"Review \xc2\xb7 low risk: 1</title>" in page
    assert b"risk 0.5\xe2\x80\x930.6: 3</title>" in page  # histogram bin of p2, p4, p6


def test_auto_tab_shows_degraded_items_and_a_qa_sample(app, imported, login, client):
    ids = imported(QA_SAMPLE_EVERY + 2)
    for proof_id in ids:
        put_in_queue(proof_id, "auto", 0.05, route="auto_approve")
    db.session.query(ReviewItem).filter(ReviewItem.proof_id != "p3").update({"status": "decided"})
    db.session.commit()
    login("moderator")
    shown = rows(client.get("/queue/?q=auto"))
    sampled = [i.proof_id for i in db.session.query(ReviewItem).filter(ReviewItem.id % QA_SAMPLE_EVERY == 0)]
    assert sorted(shown) == sorted({"p3", *sampled}) and len(shown) < len(ids)


def test_histogram_follows_the_filters(client, queued, login):
    login("moderator")
    page = client.get("/queue/?q=review&worker=w2").data
    assert b"risk 0.5\xe2\x80\x930.6: 1</title>" in page  # only p2 of the three 0.55 items
    assert b"risk 0.2\xe2\x80\x930.3: 0</title>" in page
