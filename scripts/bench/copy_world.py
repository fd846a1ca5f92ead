"""A simulated world into PostgreSQL with COPY: the benchmarks' loader for worlds of a million proofs.

`flask import` validates, screens and stores row batches through SQLAlchemy: a 200k world took 332 s,
a 1M world would take half an hour. The benchmarks need the stored columns, not the import's side
work, so here:
- brands, rooms, sessions and campaigns (a few hundred rows) go through the real importer
  (screening and funding included), from a directory holding only those files;
- workers, proofs and decisions are parsed and mapped by the importer's own functions
  (app/intake/services/records, evidence: the same hashes and IP enrichment) and written with
  psycopg's COPY; a decided proof gets the decision's state, as the importer's decision step sets it.
Left out, as no benchmark reads them: encrypted raw IPs and phones (NULL, as after a retention purge),
review items of decided proofs, the import's audit rows and the capacity screen of proofs.
Run inside the app (`flask` context): the hashes are keyed with the app's PII keys.

usage (the bench scripts call `copy_world`): python scripts/bench/copy_world.py WORLD_DIR  with DATABASE_URL set
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.intake.services import evidence, records  # noqa: E402
from app.platform.pii import PiiVault  # noqa: E402

SMALL_FILES = ("brands", "rooms", "sessions", "campaigns")
PROOF_COLUMNS = ("id", "campaign_id", "worker_id", "accepted_at", "submitted_at", "started_at", "watch_seconds",
                 "user_agent", "comment_text", "screenshot_sha256", "screenshot_phash", "ip_enc", "ip_hash",
                 "ip_prefix_hash", "ip_version", "ip_country", "ip_asn_name", "ip_asn_cidr", "device_present",
                 "device_fp_hash", "device_canvas_hash", "device_platform", "device_os", "device_screen",
                 "device_timezone", "device_language", "device_webdriver", "device_emulator", "device_touch_points",
                 "device_hardware_concurrency", "device_webgl_renderer", "state", "source", "ingested_at",
                 "state_changed_at")
WORKER_COLUMNS = ("id", "created_at", "region", "timezone", "language", "phone_enc", "phone_hash", "imported_at")
DECISION_COLUMNS = ("proof_id", "decision", "reason_code", "note", "actor_kind", "actor_id", "decided_at",
                    "idempotency_key")


class _HashOnlyVault(PiiVault):
    """The app's keyed hashes without Fernet encryption (what a retention purge leaves)."""

    def encrypt(self, value: str | None) -> str | None:
        return None


def _naive(value: datetime | None) -> datetime | None:
    """Stored form of the UTCDateTime columns: naive UTC (COPY bypasses the column type)."""
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def _objects(path: Path) -> Iterator[dict]:
    with path.open("rb") as handle:
        for raw in handle:
            if raw.strip():
                yield json.loads(raw)


def _worker_rows(directory: Path, vault: PiiVault, now: datetime) -> Iterator[tuple]:
    for obj in _objects(directory / "workers.jsonl"):
        row = evidence.worker_columns(records.parse_worker(obj), vault)
        row["created_at"], row["imported_at"] = _naive(row["created_at"]), now
        yield tuple(row[c] for c in WORKER_COLUMNS)


def _proof_rows(directory: Path, vault: PiiVault, states: dict[str, str], now: datetime) -> Iterator[tuple]:
    for obj in _objects(directory / "proofs.jsonl"):
        row = evidence.proof_columns(records.parse_proof(obj), vault)
        for name in ("accepted_at", "submitted_at", "started_at"):
            row[name] = _naive(row[name])
        row.update(state=states.get(row["id"], "received"), source="import", ingested_at=now, state_changed_at=now)
        yield tuple(row[c] for c in PROOF_COLUMNS)


def _decisions(directory: Path, now: datetime) -> list[tuple]:
    rows = []
    for obj in _objects(directory / "decisions.jsonl"):
        row = records.parse_decision(obj)
        rows.append((row["proof_id"], row["decision"], row["reason"], "imported history", "import", None,
                     _naive(row["decided_at"]) or now, f"import:{row['proof_id']}"))
    return rows


def _copy(cursor, table: str, columns: tuple[str, ...], rows) -> int:  # noqa: ANN001 - a psycopg cursor
    written = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def copy_world(directory: Path) -> dict[str, float]:
    """Load `directory` into the app's (empty, migrated) PostgreSQL database; seconds per step."""
    from flask import current_app

    from app.intake.services.ingest import WorldImporter
    from app.platform.bulk import vacuum_after_bulk_load
    from models import LiveSession, Proof, ReviewDecision, Worker, db

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="copy-world-") as tmp:
        for name in SMALL_FILES:
            (Path(tmp) / f"{name}.jsonl").symlink_to((directory / f"{name}.jsonl").resolve())
        WorldImporter(current_app.extensions["pii"], current_app.config["DEFAULT_COMMISSION_RATE"]).run(Path(tmp))
        db.session.commit()
    seconds["campaigns (importer)"] = time.perf_counter() - started
    base = current_app.extensions["pii"]
    vault = _HashOnlyVault(base.fernet, base.hmac_key)
    now = datetime.now(UTC).replace(tzinfo=None)
    decisions = _decisions(directory, now)
    # the newest decision of a proof moves it (the importer applies the file in order)
    states = {row[0]: row[1] for row in decisions}
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        for table, columns, rows in (("workers", WORKER_COLUMNS, _worker_rows(directory, vault, now)),
                                     ("proofs", PROOF_COLUMNS, _proof_rows(directory, vault, states, now)),
                                     ("review_decisions", DECISION_COLUMNS, iter(decisions))):
            step = time.perf_counter()
            count = _copy(cursor, table, columns, rows)
            seconds[f"{table} ({count} rows)"] = time.perf_counter() - step
    db.session.commit()
    step = time.perf_counter()
    vacuum_after_bulk_load(Worker.__table__, Proof.__table__, ReviewDecision.__table__, LiveSession.__table__)
    seconds["vacuum analyze"] = time.perf_counter() - step
    return seconds


def main() -> None:
    from app import create_app

    app = create_app()
    with app.app_context():
        for step, spent in copy_world(Path(sys.argv[1])).items():
            print(f"{step}: {spent:.1f} s")


if __name__ == "__main__":
    main()
