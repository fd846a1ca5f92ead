"""A password an admin handed over is changed by its owner before anything else opens; anyone
changes their own password from their account page."""
from __future__ import annotations

import sqlalchemy as sa

from app.auth.services import accounts
from models import AuditEvent, StaffUser, db


def _sign_in(client, email: str, password: str):  # noqa: ANN001, ANN202
    return client.post("/login", data={"email": email, "password": password})


def _change(client, current: str, new: str, again: str | None = None):  # noqa: ANN001, ANN202
    return client.post("/account/password", data={"current": current, "new": new, "again": again or new})


def test_an_invited_person_chooses_a_password_before_anything_else(client, staff):
    admin = staff("admin")
    user, handed_over = accounts.invite("new@example.test", "New", "moderator", actor=admin)
    db.session.commit()
    assert _sign_in(client, user.email, handed_over).status_code == 302
    blocked = client.get("/queue/")
    assert blocked.status_code == 302 and blocked.location.endswith("/account/password")
    assert b'id="temporary"' in client.get("/account/password").data
    assert _change(client, "wrong-one", "my-own-secret").status_code == 422
    assert _change(client, handed_over, "short").status_code == 400  # the form names the field
    assert _change(client, handed_over, "my-own-secret", "my-own-secreT").status_code == 400
    done = _change(client, handed_over, "my-own-secret")
    assert done.status_code == 302 and client.get("/queue/").status_code == 200  # this session goes on
    db.session.expire_all()
    assert not db.session.get(StaffUser, user.id).password_temporary
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "staff.password_changed"))
    assert event.actor_id == user.id and event.data == {"was_temporary": True}
    client.post("/logout", data={"submit": "1"})
    assert _sign_in(client, user.email, handed_over).status_code == 401  # the admin's copy no longer works
    assert _sign_in(client, user.email, "my-own-secret").status_code == 302


def test_a_reset_asks_for_a_new_password_again_and_a_change_ends_other_sessions(client, staff):
    from app.auth.routes import load_user

    admin, user = staff("admin"), staff("moderator")
    other_session = user.get_id()
    _, handed_over = accounts.reset_password(user.id, actor=admin)
    db.session.commit()
    assert load_user(other_session) is None
    _sign_in(client, user.email, handed_over)
    assert client.get("/queue/").location.endswith("/account/password")
    before = user.get_id()
    assert _change(client, handed_over, "chosen-by-me").status_code == 302
    db.session.expire_all()
    assert load_user(before) is None and load_user(db.session.get(StaffUser, user.id).get_id()) is not None
    assert _change(client, "chosen-by-me", "chosen-by-me").status_code == 422  # not the same one again
