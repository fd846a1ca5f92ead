"""The queue list grouped by worker and by ring."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import ReviewItem, db
from models.review import QUEUE_STATUS_STATISTICS
from tests.review.cluster_world import ring_world
from tests.review.helpers import put_in_queue


@pytest.fixture()
def holds(runner, world):  # noqa: ANN001, ANN201
    ring_world(world)
    result = runner.invoke(args=["import", str(world.write()), "--no-score"])
    assert result.exit_code == 0, result.output
    for i, pid in enumerate(["p1a", "p1b", "p2a", "p3a", "p3b", "p4a", "p5a", "p7a", "p7b"]):
        put_in_queue(pid, "hold", 0.9 - i * 0.05)


def _rows(client, group: str) -> list[list[str]]:  # noqa: ANN001
    import re

    html = client.get(f"/queue/groups?q=hold&by={group}").get_data(as_text=True)
    table = html.split('id="group-table"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr data-href=\"([^\"]+)\">(.*?)</tr>", table, re.S)
    return [[href] + [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)]
            for href, body in rows]


def test_group_by_worker_counts_each_workers_holds(client, login, holds):
    login("moderator")
    rows = _rows(client, "worker")
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("w1", "1", "2"), ("w3", "1", "2"), ("w7", "1", "2"), ("w2", "1", "1"), ("w4", "1", "1"), ("w5", "1", "1")]
    assert rows[0][0].endswith("/queue/proofs/p1a/cluster")  # the row opens the cluster of its riskiest proof
    assert rows[0][4] == "¥8.00"


def test_group_by_ring_joins_linked_workers_but_not_a_shared_data_centre(client, login, holds):
    login("moderator")
    rows = _rows(client, "ring")
    assert [(r[1].split()[0], r[2], r[3]) for r in rows] == [("w1", "4", "6"), ("w7", "1", "2"), ("w5", "1", "1")]
    assert rows[0][6].split() == ["device", "screenshot"]


def test_the_qa_sample_groups_by_worker_and_ring_though_its_items_are_decided(client, login, runner, world):
    """Policy approvals sampled for QA: decided items, which no longer carry their worker and money."""
    import pandas as pd

    from app.scoring.services.scoring import route_proofs

    ring_world(world)
    assert runner.invoke(args=["import", str(world.write()), "--no-score"]).exit_code == 0
    ids = ["p1a", "p1b", "p2a"]
    route_proofs(pd.DataFrame({"proof_id": ids, "route": ["auto_approve"] * 3, "risk_score": [0.1, 0.05, 0.2],
                               "degraded": [False] * 3}))
    db.session.execute(sa.update(ReviewItem).where(ReviewItem.proof_id.in_(ids)).values(qa_due=True))  # drawn
    db.session.commit()
    assert db.session.scalars(sa.select(ReviewItem.worker_id).where(ReviewItem.proof_id.in_(ids))).all() == [None] * 3
    login("moderator")
    html = client.get("/queue/groups?q=auto&by=worker").get_data(as_text=True)
    assert client.get("/queue/groups?q=auto&by=worker").status_code == 200
    assert client.get("/queue/groups?q=auto&by=ring").status_code == 200
    assert client.get("/queue/groups?q=auto&by=worker&worker=w1").status_code == 200  # a filter joins proofs
    sampled = html.count("<tr data-href=")
    assert sampled >= 1 and "None" not in html.split('id="group-table"', 1)[1]


def test_an_unknown_grouping_is_refused(client, login, holds):
    login("moderator")
    assert client.get("/queue/groups?q=hold&by=brand").status_code == 400
    assert client.get("/queue/groups?q=senior&by=ring").status_code == 403  # not a senior's view
    assert 'id="group-by-ring"' in client.get("/queue/?q=hold").get_data(as_text=True)


def test_postgresql_knows_how_queue_and_status_go_together(app):  # noqa: ANN001
    """Without the pair's statistics the riskiest-items read of a big backlog sorts the whole backlog."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("extended statistics are PostgreSQL's")
    columns = db.session.execute(sa.text(
        "SELECT array_agg(a.attname ORDER BY a.attname) FROM pg_statistic_ext s"
        " JOIN pg_attribute a ON a.attrelid = s.stxrelid AND a.attnum = ANY(s.stxkeys)"
        " WHERE s.stxname = :name GROUP BY s.stxname"), {"name": QUEUE_STATUS_STATISTICS}).scalar()
    assert columns == ["queue", "status"]
