"""Cases in the browser: only compliance and admins; list with filters and an empty state; open, attach,
upload and download a file, close with outcomes."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.compliance.services import cases
from models import AuditEvent, CaseItem, ComplianceCase, db
from tests.money import helpers as h

PAGES = ["/compliance/cases", "/compliance/cases/new?subject_type=brand&subject_id=b1", "/compliance/cases/1"]


@pytest.fixture()
def one_case(app, staff):  # noqa: ANN001, ANN201
    h.world()
    h.proof("p1")
    db.session.commit()
    officer = staff("compliance")
    case = cases.open_case("brand", "b1", actor=officer)
    db.session.commit()
    return case.id


@pytest.mark.parametrize("role", ["moderator", "senior_moderator", "operator"])
def test_other_roles_get_403_on_case_pages_and_actions(client, auth, staff, one_case, role):
    staff(role)
    auth.login(f"{role}@example.test")
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    assert client.post("/compliance/cases", data={"subject_type": "brand", "subject_id": "b1"}).status_code == 403
    assert client.post(f"/compliance/cases/{one_case}/close", data={"reason": "closing it"}).status_code == 403
    dispute = {"proof_ids": "p1", "brand_reason": "fake!"}
    assert client.post("/compliance/brands/b1/disputes", data=dispute).status_code == 403
    assert db.session.get(ComplianceCase, one_case).status == "open"


def test_the_proof_page_offers_a_ring_case_only_to_those_who_may_open_it(client, auth, staff, one_case):
    staff("moderator")
    auth.login("moderator@example.test")
    assert b"open-ring-case" not in client.get("/queue/proofs/p1").data
    auth.logout()
    staff("admin")
    auth.login("admin@example.test")
    assert b"open-ring-case" in client.get("/queue/proofs/p1").data


def test_empty_list_and_filters(client, auth, staff, app):
    h.world()
    staff("compliance")
    auth.login("compliance@example.test")
    page = client.get("/compliance/cases")
    assert page.status_code == 200 and b"no-cases" in page.data
    assert client.get("/compliance/cases?status=closed&overdue=y&owner=0").status_code == 200


def test_open_attach_upload_download_and_close_in_the_browser(client, auth, one_case):
    auth.login("compliance@example.test")
    listing = client.get("/compliance/cases")
    assert f'data-case="{one_case}"'.encode() in listing.data
    brand_file = client.get("/compliance/brands/b1")
    assert b"brand-cases" in brand_file.data and b"open-brand-case" not in brand_file.data  # one is open
    opened = client.post("/compliance/cases", data={"subject_type": "campaign", "subject_id": "c1", "priority": "3",
                                                    "owner": "0"}, follow_redirects=True)
    assert opened.status_code == 200 and b"Campaign c1" in opened.data
    page = client.post(f"/compliance/cases/{one_case}/proofs", data={"proof_id": "p1", "why": "same phone"},
                       follow_redirects=True)
    assert b"Proof p1 attached." in page.data
    upload = client.post(f"/compliance/cases/{one_case}/files",
                         data={"file": (io.BytesIO(b"chat log"), "../chat <log>.txt")},
                         content_type="multipart/form-data", follow_redirects=True)
    assert upload.status_code == 200
    item = db.session.scalar(sa.select(CaseItem).where(CaseItem.kind == "file"))
    assert item.filename == "chat _log_.txt"
    download = client.get(f"/compliance/cases/{one_case}/files/{item.id}")
    assert download.status_code == 200 and download.data == b"chat log"
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"/compliance/cases/{one_case + 1}/files/{item.id}").status_code == 404  # not that case's
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "case.file_downloaded")) is not None
    closed = client.post(f"/compliance/cases/{one_case}/close",
                         data={"warning": "y", "warning_reason": "", "reason": "brand warned"}, follow_redirects=True)
    assert db.session.get(ComplianceCase, one_case).status == "open"  # an outcome without a reason is refused
    closed = client.post(f"/compliance/cases/{one_case}/close",
                         data={"warning": "y", "warning_reason": "bought comments once", "reason": "brand warned"},
                         follow_redirects=True)
    assert closed.status_code == 200 and b"case-outcomes" in closed.data
    assert db.session.get(ComplianceCase, one_case).status == "closed"
    timeline = closed.get_data(as_text=True)
    assert "case.closed" in timeline and "brand.warned" in timeline


def test_update_form(client, auth, one_case):
    auth.login("compliance@example.test")
    client.post(f"/compliance/cases/{one_case}/update", data={"status": "investigating", "priority": "4",
                                                             "owner": "0", "due_on": "2026-12-31"})
    case = db.session.get(ComplianceCase, one_case)
    assert case.status == "investigating" and case.priority == 4 and case.due_on.isoformat() == "2026-12-31"


def test_cli_lists_and_closes_cases(runner, one_case):
    listed = runner.invoke(args=["cases", "list"])
    assert listed.exit_code == 0 and listed.stdout.startswith(f"{one_case}\topen\t2\tbrand:b1\t")
    refused = runner.invoke(args=["cases", "close", str(one_case), "--outcome", "warning", "--reason", "warned",
                                  "--by", "nobody@example.test"])
    assert refused.exit_code != 0
    closed = runner.invoke(args=["cases", "close", str(one_case), "--outcome", "warning", "--outcome", "referral",
                                 "--reason", "warned by phone", "--by", "compliance@example.test"])
    assert closed.exit_code == 0, closed.output
    assert closed.stdout.strip() == f"closed\t{one_case}\twarning,referral"
    assert db.session.get(ComplianceCase, one_case).status == "closed"
    assert runner.invoke(args=["cases", "list", "--status", "closed"]).stdout.startswith(f"{one_case}\tclosed")


def test_case_pages_render_in_chinese_with_nothing_untranslated(client, auth, app, one_case, tmp_path):
    from flask_babel import refresh

    from app.compliance.services import case_outcomes, disputes
    from models import StaffUser

    officer = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == "compliance@example.test"))
    cases.add_note(one_case, "called the brand", actor=officer)
    disputes.file_dispute("b1", ["p1"], "fake completions", source="api", actor_label="api:glow")
    other = cases.open_case("campaign", "c1", actor=officer)
    case_outcomes.close_case(other.id, [("warning", "first warning")], actor=officer, reason="warned them")
    db.session.commit()
    missing = app.extensions["i18n_missing"]
    missing.clear()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    refresh()
    auth.login("compliance@example.test")
    for path in ("/compliance/cases", "/compliance/cases?status=closed", f"/compliance/cases/{one_case}",
                 f"/compliance/cases/{other.id}", "/compliance/cases/new?subject_type=brand&subject_id=b1",
                 "/compliance/brands/b1"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "案件" in response.get_data(as_text=True), path
    assert not sorted(missing), f"shown without a zh_CN translation: {sorted(missing)}"
