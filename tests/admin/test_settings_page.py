"""Admins edit retention settings in the browser and run retention from there; nobody else can."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.admin.services import settings
from models import AuditEvent, RetentionRun, Setting, db


@pytest.fixture()
def admin(staff, auth):  # noqa: ANN001, ANN201
    user = staff("admin")
    auth.login(user.email)
    return user


def _form(**over) -> dict:  # noqa: ANN003
    return {"retention_days": "90", "retention_batch_size": "2000", "reconcile_grace_minutes": "5", **over}


@pytest.mark.parametrize("role", ["moderator", "senior_moderator", "compliance", "operator"])
def test_only_admins_reach_the_settings(client, staff, auth, role):
    assert client.get("/admin/settings").status_code == 302  # anonymous: to the sign-in page
    auth.login(staff(role).email)
    assert client.get("/admin/settings").status_code == 403
    assert client.post("/admin/settings", data=_form(retention_days="31")).status_code == 403
    assert client.post("/admin/settings/retention-run").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Setting)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RetentionRun)) == 0


def test_the_page_shows_the_settings_what_is_purged_and_the_periodic_jobs(client, admin):
    page = client.get("/admin/settings")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="retention_days"' in html and 'value="90"' in html
    assert "ip_enc" in html and "device_fp_hash" in html
    assert "app.admin.jobs.reconcile" in html and "app.money.jobs.settle_approved" in html


def test_saving_stores_the_value_and_audits_old_and_new(client, admin):
    answer = client.post("/admin/settings", data=_form(retention_days="120"))
    assert answer.status_code == 302
    db.session.expire_all()
    assert settings.current(settings.RETENTION_DAYS) == 120
    (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "settings.changed"))
    assert event.actor_id == admin.id
    assert (event.before, event.after) == ({"retention_days": 90}, {"retention_days": 120})


@pytest.mark.parametrize("field, value, label", [
    ("retention_days", "7", "Keep raw IP and device detail for (days): Between 30 and 3650."),
    ("retention_batch_size", "abc", "Proofs purged per batch: "),
    ("reconcile_grace_minutes", "0", "Re-queue a proof still unscored after (minutes): Between 1 and 1440."),
])
def test_an_invalid_value_is_refused_naming_the_field_and_nothing_is_stored(client, admin, field, value, label):
    answer = client.post("/admin/settings", data=_form(**{field: value}))
    assert answer.status_code == 422
    assert label in answer.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Setting)) == 0


def test_the_service_refuses_out_of_bounds_values_naming_the_setting(app, staff):
    admin = staff("admin")
    with pytest.raises(settings.SettingError, match="^retention_days: between 30 and 3650$"):
        settings.change({"retention_days": 29, "retention_batch_size": 500}, actor=admin)
    with pytest.raises(settings.SettingError, match="^nonsense: "):
        settings.change({"nonsense": 1}, actor=admin)
    assert settings.all_current()["retention_batch_size"] == 2000  # nothing written when one value is wrong


def test_run_now_runs_retention_and_the_page_shows_what_it_did(client, admin):
    answer = client.post("/admin/settings/retention-run")
    assert answer.status_code == 302
    run = db.session.scalar(sa.select(RetentionRun))
    assert (run.status, run.trigger, run.requested_by) == ("done", "admin", admin.id)
    html = client.get("/admin/settings").get_data(as_text=True)
    assert 'id="retention-runs"' in html and "admin" in html.split('id="retention-runs"')[1]
    requested = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "retention.run_requested"))
    assert requested.actor_id == admin.id
