"""The short path for one new proof on PostgreSQL (app/intake/services/single.py): same answers,
same audit chain, same campaign caps as the general path, in fewer statements."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.intake.services import single
from app.platform import sql
from app.platform.audit import record, verify_chain
from models import ApiClient, AuditEvent, Campaign, Proof, WorkerSanction, db, utcnow
from tests import factories as f


@pytest.fixture()
def postgres(seeded):  # noqa: ANN001, ANN201
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the short path is PostgreSQL's; elsewhere every request takes the general path")


def _statements(run) -> list[str]:  # noqa: ANN001
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return seen


def test_one_new_proof_takes_two_round_trips_and_one_chained_audit_event(api, postgres, app, monkeypatch):
    assert api.post(f.proof(id="warm")).status_code == 202  # through the route: the chain head exists
    client = db.session.scalars(sa.select(ApiClient)).one()
    pipelined = []
    monkeypatch.setattr(single, "pipelined_first", lambda *args: pipelined.append(args) or sql.pipelined_first(*args))
    result = []
    seen = _statements(lambda: result.append(single.ingest_single(f.proof(id="p1"), app.extensions["pii"], client)))
    db.session.commit()
    assert len(pipelined) == 1  # BEGIN, the plan cache mode and the screen, sent together
    assert len(seen) == 1 and "INSERT INTO" in seen[0], seen  # then the insert with its audit event
    assert result[0].new_ids == ["p1"] and result[0].pending_scoring
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "proof.ingested")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.data == {"accepted": 1, "duplicate": 0, "proof_ids": ["p1"]}
    assert event.actor_label == "api:partner-app" and event.object_id == str(client.id)
    assert verify_chain().ok
    assert db.session.get(Proof, "p1").source == "api"


def test_anything_but_a_new_proof_goes_the_general_way_having_written_nothing(api, postgres, app):
    vault = app.extensions["pii"]
    assert api.post(f.proof(id="p1")).status_code == 202
    events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert single.ingest_single(f.proof(id="p1"), vault, None) is None  # stored: duplicate or conflict
    assert single.ingest_single(f.proof(id="p2", worker_id="nobody"), vault, None) is None
    assert single.ingest_single(f.proof(id="p3", campaign_id="nowhere"), vault, None) is None
    assert single.ingest_single({"id": "p4"}, vault, None) is None  # invalid: the general path names the field
    db.session.add(WorkerSanction(worker_id="w2", kind="ban", scope="campaign", scope_id="other", reason="x",
                                  created_by=_staff_id()))
    db.session.flush()
    assert single.ingest_single(f.proof(id="p5", worker_id="w2"), vault, None) is None  # banned: held there
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proof)) == 1


def _plan_cache_mode() -> str:
    return db.session.scalar(sa.text("SHOW plan_cache_mode"))


def test_generic_plans_are_allowed_in_the_short_paths_transaction_only(api, postgres, app):
    vault, default = app.extensions["pii"], _plan_cache_mode()
    assert default == "force_custom_plan"  # every connection's setting (app/__init__.py)
    db.session.commit()
    assert single.ingest_single(f.proof(id="p1"), vault, None) is not None
    assert _plan_cache_mode() == "auto"  # for the rest of this transaction only
    db.session.commit()
    assert _plan_cache_mode() == default
    assert single.ingest_single(f.proof(id="p1"), vault, None) is None  # screened, then sent the general way
    assert _plan_cache_mode() == default  # which plans as everywhere else
    db.session.rollback()


def test_a_full_campaign_refuses_on_the_short_path_as_on_the_general_one(api, postgres):
    db.session.get(Campaign, "c1").max_completions = 1
    db.session.commit()
    assert api.post(f.proof(id="p1")).status_code == 202
    refused = api.post(f.proof(id="p2"))
    assert refused.status_code == 422
    assert refused.get_json()["items"][0]["field"] == "campaign_id"
    assert "full" in refused.get_json()["items"][0]["problem"]


WRITERS, EACH, CAP = 4, 8, 20


def test_concurrent_single_proofs_keep_the_cap_and_one_audit_chain(app, postgres):
    """Writers on real connections: the campaign lock keeps the cap, the chain lock keeps one chain,
    with other audit writers (record()) in between."""
    db.session.get(Campaign, "c1").max_completions = CAP
    db.session.commit()
    vault, start, errors, stored = app.extensions["pii"], threading.Barrier(WRITERS + 1), [], []

    def ingest(n: int) -> None:
        with app.app_context():
            try:
                start.wait()
                for i in range(EACH):
                    result = single.ingest_single(f.proof(id=f"t{n}-{i}", worker_id=f"w{1 + i % 3}"), vault, None)
                    db.session.commit()
                    stored.extend(result.new_ids if result else [])
            except Exception as exc:  # noqa: BLE001 - reported by the main thread
                errors.append(exc)
            finally:
                db.session.remove()

    def other_writer() -> None:
        with app.app_context():
            try:
                start.wait()
                for i in range(EACH):
                    record("proof.approved", "proof", f"x{i}", actor_label="moderator", data={"i": i})
                    db.session.commit()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=ingest, args=(n,)) for n in range(WRITERS)]
    threads.append(threading.Thread(target=other_writer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    db.session.expire_all()
    assert len(stored) == CAP == db.session.scalar(sa.select(sa.func.count()).select_from(Proof))
    report = verify_chain()
    assert report.ok, report.problem
    assert report.checked == CAP + EACH
    prevs = db.session.scalars(sa.select(AuditEvent.prev_hash)).all()
    assert len(set(prevs)) == len(prevs)


def _staff_id() -> int:
    from models import StaffUser

    user = StaffUser(email="senior@example.com", name="Senior", role="senior", password_hash="x")
    db.session.add(user)
    db.session.flush()
    return user.id


def test_the_ban_check_is_the_workers_own(app, postgres):
    """A ban on another worker does not send this one's proof the long way."""
    db.session.add(WorkerSanction(worker_id="w3", kind="ban", scope="platform", reason="x", created_by=_staff_id(),
                                  starts_at=utcnow()))
    db.session.commit()
    assert single.ingest_single(f.proof(id="p1", worker_id="w1"), app.extensions["pii"], None) is not None
