"""Admins manage staff accounts and API tokens in the browser; nobody else reaches those pages."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.auth.services.api_tokens import authenticate as token_client
from models import AuditEvent, Brand, StaffUser, db


@pytest.fixture()
def admin(staff, auth):  # noqa: ANN001, ANN201
    user = staff("admin")
    auth.login(user.email)
    return user


def _account(email: str) -> StaffUser:
    db.session.expire_all()
    return db.session.scalar(sa.select(StaffUser).where(StaffUser.email == email))


def _actions(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize("role", ["moderator", "senior_moderator", "compliance", "operator"])
def test_only_admins_reach_administration(client, staff, auth, role):
    assert client.get("/admin/").status_code == 302  # anonymous: to the sign-in page
    auth.login(staff(role).email)
    for path in ("/admin/", "/admin/tokens"):
        assert client.get(path).status_code == 403
    assert client.post("/admin/staff", data={"email": "x@example.test", "role": "admin"}).status_code == 403


def test_invite_shows_a_temporary_password_once_and_it_works(client, admin, app):
    page = client.post("/admin/staff", data={"email": "New.Mod@Example.test", "name": "New", "role": "moderator"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    password = html.split('<p class="mono">')[1].split("</p>")[0]
    assert len(password) >= 16 and "new.mod@example.test" in html
    assert password not in client.get("/admin/").get_data(as_text=True)  # never shown again
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": "new.mod@example.test", "password": password}).status_code == 302
    (event,) = _actions("staff.invited")
    assert event.actor_id == admin.id and event.data == {"email": "new.mod@example.test", "role": "moderator"}


def test_invite_errors_name_the_field(client, admin):
    bad = client.post("/admin/staff", data={"email": "not-an-address", "role": "moderator"})
    assert bad.status_code == 422 and b"Email: Enter an email address." in bad.data
    twice = client.post("/admin/staff", data={"email": admin.email, "role": "moderator"})
    assert twice.status_code == 422 and b"is already a staff account" in twice.data


def test_invite_errors_read_in_the_readers_language(client, admin):
    import flask_babel

    client.post("/preferences/language", data={"locale": "zh_CN", "next": "/admin/"})
    flask_babel.refresh()
    twice = client.post("/admin/staff", data={"email": admin.email, "role": "moderator"}).data.decode()
    assert f"邮箱 {admin.email} 已是员工账号" in twice and "is already a staff account" not in twice


def test_role_change_disable_enable_and_reset_are_audited(client, admin, staff, app):
    mod = staff("moderator")
    client.post(f"/admin/staff/{mod.id}", data={"role": "senior_moderator", "reason": "promoted", "change_role": "1"})
    assert _account(mod.email).role == "senior_moderator"
    (changed,) = _actions("staff.role_changed")
    assert changed.data == {"before": "moderator", "after": "senior_moderator", "reason": "promoted"}

    client.post(f"/admin/staff/{mod.id}", data={"role": "senior_moderator", "reason": "left", "disable": "1"})
    assert not _account(mod.email).active
    other = app.test_client()
    assert other.post("/login", data={"email": mod.email, "password": "correct-horse"}).status_code == 401
    client.post(f"/admin/staff/{mod.id}", data={"role": "senior_moderator", "reason": "back", "enable": "1"})
    assert _account(mod.email).active

    reset = client.post(f"/admin/staff/{mod.id}", data={"role": "senior_moderator", "reset": "1"})
    password = reset.get_data(as_text=True).split('<p class="mono">')[1].split("</p>")[0]
    assert other.post("/login", data={"email": mod.email, "password": "correct-horse"}).status_code == 401
    assert other.post("/login", data={"email": mod.email, "password": password}).status_code == 302
    assert [len(_actions(a)) for a in ("staff.disabled", "staff.enabled", "staff.password_reset")] == [1, 1, 1]


def test_the_last_admin_cannot_be_demoted_or_disabled(client, admin):
    client.post(f"/admin/staff/{admin.id}", data={"role": "moderator", "change_role": "1"})
    assert _account(admin.email).role == "admin"
    assert "last active admin" in client.get("/admin/").get_data(as_text=True)
    client.post(f"/admin/staff/{admin.id}", data={"role": "admin", "disable": "1"})
    assert _account(admin.email).active


def test_tokens_created_shown_once_and_revoked_in_the_browser(client, admin):
    page = client.post("/admin/tokens", data={"name": "crm", "ingest": "y", "read": "y"})
    token = page.get_data(as_text=True).split('<p class="mono">')[1].split("</p>")[0]
    assert token.startswith("wb_") and token_client(token).name == "crm"
    listing = client.get("/admin/tokens").get_data(as_text=True)
    assert token not in listing and token[:12] in listing
    client_id = token_client(token).id
    client.post(f"/admin/tokens/{client_id}/revoke", data={})
    assert token_client(token) is None
    again = client.post(f"/admin/tokens/{client_id}/revoke", data={}, follow_redirects=True)
    assert b"already revoked" in again.data
    assert client.post("/admin/tokens", data={"name": ""}).status_code == 422
    assert [e.actor_label for e in _actions("api_token.created")] == [admin.email]


def test_a_token_made_in_the_browser_keeps_its_scope_and_expiry(client, admin):
    page = client.post("/admin/tokens", data={"name": "dashboard", "read": "y", "expires_days": "30"})
    token = page.get_data(as_text=True).split('<p class="mono">')[1].split("</p>")[0]
    made = token_client(token)
    assert made.scopes == "read" and round((made.expires_at - made.created_at).total_seconds() / 86400) == 30
    assert client.post("/admin/tokens", data={"name": "x", "read": "y", "expires_days": "0"}).status_code == 422
    assert client.post("/admin/tokens", data={"name": "y"}).status_code == 422  # no scope at all


def test_a_token_made_in_the_browser_can_belong_to_a_brand(client, admin):
    db.session.add(Brand(id="b1", name="Glow", kyc_status="verified"))
    db.session.commit()
    unknown = client.post("/admin/tokens", data={"name": "glow app", "ingest": "y", "brand_id": "b404"})
    assert unknown.status_code == 422 and "no brand with id" in unknown.get_data(as_text=True)
    assert not _actions("api_token.created")  # the refused token left nothing behind
    page = client.post("/admin/tokens", data={"name": "glow app", "ingest": "y", "brand_id": " b1 "})
    token = page.get_data(as_text=True).split('<p class="mono">')[1].split("</p>")[0]
    assert token_client(token).brand_id == "b1"
    assert [e.data["brand_id"] for e in _actions("api_token.created")] == ["b1"]


def test_a_password_reset_signs_out_every_session_of_that_account(client, admin, staff, app):
    import flask

    def get(who, path: str):  # noqa: ANN001, ANN202
        # the test's app context outlives requests, and Flask-Login caches the signed-in user in it
        flask.g.pop("_login_user", None)
        return who.get(path)

    mod = staff("moderator")
    signed_in, remembered = app.test_client(), app.test_client()
    assert signed_in.post("/login", data={"email": mod.email, "password": "correct-horse"}).status_code == 302
    assert remembered.post("/login", data={"email": mod.email, "password": "correct-horse",
                                           "remember": "y"}).status_code == 302
    remembered.delete_cookie("session")  # only the remember-me cookie is left
    assert get(signed_in, "/queue/").status_code == 200 and get(remembered, "/queue/").status_code == 200
    flask.g.pop("_login_user", None)
    reset = client.post(f"/admin/staff/{mod.id}", data={"role": "moderator", "reset": "1"})
    assert reset.status_code == 200 and len(_actions("staff.password_reset")) == 1
    for other in (signed_in, remembered):
        after = get(other, "/queue/")
        assert after.status_code == 302 and "/login" in after.headers["Location"]
