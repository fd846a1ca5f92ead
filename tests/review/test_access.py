"""Role checks: every queue route is for moderators, senior moderators and admins only; operators may
read a proof's evidence page (their backtests link to it), never act on it."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import AuditEvent, ReviewItem, db
from tests.review.helpers import put_in_queue

ROUTES = [("get", "/queue/"), ("post", "/queue/claim-next"), ("get", "/queue/proofs/p1"),
          ("post", "/queue/proofs/p1/decide"), ("post", "/queue/proofs/p1/release"), ("post", "/queue/proofs/p1/qa"),
          ("post", "/queue/proofs/p1/relieve")]
OPERATORS_READ = ("get", "/queue/proofs/p1")


@pytest.mark.parametrize("role", ["compliance", "operator"])
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_non_moderation_roles_get_403(client, imported, login, role, method, path):
    if role == "operator" and (method, path) == OPERATORS_READ:
        pytest.skip("operators read the evidence page: test_operators_read_the_proof_page_without_acting")
    imported(1)
    put_in_queue("p1", "review", 0.5)
    login(role)
    response = getattr(client, method)(path, data={"approve": "1"})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(ReviewItem.status).where(ReviewItem.proof_id == "p1")) == "open"


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anonymous_is_sent_to_sign_in(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("role", ["moderator", "senior_moderator", "admin"])
def test_moderation_roles_see_the_queue(client, imported, login, role):
    imported(1)
    put_in_queue("p1", "review", 0.5)
    login(role)
    assert client.get("/queue/?q=review").status_code == 200
    assert client.get("/queue/proofs/p1").status_code == 200


def test_senior_tab_is_for_senior_roles(client, imported, login):
    imported(1)
    put_in_queue("p1", "senior", 0.5)
    login("moderator")
    page = client.get("/queue/")
    assert b"Senior" not in page.data.split(b"<main>")[1].split(b"</nav>")[0]
    assert client.get("/queue/?q=senior").status_code == 403
    assert client.post("/queue/claim-next?q=senior", data={"claim": "1"}).status_code == 403


def test_get_pages_never_write(client, imported, login):
    imported(2)
    put_in_queue("p1", "hold", 0.9)
    login("moderator")
    audit_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    for path in ("/queue/", "/queue/?q=hold", "/queue/proofs/p1", "/queue/proofs/p2"):
        assert client.get(path).status_code == 200
    db.session.expire_all()
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == "p1"))
    assert (item.status, item.claimed_by) == ("open", None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == audit_before


def test_unknown_tab_or_route_is_a_clear_400(client, imported, login):
    imported(1)
    login("moderator")
    assert client.get("/queue/?q=nonsense").status_code == 400
    response = client.get("/queue/?q=review&route=maybe")
    assert response.status_code == 400 and b"route" in response.data


@pytest.mark.parametrize(("role", "home"), [("moderator", "/queue/"), ("senior_moderator", "/queue/"),
                                            ("compliance", "/compliance/brands"), ("operator", "/rules/"),
                                            ("admin", "/admin/")])
def test_sign_in_lands_on_the_roles_home_page(client, staff, auth, role, home):
    staff(role)
    response = auth.login(f"{role}@example.test")
    assert response.status_code == 302 and response.location == home
    # the nav shows the queue to moderators (and to admins, who pass every role check)
    assert (b'href="/queue/"' in client.get(home).data) is (role in ("moderator", "senior_moderator", "admin"))


def test_operators_read_the_proof_page_without_acting(client, imported, login):
    imported(1)
    put_in_queue("p1", "review", 0.5)
    login("operator")
    page = client.get("/queue/proofs/p1")
    assert page.status_code == 200
    html = page.data.decode()
    assert 'id="read-only"' in html and "IP on 3 accounts" in html
    for control in ('id="decision-form"', 'id="relief-form"', 'id="claim-next"', 'id="open-cluster"'):
        assert control not in html
    assert client.get("/queue/").status_code == 403
    assert db.session.scalar(sa.select(ReviewItem.status).where(ReviewItem.proof_id == "p1")) == "open"
