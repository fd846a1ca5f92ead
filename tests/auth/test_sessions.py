"""Sessions end on the server: a copied cookie dies with sign-out, disabling and a role change, and a
sign-in for an unknown email costs the same password check as a wrong password."""
from __future__ import annotations

import sqlalchemy as sa
from argon2 import PasswordHasher

from app.auth.routes import load_user
from app.auth.services import accounts
from app.auth.services.staff import authenticate
from models import AuditEvent, StaffUser, db
from models import staff as staff_model


def _sign_in(client, email: str):  # noqa: ANN001, ANN202
    return client.post("/login", data={"email": email, "password": "correct-horse"})


def test_signing_out_everywhere_kills_every_copy_of_the_cookie(client, staff):
    user = staff("moderator")
    assert _sign_in(client, user.email).status_code == 302
    copied = user.get_id()  # what the session cookie carries
    client.post("/logout", data={"submit": "1"})  # this browser only: the other devices stay signed in
    db.session.expire_all()
    assert load_user(copied) is not None
    assert _sign_in(client, user.email).status_code == 302
    client.post("/account/sign-out-everywhere", data={"submit": "1"})
    db.session.expire_all()
    assert load_user(copied) is None and client.get("/queue/").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "staff.signed_out_everywhere")) == 1
    assert _sign_in(client, user.email).status_code == 302 and load_user(user.get_id()) is not None


def test_disabling_ends_sessions_for_good_and_a_role_change_asks_for_a_new_sign_in(app, staff):
    admin, user = staff("admin"), staff("moderator")
    before = user.get_id()
    accounts.set_active(user.id, False, actor=admin, reason="phished")
    accounts.set_active(user.id, True, actor=admin, reason="password changed by the owner")
    db.session.commit()
    assert load_user(before) is None  # enabled again, the stolen cookie still does not work
    current = user.get_id()
    accounts.change_role(user.id, "senior_moderator", actor=admin, reason="promoted")
    db.session.commit()
    assert load_user(current) is None and load_user(user.get_id()) is not None


def test_an_unknown_or_disabled_email_spends_a_password_check(app, staff, monkeypatch):
    checks = []

    class Counting(PasswordHasher):
        def verify(self, *args):  # noqa: ANN002, ANN202
            checks.append(1)
            return super().verify(*args)
    monkeypatch.setattr(staff_model, "PASSWORDS", Counting())
    assert authenticate("nobody@example.test", "correct-horse") is None
    user = staff("moderator")
    user.active = False
    db.session.commit()
    assert authenticate(user.email, "correct-horse") is None
    assert len(checks) == 2


def test_a_throttled_account_writes_one_audit_row_per_pause(client, staff, app):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "2 per 15 minutes"
    user = staff("moderator")
    statuses = [client.post("/login", data={"email": user.email, "password": "guess"}).status_code
                for _ in range(8)]
    assert statuses[:2] == [401, 401] and set(statuses[2:]) == {429}
    rows = db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "staff.login_throttled"))
    assert rows == 1
    assert db.session.scalar(sa.select(StaffUser.active).where(StaffUser.id == user.id))
