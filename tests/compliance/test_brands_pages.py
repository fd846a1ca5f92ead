"""Brands list, brand file and KYC changes in the browser; only compliance and admins get in."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.compliance.services.brands import KYC_TRANSITIONS, KycError, change_kyc
from app.compliance.services.scorecard import refresh_scorecards
from app.platform.audit import verify_chain
from models import AuditEvent, Brand, IllegalTransition, db
from tests.factories import brand, campaign


@pytest.fixture()
def imported(runner, world):  # noqa: ANN001, ANN201
    world.basic(proofs=4).add("brands", brand(id="b2", name="Quiet Tea", kyc_status="pending"))
    world.add("campaigns", campaign(id="c2", brand_id="b2", brief="真实体验"))
    result = runner.invoke(args=["import", str(world.write()), "--no-score"])
    assert result.exit_code == 0, result.output
    refresh_scorecards()
    db.session.commit()


PAGES = ["/compliance/", "/compliance/brands", "/compliance/brands/b1", "/compliance/audit"]


@pytest.mark.parametrize("role", ["moderator", "senior_moderator", "operator"])
@pytest.mark.parametrize("path", PAGES)
def test_other_roles_get_403(client, auth, staff, imported, role, path):
    staff(role)
    auth.login(f"{role}@example.test")
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", ["moderator", "operator"])
def test_other_roles_cannot_post_either(client, auth, staff, imported, role):
    staff(role)
    auth.login(f"{role}@example.test")
    kyc = {"target": "verified", "reason": "looks fine"}
    assert client.post("/compliance/brands/b2/kyc", data=kyc).status_code == 403
    export = {"since": "2026-01-01", "until": "2026-12-31"}
    assert client.post("/compliance/audit/export", data=export).status_code == 403
    assert db.session.get(Brand, "b2").kyc_status == "pending"


def test_anonymous_is_sent_to_sign_in(client, imported):
    assert client.get("/compliance/brands").status_code in (302, 401)


@pytest.mark.parametrize("role", ["compliance", "admin"])
def test_compliance_and_admin_read_the_brands_list_and_a_brand_file(client, auth, staff, imported, role):
    staff(role)
    auth.login(f"{role}@example.test")
    listing = client.get("/compliance/brands")
    assert listing.status_code == 200
    assert b"Glow Cosmetics" in listing.data and b"Quiet Tea" in listing.data
    page = client.get("/compliance/brands/b1")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "91310000MA1K4XXXX1" not in text and "XXX1" in text  # licence masked, last four shown
    assert "ops@glow.example" not in text
    assert "<svg" in text  # weekly trend chart
    assert "c1" in text
    assert client.get("/compliance/brands/nope").status_code == 404


def test_a_kyc_change_needs_a_reason_is_audited_and_shows_in_the_history(client, auth, staff, imported):
    staff("compliance")
    auth.login("compliance@example.test")
    refused = client.post("/compliance/brands/b2/kyc", data={"target": "verified", "reason": ""},
                          follow_redirects=True)
    assert db.session.get(Brand, "b2").kyc_status == "pending"
    assert refused.status_code == 200
    done = client.post("/compliance/brands/b2/kyc",
                       data={"target": "verified", "reason": "licence checked with the registry"},
                       follow_redirects=True)
    assert done.status_code == 200
    db.session.expire_all()
    assert db.session.get(Brand, "b2").kyc_status == "verified"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "brand.kyc_changed"))
    assert (event.object_id, event.actor_label, event.reason) == ("b2", "compliance@example.test",
                                                                  "licence checked with the registry")
    assert (event.before, event.after) == ({"kyc_status": "pending"}, {"kyc_status": "verified"})
    history = client.get("/compliance/brands/b2").get_data(as_text=True)
    assert "licence checked with the registry" in history and "compliance@example.test" in history
    assert verify_chain().ok


@pytest.mark.parametrize("current", sorted(KYC_TRANSITIONS))
def test_kyc_transitions_from_every_state(staff, imported, current):
    user = staff("compliance")
    db.session.get(Brand, "b2").kyc_status = current
    db.session.commit()
    for target in ("pending", "verified", "rejected", "suspended"):
        if target in KYC_TRANSITIONS[current]:
            change_kyc("b2", target, reason="a good reason", actor=user)
            db.session.rollback()
        else:
            with pytest.raises(IllegalTransition):
                change_kyc("b2", target, reason="a good reason", actor=user)
            db.session.rollback()
    with pytest.raises(KycError):
        change_kyc("b2", next(iter(KYC_TRANSITIONS[current])), reason=" ", actor=user)


def test_the_brands_list_is_paginated(client, auth, staff, app, runner, world):
    world.basic(proofs=1).add("brands", *(brand(id=f"b{i:03d}", name=f"Brand {i:03d}") for i in range(2, 61)))
    assert runner.invoke(args=["import", str(world.write()), "--no-score"]).exit_code == 0
    staff("compliance")
    auth.login("compliance@example.test")
    first = client.get("/compliance/brands").get_data(as_text=True)
    second = client.get("/compliance/brands?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert first.count("data-brand=") == 50 and second.count("data-brand=") == 10
    past = client.get("/compliance/brands?page=99").get_data(as_text=True)  # an old link, brands since removed
    assert "Page 2 of 2" in past and past.count("data-brand=") == 10


def test_refresh_button_recomputes_and_is_audited(client, auth, staff, imported):
    staff("compliance")
    auth.login("compliance@example.test")
    response = client.post("/compliance/brands/refresh", data={}, follow_redirects=True)
    assert response.status_code == 200
    assert db.session.scalar(sa.select(AuditEvent.object_id).where(
        AuditEvent.action == "brands.scorecards_refreshed")) == "2 brands"


def test_every_compliance_string_has_a_chinese_translation_and_pages_render_in_chinese(client, auth, staff, imported):
    from babel.messages.pofile import read_po

    with open("app/compliance/translations/zh_CN/LC_MESSAGES/messages.po", "rb") as fh:
        catalog = read_po(fh)
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert len(catalog) > 50 and untranslated == []
    staff("compliance")
    auth.login("compliance@example.test")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    for path in ("/compliance/brands", "/compliance/brands/b1", "/compliance/audit"):
        assert client.get(path).status_code == 200
