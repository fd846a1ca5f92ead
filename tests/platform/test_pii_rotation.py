"""`flask pii rotate`: every stored personal value ends up under the newest key, resumably."""
from __future__ import annotations

import sqlalchemy as sa
from cryptography.fernet import Fernet

from app.platform.pii import PiiVault
from app.platform.pii_rotation import rotate_column
from models import AuditEvent, Brand, Proof, Worker, db
from tests.money import helpers as h

HMAC = "h" * 32
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _world(app, proofs: int = 5) -> None:  # noqa: ANN001
    old = PiiVault.from_keys(OLD, HMAC)
    h.world()
    for i in range(proofs):
        h.proof(f"p{i}").ip_enc = old.encrypt(f"10.0.0.{i}")
    db.session.get(Worker, "w1").phone_enc = old.encrypt("+8613800138000")
    db.session.get(Brand, "b1").license_no_enc = old.encrypt("91310000MA1FL8XQ3B")
    db.session.commit()
    app.extensions["pii"] = PiiVault.from_keys(f"{NEW},{OLD}", HMAC)


def _readable_with_new_key_alone() -> dict[str, str]:
    newest = PiiVault.from_keys(NEW, HMAC)
    db.session.expire_all()
    values = {pid: newest.decrypt(enc) for pid, enc in db.session.execute(sa.select(Proof.id, Proof.ip_enc))}
    values["w1"] = newest.decrypt(db.session.get(Worker, "w1").phone_enc)
    values["b1"] = newest.decrypt(db.session.get(Brand, "b1").license_no_enc)
    return values


def test_rotate_re_encrypts_everything_under_the_newest_key_and_a_second_run_does_nothing(app, runner):
    _world(app)
    result = runner.invoke(args=["pii", "rotate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "proofs.ip_enc: 5 of 5 values re-encrypted under the newest key" in result.output
    assert "workers.phone_enc: 1 of 1" in result.output and "brands.contact_email_enc: nothing stored" in result.output
    assert "... proofs.ip_enc: 4 of 5 checked" in result.output  # progress per batch
    values = _readable_with_new_key_alone()
    assert values["p3"] == "10.0.0.3" and values["w1"] == "+8613800138000" and values["b1"] == "91310000MA1FL8XQ3B"
    again = runner.invoke(args=["pii", "rotate"])
    assert "proofs.ip_enc: 0 of 5 values re-encrypted" in again.output
    rotated = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "pii.rotated"))
    counts = [event.data["count"] for event in rotated]
    assert sum(counts) == 7  # 5 addresses, a phone, a licence: each audited once, with its batch


def test_a_stopped_rotation_resumes_where_it_stopped(app, runner):
    _world(app)
    vault = app.extensions["pii"]
    batches = rotate_column(Proof.__table__, "id", "ip_enc", vault, batch_size=2)
    first = next(batches)
    db.session.commit()  # one batch committed, then the process died
    assert (first.checked, first.rotated) == (2, 2)
    result = runner.invoke(args=["pii", "rotate", "--batch-size", "2"])
    assert "proofs.ip_enc: 3 of 5 values re-encrypted" in result.output
    assert _readable_with_new_key_alone()["p0"] == "10.0.0.0"


def test_a_value_no_key_opens_stops_the_run_naming_the_problem(app, runner):
    _world(app)
    app.extensions["pii"] = PiiVault.from_keys(NEW, HMAC)  # the old key was dropped too early
    result = runner.invoke(args=["pii", "rotate"])
    assert result.exit_code != 0
    assert "not in PII_KEYS" in str(result.exception)
