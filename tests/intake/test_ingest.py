"""POST /api/v1/proofs: accept, idempotent repeats, conflicts, commit before enqueue."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from redis.exceptions import ConnectionError as RedisConnectionError

from app.intake import routes
from models import AuditEvent, Proof, ProofScore, ProofState, db
from tests import factories as f

STATES = {s.value for s in ProofState}


def _count_proofs() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Proof))


def test_single_proof_is_accepted_stored_and_scored(api):
    response = api.post(f.proof(id="p1"))
    assert response.status_code == 202
    assert response.headers["Location"] == "/api/v1/proofs/p1"
    body = response.get_json()
    assert body["accepted"] == 1 and body["duplicate"] == 0
    [item] = body["items"]
    assert item["id"] == "p1" and item["status"] == "accepted" and item["url"] == "/api/v1/proofs/p1"
    stored = db.session.get(Proof, "p1")
    assert stored.source == "api"
    # Without REDIS_URL scoring ran in-process, so the proof left `received` before the response.
    assert item["state"] == stored.state != ProofState.RECEIVED.value


def test_batch_is_accepted_in_request_order(api):
    proofs = [f.proof(id=f"p{i}", worker_id=f"w{i}", ip=f"223.104.3.{i}") for i in (3, 1, 2)]
    response = api.post(proofs)
    assert response.status_code == 202
    assert "Location" not in response.headers
    body = response.get_json()
    assert [i["id"] for i in body["items"]] == ["p3", "p1", "p2"]
    assert body["accepted"] == 3 and {i["status"] for i in body["items"]} == {"accepted"}
    assert all(i["state"] in STATES for i in body["items"])
    assert _count_proofs() == 3


def test_repost_of_the_same_proof_is_a_duplicate(api):
    first = api.post([f.proof(id="p1"), f.proof(id="p2", worker_id="w2")])
    assert first.status_code == 202
    again = api.post([f.proof(id="p1"), f.proof(id="p2", worker_id="w2"), f.proof(id="p3", worker_id="w3")])
    assert again.status_code == 202
    body = again.get_json()
    assert [(i["id"], i["status"]) for i in body["items"]] == [("p1", "duplicate"), ("p2", "duplicate"),
                                                               ("p3", "accepted")]
    assert body["items"][0]["state"] == db.session.get(Proof, "p1").state
    assert _count_proofs() == 3


def test_duplicate_is_recognised_after_normalisation(api):
    api.post(f.proof(id="p1"))
    same = f.proof(id="p1", submitted_at="2026-10-01T12:05:00Z", accepted_at="2026-10-01T12:00:00+00:00",
                   screenshot_sha256="A" * 64, extra_key_clients_may_send="ignored")
    response = api.post(same)
    assert response.status_code == 202
    assert response.get_json()["items"][0]["status"] == "duplicate"
    assert _count_proofs() == 1


def test_conflicting_repost_is_refused_and_evidence_kept(api):
    api.post(f.proof(id="p1"))
    changed = f.proof(id="p1", comment_text="改过的评论", ip="10.0.0.9", device=f.device(fingerprint="fp-other"))
    response = api.post([f.proof(id="p2", worker_id="w2"), changed])
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "conflict"
    assert {(p["index"], p["id"], p["field"]) for p in body["items"]} == {
        (1, "p1", "comment_text"), (1, "p1", "ip"), (1, "p1", "device.fingerprint")}
    assert db.session.get(Proof, "p1").comment_text == f.proof()["comment_text"]
    assert db.session.get(Proof, "p2") is None  # all or nothing: the good item was not stored either
    assert "10.0.0.9" not in response.get_data(as_text=True)


def test_ingest_writes_one_audit_row_naming_the_client(api):
    api.post([f.proof(id="p1"), f.proof(id="p2", worker_id="w2")])
    api.post(f.proof(id="p1"))  # a pure repeat changes nothing, so it writes nothing
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "proof.ingested")).all()
    assert len(events) == 1
    assert events[0].actor_label == "api:partner-app" and events[0].data["proof_ids"] == ["p1", "p2"]


def test_scoring_is_queued_after_commit_with_only_the_new_ids(api, app, monkeypatch):
    api.post(f.proof(id="p1"))
    seen: list[tuple[list[str], int]] = []

    def fake_enqueue(ids: list[str]) -> list[str]:
        with db.engine.connect() as other:  # a separate connection sees only committed rows
            visible = other.scalar(sa.select(sa.func.count()).select_from(Proof).where(Proof.id.in_(ids)))
        seen.append((list(ids), visible))
        return []

    monkeypatch.setattr(routes, "enqueue_scoring", fake_enqueue)
    response = api.post([f.proof(id="p1"), f.proof(id="p2", worker_id="w2")])
    assert response.status_code == 202
    assert seen == [(["p2"], 1)]
    assert response.get_json()["items"][1]["state"] == ProofState.RECEIVED.value


def test_repeat_of_an_unscored_proof_queues_it_again(api, monkeypatch):
    monkeypatch.setattr(routes, "enqueue_scoring", lambda ids: [])  # the first enqueue is lost
    api.post(f.proof(id="p1"))
    assert db.session.get(Proof, "p1").state == ProofState.RECEIVED.value
    monkeypatch.undo()
    response = api.post(f.proof(id="p1"))
    item = response.get_json()["items"][0]
    assert item["status"] == "duplicate" and item["state"] != ProofState.RECEIVED.value


def test_redis_outage_does_not_lose_the_proof(api, monkeypatch):
    def broken(ids: list[str]) -> list[str]:
        raise RedisConnectionError("connection refused")

    monkeypatch.setattr(routes, "enqueue_scoring", broken)
    response = api.post(f.proof(id="p1"))
    assert response.status_code == 202
    assert db.session.get(Proof, "p1").state != ProofState.RECEIVED.value  # scored in the request instead
    assert db.session.get(ProofScore, "p1") is not None


def test_when_scoring_fails_too_the_proof_is_kept_for_flask_score(api, monkeypatch, runner):
    def broken(ids: list[str]) -> list[str]:
        raise RedisConnectionError("connection refused")

    def failing(ids: list[str]) -> int:
        raise RuntimeError("model store unreachable")

    monkeypatch.setattr(routes, "enqueue_scoring", broken)
    monkeypatch.setattr(routes, "score_batch", failing)
    response = api.post(f.proof(id="p1"))
    assert response.status_code == 202
    assert response.get_json()["items"][0]["state"] == ProofState.RECEIVED.value
    monkeypatch.undo()
    assert "scored 1 unscored proofs" in runner.invoke(args=["score"]).output


def test_ids_with_a_slash_round_trip(api):
    response = api.post(f.proof(id="batch-7/p1"))
    assert response.status_code == 202
    url = response.get_json()["items"][0]["url"]
    assert api.client.get(url, headers=api.headers()).get_json()["id"] == "batch-7/p1"


def test_numeric_ids_are_stored_as_text(api):
    response = api.post(f.proof(id=12345))
    assert response.get_json()["items"][0]["id"] == "12345"
    assert api.get("12345").status_code == 200


def test_a_concurrent_store_of_the_same_id_with_other_content_is_a_conflict(api, monkeypatch):
    from app.intake.services import intake

    api.post(f.proof(id="p1"))
    real = intake.stored_evidence
    reads: list[list[str]] = []

    def first_read_misses(ids: list[str]) -> dict:
        """The first read misses p1, as if another request stored it right after that read."""
        reads.append(ids)
        return {} if len(reads) == 1 else real(ids)

    monkeypatch.setattr(intake, "stored_evidence", first_read_misses)
    response = api.post(f.proof(id="p1", comment_text="another body"))
    assert response.status_code == 409
    assert response.get_json()["items"][0]["field"] == "comment_text"
    assert db.session.get(Proof, "p1").comment_text == f.proof()["comment_text"]


def test_scoring_keeps_its_prepared_statements_between_requests(api):
    """A request that ended in a rollback would make PostgreSQL plan every lookup afresh."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    for i in range(8):
        assert api.post(f.proof(id=f"prep{i}")).status_code == 202
        db.session.remove()  # what the end of a real request's app context does
    reused = db.session.scalar(sa.text("SELECT count(*) FROM pg_prepared_statements WHERE generic_plans > 0"))
    assert reused > 0



def test_the_status_tells_the_worker_why_in_their_language(api, monkeypatch):
    from app.review.services.decisions import decide

    monkeypatch.setattr(routes, "enqueue_scoring", lambda ids: [])
    api.post(f.proof(id="p1"))
    decide(db.session.get(Proof, "p1"), "rejected", actor=None, actor_kind="system", reason_code="duplicate_screenshot")
    db.session.commit()

    def status(language: str) -> dict:
        return api.client.get("/api/v1/proofs/p1", headers={**api.headers(), "Accept-Language": language}).get_json()

    english, chinese, unspecified = status("en"), status("zh-CN"), status("")
    assert (english["state_text"], english["decision"]["reason_text"]) == ("rejected", "Reused screenshot")
    assert (chinese["state_text"], chinese["decision"]["reason_text"]) == ("已驳回", "重复使用的截图")
    assert chinese["decision"]["reason_code"] == english["decision"]["reason_code"] == "duplicate_screenshot"
    assert unspecified["state_text"] == "rejected"  # machine clients get English unless they ask
