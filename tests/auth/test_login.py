"""Staff sign-in, role checks, CSRF and the users command."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import create_app
from config import TestingConfig
from models import StaffUser, db


def test_login_with_right_and_wrong_password(client, auth, staff):
    staff("moderator")
    bad = client.post("/login", data={"email": "moderator@example.test", "password": "nope"})
    assert bad.status_code == 401 and b"Wrong email or password" in bad.data
    ok = auth.login("moderator@example.test")
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/queue/")


def test_login_never_redirects_off_site(client, staff):
    staff("moderator")
    resp = client.post("/login?next=https://evil.example/x",
                       data={"email": "moderator@example.test", "password": "correct-horse"})
    assert resp.headers["Location"] == "/queue/"


def test_pages_need_login_and_the_right_role(client, auth, staff):
    assert client.get("/queue/").status_code == 302
    staff("compliance")
    auth.login("compliance@example.test")
    denied = client.get("/queue/")
    assert denied.status_code == 403 and b"moderator" in denied.data


def test_admin_passes_every_role_check(client, auth, staff):
    staff("admin")
    auth.login("admin@example.test")
    assert client.get("/queue/").status_code == 200


def test_errors_answer_json_to_api_clients(client):
    resp = client.get("/queue/nowhere", headers={"Accept": "application/json"})
    assert resp.status_code == 404 and resp.get_json()["error"] == "Not Found"


def test_disabled_account_cannot_sign_in(client, auth, staff):
    user = staff("moderator")
    user.active = False
    db.session.commit()
    assert auth.login("moderator@example.test").status_code == 401


def test_forms_refuse_posts_without_csrf_token(tmp_path, _schema):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = _schema
        INSTANCE_DIR = tmp_path
        WTF_CSRF_ENABLED = True

    app = create_app(Config)
    resp = app.test_client().post("/login", data={"email": "a@b.c", "password": "x"})
    assert resp.status_code == 400 and b"CSRF" in resp.data


@pytest.mark.parametrize("role,ok", [("operator", True), ("boss", False)])
def test_users_create_command(runner, role, ok):
    result = runner.invoke(args=["users", "create", "--email", "Op@Example.test", "--role", role],
                           input="long-password\nlong-password\n")
    assert (result.exit_code == 0) is ok, result.output
    stored = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == "op@example.test"))
    assert (stored is not None and stored.check_password("long-password")) is ok


def test_users_create_rejects_short_passwords_and_duplicates(runner, staff):
    staff("moderator")
    dup = runner.invoke(args=["users", "create", "--email", "moderator@example.test", "--role", "moderator"],
                        input="long-password\nlong-password\n")
    assert dup.exit_code != 0 and "already" in dup.output
    short = runner.invoke(args=["users", "create", "--email", "x@example.test", "--role", "admin"],
                          input="short\nshort\n")
    assert short.exit_code != 0 and "at least 8" in short.output


def test_method_not_allowed_keeps_the_allow_header(client):
    resp = client.get("/logout", headers={"Accept": "application/json"})
    assert resp.status_code == 405 and "POST" in resp.headers["Allow"]
