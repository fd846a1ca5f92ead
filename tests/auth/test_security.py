"""Passwords in argon2, sign-in throttled per account and per address, and the headers and
cookies that keep the pages from being framed, sniffed or scripted."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app.platform.security import CONTENT_SECURITY_POLICY
from config import ConfigError, ProductionConfig
from models import AuditEvent, StaffUser, db

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"


def _sign_in(client, email: str, password: str):  # noqa: ANN001, ANN202
    return client.post("/login", data={"email": email, "password": password})


def test_new_passwords_are_argon2_and_old_hashes_are_upgraded_at_sign_in(client, staff):
    user = staff("moderator")
    assert user.password_hash.startswith("$argon2id$")
    user.password_hash = generate_password_hash("correct-horse")  # a hash from before argon2
    db.session.commit()
    assert _sign_in(client, user.email, "wrong-horse").status_code == 401
    assert _sign_in(client, user.email, "correct-horse").status_code == 302
    stored = db.session.scalar(sa.select(StaffUser.password_hash).where(StaffUser.id == user.id))
    assert stored.startswith("$argon2id$")


def test_an_account_pauses_after_repeated_failures_even_for_the_right_password(client, staff, app):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "3 per 15 minutes"
    user = staff("moderator")
    assert [_sign_in(client, user.email, "guess").status_code for _ in range(3)] == [401, 401, 401]
    locked = _sign_in(client, user.email, "correct-horse")
    assert locked.status_code == 429 and b"Too many failed sign-ins. Try again in 15 minutes." in locked.data
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "staff.login_throttled"))
    assert event.object_id == user.email and event.data["scope"] == "account"
    other = staff("compliance")
    assert _sign_in(client, other.email, "correct-horse").status_code == 302  # other accounts still sign in


def test_an_address_pauses_after_failures_across_many_accounts(client, staff, app):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "4 per 15 minutes"
    for i in range(4):
        assert _sign_in(client, f"nobody{i}@example.test", "guess").status_code == 401
    user = staff("moderator")
    assert _sign_in(client, user.email, "correct-horse").status_code == 429
    assert client.get("/login").status_code == 200  # reading the page is never throttled


def test_successful_sign_ins_do_not_count(client, staff, auth, app):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "2 per 15 minutes"
    user = staff("moderator")
    for _ in range(4):
        assert _sign_in(client, user.email, "correct-horse").status_code == 302
        client.post("/logout", data={"submit": "1"})


def test_every_response_carries_the_security_headers(client, staff, auth):
    staff("moderator")
    auth.login("moderator@example.test")
    for response in (client.get("/login"), client.get("/queue/"), client.get("/api/v1/proofs/x"),
                     client.get("/no-such-page")):
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY


def test_no_template_needs_inline_script_or_style():
    """The policy forbids them; a page that used one would silently lose it in the browser."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"\sstyle=", r"<script(?![^>]*\bsrc=)[^>]*>", r"\son[a-z]+\s*=", r"<style[\s>]"):
            offenders += [f"{path.relative_to(TEMPLATES)}: {m.group(0).strip()}" for m in re.finditer(pattern, text)]
    assert not offenders, offenders


def test_session_cookie_is_httponly_samesite_and_secure_in_production(client, staff):
    staff("moderator")
    response = _sign_in(client, "moderator@example.test", "correct-horse")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE


def test_https_only_deployments_tell_browsers_never_to_use_plain_http(client, app):
    assert "Strict-Transport-Security" not in client.get("/login").headers  # the demo on plain http
    app.config["SESSION_COOKIE_SECURE"] = True
    assert client.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_production_needs_a_shared_limit_store(monkeypatch):
    for name in ("SECRET_KEY", "PII_KEYS", "PII_HMAC_KEY"):
        monkeypatch.setattr(ProductionConfig, name, "set")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/workbench")
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(ConfigError, match="REDIS_URL"):
        ProductionConfig.check()


def test_gunicorns_entry_point_runs_the_production_configuration_unless_told_otherwise(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {"PATH": "/usr/bin:/bin", "INSTANCE_DIR": str(tmp_path)}  # no WORKBENCH_ENV, no keys
    done = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0 and "production needs SECRET_KEY" in done.stderr


def test_sign_in_attempts_sent_at_once_take_turns(client, staff, app):
    """The failure count lands after an attempt fails; the pace is counted as each one starts."""
    app.config["LOGIN_PACE_PER_ACCOUNT"] = "1 per second"
    user = staff("moderator")
    statuses = [_sign_in(client, user.email, "guess").status_code for _ in range(3)]
    assert statuses == [401, 429, 429]
    refused = _sign_in(client, user.email, "guess")
    assert b"coming too fast" in refused.data
    other = staff("compliance")
    assert _sign_in(client, other.email, "correct-horse").status_code == 302  # another account is not slowed
