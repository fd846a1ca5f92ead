"""Regulator exports: a brand's complete file as a zip of CSVs with a manifest, and as HTML and PDF."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
import zlib

import pytest
import sqlalchemy as sa

from app.compliance.services import export_sections, exports
from app.compliance.services.brands import change_kyc
from app.compliance.services.scorecard import refresh_scorecards
from app.platform.spreadsheet import safe_cell
from models import AuditEvent, BrandExport, StaffUser, Task, db
from tests.compliance.conftest import DECEPTIVE_BRIEF
from tests.factories import brand, campaign


@pytest.fixture()
def imported(runner, world):  # noqa: ANN001, ANN201
    world.basic(proofs=4).add("brands", brand(id="b2", name="清茶品牌", kyc_status="pending"))
    world.add("campaigns", campaign(id="c2", brand_id="b1", brief=DECEPTIVE_BRIEF),
              campaign(id="c3", brand_id="b2", brief="真实体验"))
    result = runner.invoke(args=["import", str(world.write()), "--no-score"])
    assert result.exit_code == 0, result.output
    refresh_scorecards()
    db.session.commit()


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _pdf_fonts(pdf: bytes) -> list[bytes]:
    """Names of the fonts a PDF embeds (WeasyPrint keeps them in compressed object streams)."""
    inflated = []
    for start in re.finditer(rb"stream\r?\n", pdf):
        try:
            inflated.append(zlib.decompressobj().decompress(pdf[start.end():start.end() + 400_000]))
        except zlib.error:
            continue
    return re.findall(rb"/BaseFont\s*/([^\s/>]+)", pdf + b"".join(inflated))


def _export(client, brand_id: str = "b1"):  # noqa: ANN001, ANN202
    response = client.post(f"/compliance/brands/{brand_id}/exports", data={})
    assert response.status_code == 302, response.data
    export = db.session.scalars(sa.select(BrandExport).order_by(BrandExport.id.desc())).first()
    assert response.headers["Location"].endswith(f"/compliance/exports/{export.id}")
    return export


def test_an_export_holds_every_section_with_a_manifest_of_counts_and_hashes(client, login, imported):
    officer = login("compliance")
    change_kyc("b1", "suspended", reason="licence expired", actor=db.session.get(StaffUser, officer.id))
    db.session.commit()
    export = _export(client)
    assert export.status == "done" and db.session.get(Task, export.task_id).status == "done"
    assert _events("export.created")[-1].object_id == "b1"

    page = client.get(f"/compliance/exports/{export.id}")
    assert page.status_code == 200 and b'id="download-zip"' in page.data

    response = client.get(f"/compliance/exports/{export.id}/zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    downloaded = _events("export.downloaded")
    assert downloaded[-1].data["export_id"] == export.id and downloaded[-1].actor_id == officer.id
    bundle = zipfile.ZipFile(io.BytesIO(response.data))
    manifest = json.loads(bundle.read("manifest.json"))
    names = {f["name"] for f in manifest["files"]}
    assert {"brand.csv", "kyc_history.csv", "campaigns.csv", "screening_findings.csv", "decisions.csv",
            "proofs.csv", "ledger.csv", "money_summary.csv", "audit_events.csv", "weekly_trend.csv"} <= names
    assert set(bundle.namelist()) == names | {"manifest.json"}
    for entry in manifest["files"]:
        data = bundle.read(entry["name"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert len(rows) - 1 == entry["rows"], entry["name"]

    def table(name: str) -> list[dict]:
        return list(csv.DictReader(io.StringIO(bundle.read(name).decode("utf-8-sig"))))

    assert [c["id"] for c in table("campaigns.csv")] == ["c1", "c2"]  # b2's campaign is not in b1's file
    assert table("brand.csv")[0]["licence_masked"].endswith("XXX1")
    assert "91310000MA1K4XXXX1" not in bundle.read("brand.csv").decode("utf-8-sig")
    assert [(k["from"], k["to"], k["reason"]) for k in table("kyc_history.csv")] == [
        ("verified", "suspended", "licence expired")]
    findings = [f for f in table("screening_findings.csv") if f["campaign_id"] == "c2"]
    assert findings and all(f["rule"] and f["matched"] in DECEPTIVE_BRIEF for f in findings)
    assert len(table("proofs.csv")) == 4
    audit = table("audit_events.csv")
    assert {"brand.kyc_changed", "export.created"} <= {e["action"] for e in audit}
    assert all(len(e["hash"]) == 64 for e in audit)


def test_the_report_prints_to_pdf_with_its_chart_and_chinese_text(client, login, imported):
    login("compliance")
    export = _export(client, "b2")
    pdf = client.get(f"/compliance/exports/{export.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert any(b"CJK" in name for name in _pdf_fonts(pdf.data)), _pdf_fonts(pdf.data)  # for 清茶品牌
    html = client.get(f"/compliance/exports/{export.id}/html").get_data(as_text=True)
    assert "清茶品牌" in html and "真实体验" in html
    assert "<style" not in html and "style=" not in html
    with_proofs = _export(client, "b1")
    html = client.get(f"/compliance/exports/{with_proofs.id}/html").get_data(as_text=True)
    assert '<svg class="chart"' in html and "<polyline" in html
    assert len(_events("export.downloaded")) == 3


def test_the_list_shows_status_size_author_and_links(client, login, imported):
    login("compliance", "officer@example.test")
    export = _export(client)
    page = client.get("/compliance/brands/b1/exports").get_data(as_text=True)
    assert "officer@example.test" in page and f"/compliance/exports/{export.id}/pdf" in page and "KB" in page
    assert client.get("/compliance/brands/nope/exports").status_code == 404


def test_a_download_before_the_export_is_ready_is_refused(client, login, imported):
    user = login("compliance")
    export = exports.request_export("b1", actor=db.session.get(StaffUser, user.id), locale="en")
    db.session.commit()
    response = client.get(f"/compliance/exports/{export.id}/zip")
    assert response.status_code == 302 and not _events("export.downloaded")
    page = client.get(f"/compliance/exports/{export.id}").get_data(as_text=True)
    assert 'id="export-progress"' in page and 'http-equiv="refresh"' in page
    assert client.get(f"/compliance/exports/{export.id}/exe").status_code == 404


def test_a_failed_build_is_shown_and_not_retried(client, login, imported, monkeypatch):
    login("compliance")

    def broken(file, export, manifest):  # noqa: ANN001, ANN202
        raise RuntimeError("no fonts")

    monkeypatch.setattr("app.compliance.export_report.render", broken)
    export = _export(client)
    assert export.status == "failed" and "no fonts" in export.error
    assert db.session.get(Task, export.task_id).status == "failed"
    assert b"no fonts" in client.get(f"/compliance/exports/{export.id}").data


@pytest.mark.parametrize("role", ["moderator", "senior_moderator", "operator"])
def test_other_roles_get_403(client, login, imported, role):
    login(role)
    assert client.get("/compliance/brands/b1/exports").status_code == 403
    assert client.post("/compliance/brands/b1/exports", data={}).status_code == 403
    assert client.get("/compliance/exports/1").status_code == 403
    assert client.get("/compliance/exports/1/zip").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BrandExport)) == 0


def test_the_brands_cases_and_disputes_are_sections(imported, app, staff):
    from app.compliance.services import cases, disputes
    from app.compliance.services.brands import brand_file

    user = staff("compliance")
    case = cases.open_case("brand", "b1", actor=user, title="Paid praise")
    cases.add_note(case.id, "asked the brand for its briefs", actor=user)
    disputes.file_dispute("b1", ["p1"], "these likes were bought", source="browser", actor=user)
    db.session.commit()
    found = {s.name: s for s in export_sections.sections(brand_file("b1", app.extensions["pii"]))}
    assert [row[0] for row in found["cases"].rows] == [case.id]
    assert "stored_name" not in found["case_items"].header
    assert any("asked the brand" in str(cell) for row in found["case_items"].rows for cell in row)
    assert [row[found["disputed_proofs"].header.index("proof_id")] for row in found["disputed_proofs"].rows] == ["p1"]
    assert {row[0] for row in found["disputes"].rows} and not list(found["case_outcomes"].rows)


def test_spreadsheet_formulas_are_quoted():
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("好评") == "好评" and safe_cell(None) == ""


def test_export_pages_and_report_speak_chinese(client, login, imported, app):
    missing = app.extensions["i18n_missing"]
    missing.clear()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    login("compliance")
    export = _export(client)
    assert export.locale == "zh_CN"
    pages = {path: client.get(path).get_data(as_text=True) for path in (
        "/compliance/brands/b1", "/compliance/brands/b1/exports", f"/compliance/exports/{export.id}")}
    report = client.get(f"/compliance/exports/{export.id}/html").get_data(as_text=True)
    assert not sorted(missing), f"shown without a zh_CN translation: {sorted(missing)}"
    assert "监管导出" in pages["/compliance/brands/b1"] and "已就绪" in pages["/compliance/brands/b1/exports"]
    assert "CSV 文件包（zip）" in pages[f"/compliance/exports/{export.id}"]
    assert "品牌档案（供监管机构）" in report and "筛查命中" in report


def test_a_section_streams_in_batches_with_the_hash_of_every_byte():
    section = export_sections.Section("t", ("a", "b"), iter([(i, f"行{i}") for i in range(7)]))
    out = io.BytesIO()
    meta = exports.write_csv(section, out, batch=2)
    data = out.getvalue()
    assert meta == {"rows": 7, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert data.startswith("\ufeffa,b\r\n0,行0\r\n".encode())
    assert data.decode("utf-8-sig").count("\r\n") == 8
