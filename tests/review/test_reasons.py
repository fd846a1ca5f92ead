"""The managed reject-reason list: seniors add, reword and retire; decisions and the API follow it."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.auth.services.api_tokens import create_token
from app.review.services import reasons
from app.review.services.decisions import ReviewError, decide
from models import AuditEvent, Proof, RejectReason, db
from tests.review.helpers import put_in_queue

NEW = {"code": "fake_location", "label": "Faked location",
       "message_en": "Your location did not match the task's region.", "message_zh": "您的位置与任务要求的地区不符。"}


@pytest.fixture()
def headers(app) -> dict[str, str]:  # noqa: ANN001
    _, token = create_token("worker-app")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("role", ["moderator", "compliance", "operator"])
def test_only_seniors_and_admins_manage_the_list(client, login, role):
    login(role)
    assert client.get("/queue/reasons").status_code == 403
    assert client.post("/queue/reasons", data=NEW).status_code == 403
    assert client.post("/queue/reasons/fraud_bot/retire", data={"retire": "1"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RejectReason)) == 0


@pytest.mark.parametrize("role", ["senior_moderator", "admin"])
def test_a_senior_adds_a_reason_that_moderators_can_then_pick(client, imported, login, role):
    imported(2)
    login(role)
    page = client.get("/queue/reasons").get_data(as_text=True)
    assert "fraud_device_farm" in page and "此任务是在与其他账号共用的设备上完成的。" in page
    assert client.post("/queue/reasons", data=NEW).status_code == 302
    assert reasons.usable("fake_location") and reasons.find("fraud_bot") is not None  # built-ins written in too
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RejectReason)) == len(reasons.BUILT_IN) + 1
    put_in_queue("p1", "review", 0.6)
    proof_page = client.get("/queue/proofs/p1").get_data(as_text=True)
    assert 'value="fake_location"' in proof_page and "10 · Faked location" in proof_page
    assert client.post("/queue/reasons", data=NEW).status_code == 422  # the code exists
    assert client.post("/queue/reasons", data={**NEW, "code": "Bad Code!"}).status_code == 422
    assert client.post("/queue/reasons", data={**NEW, "code": "x_new", "message_zh": ""}).status_code == 422
    assert "reject_reason.added" in set(db.session.scalars(sa.select(AuditEvent.action)))


def test_rewording_reaches_the_worker_and_retiring_stops_new_rejections(client, imported, login, headers):
    imported(2)
    login("senior_moderator")
    client.post("/queue/reasons/fraud_proxy", data={
        "label": "Proxy or datacenter network", "message_en": "Please work from your own connection.",
        "message_zh": "请使用您自己的网络完成任务。"})
    put_in_queue("p1", "review", 0.6)
    decide(db.session.get(Proof, "p1"), "rejected", actor=None, actor_kind="system", reason_code="fraud_proxy")
    db.session.commit()
    status = client.get("/api/v1/proofs/p1", headers=headers).get_json()
    assert status["decision"]["reason_code"] == "fraud_proxy"
    assert status["decision"]["worker_message"] == {"en": "Please work from your own connection.",
                                                    "zh_CN": "请使用您自己的网络完成任务。"}
    assert client.post("/queue/reasons/fraud_proxy/retire", data={"retire": "1"}).status_code == 302
    listed = client.get("/api/v1/reject-reasons", headers=headers).get_json()["reasons"]
    assert "fraud_proxy" not in {r["code"] for r in listed} and "fraud_bot" in {r["code"] for r in listed}
    put_in_queue("p2", "review", 0.6)
    with pytest.raises(ReviewError):
        decide(db.session.get(Proof, "p2"), "rejected", actor=None, actor_kind="system", reason_code="fraud_proxy")
    db.session.rollback()
    # The stored decision still reads its (retired) reason's message.
    assert client.get("/api/v1/proofs/p1", headers=headers).get_json()["decision"]["worker_message"] is not None
    assert client.post("/queue/reasons/other/retire", data={"retire": "1"}).status_code == 422
    client.post("/queue/reasons/fraud_proxy/retire", data={"restore": "1"})
    assert reasons.usable("fraud_proxy")
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"reject_reason.edited", "reject_reason.retired", "reject_reason.restored"} <= actions


def test_an_empty_table_reads_as_the_built_in_list(app):  # noqa: ANN001
    assert [r.code for r in reasons.catalogue()] == list(reasons.BUILT_IN)
    assert reasons.usable("fraud_ring") and not reasons.usable("nonsense") and not reasons.usable(None)
    assert reasons.worker_message("duplicate_comment")["zh_CN"] == "该评论是从其他提交中复制的。"
