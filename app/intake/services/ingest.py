"""Loading a world directory (DESIGN.md exchange format) and ingesting proofs from the API.

Rows are validated one by one; a bad line is reported as `file:line: field: problem` and skipped,
good lines are stored in bulk, and a row whose id is already stored is left untouched, so a
second import changes nothing.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.compliance.services.screening import screen_new_campaigns
from app.intake.services import evidence, records
from app.money.services.funding import (
    add_deferred_received,
    capacity_screen,
    defer_received_count,
    fund_imported_campaigns,
)
from app.platform.audit import record
from app.platform.bulk import ANALYZE_FROM, existing_keys, insert_new, refresh_statistics
from app.platform.pii import PiiVault
from app.platform.sql import among, per_dialect
from app.review.services.decisions import apply_imported_decisions, imported_differences
from app.review.services.standing import hold_new_proofs
from models import Brand, Campaign, LiveSession, Proof, ReviewDecision, ReviewItem, Room, Worker, db, utcnow

WORLD_FILES = ("brands", "rooms", "sessions", "campaigns", "workers", "proofs", "decisions")
BATCH = 5000
# What each file writes to (a decision also moves its proof and closes its review item).
FILE_TABLES = {"brands": (Brand,), "rooms": (Room,), "sessions": (LiveSession,), "campaigns": (Campaign,),
               "workers": (Worker,), "proofs": (Proof,), "decisions": (ReviewDecision, ReviewItem, Proof)}

# The fields a re-imported row is compared on with the stored row of its id: what the file says and
# nothing in the workbench changes (not a brand's KYC state, a campaign's brief, a proof's user agent
# the retention job purges, nor encrypted columns). A row that differs is left as stored, and counted.
SAME_WHEN = {
    Brand: ("name", "created_at"), Room: ("platform", "name", "category"),
    LiveSession: ("room_id", "starts_at", "ends_at"),
    Campaign: ("brand_id", "room_id", "action", "reward_cents", "budget_cents", "max_completions",
               "min_watch_seconds", "starts_at", "ends_at"),
    Worker: ("created_at", "region", "timezone", "language"),
    Proof: ("campaign_id", "worker_id", "accepted_at", "submitted_at", "started_at", "watch_seconds",
            "comment_text", "screenshot_sha256", "screenshot_phash"),
}
CHUNK = 900  # stay under SQLite's bound-parameter limit

Progress = Callable[[int], None]


@dataclass
class FileReport:
    name: str
    read: int = 0
    inserted: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    # Rows whose id is stored with other content: left as stored, one `file:line: ...` note each.
    differing: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    new_proof_ids: list[str] = field(default_factory=list)
    new_campaign_ids: list[str] = field(default_factory=list)
    held_campaign_ids: list[str] = field(default_factory=list)  # screening found deceptive briefs
    held_proof_ids: list[str] = field(default_factory=list)  # new proofs of banned workers, sent to seniors

    @property
    def errors(self) -> list[str]:
        return [e for f in self.files for e in f.errors]

    @property
    def inserted(self) -> int:
        return sum(f.inserted for f in self.files)


class WorldDirError(ValueError):
    pass


def iter_lines(path: Path) -> Iterator[tuple[int, dict | str]]:
    """(line number, decoded object) or (line number, error text) for every non-blank line."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                # Without its line end, a cut-off string reads "Unterminated string", not "Invalid control character".
                obj = json.loads(raw.rstrip(b"\r\n").decode("utf-8-sig"))  # tolerates the BOM some editors write
            except UnicodeDecodeError:
                yield number, "line: not valid UTF-8"
                continue
            except RecursionError:
                yield number, "line: not valid JSON (too deeply nested)"
                continue
            except ValueError as exc:  # JSONDecodeError, or a number of more digits than Python converts
                yield number, f"line: not valid JSON ({records.json_problem(exc)})"
                continue
            yield number, obj if isinstance(obj, dict) else "line: must be a JSON object"


class WorldImporter:
    def __init__(self, vault: PiiVault, default_commission: float, progress: Progress | None = None):
        self.vault = vault
        self.default_commission = default_commission
        self.progress = progress or (lambda n: None)
        self.report = ImportReport()

    def run(self, directory: Path) -> ImportReport:
        if not directory.is_dir():
            raise WorldDirError(f"{directory}: not a directory")
        present = [n for n in WORLD_FILES if (directory / f"{n}.jsonl").exists()]
        if not present:
            raise WorldDirError(f"{directory}: none of {', '.join(f + '.jsonl' for f in WORLD_FILES)} found")
        for name in present:  # checked before anything is stored: the import is refused whole
            if not (directory / f"{name}.jsonl").is_file():
                raise WorldDirError(f"{directory / f'{name}.jsonl'}: not a regular file")
        for name in present:
            if name == "proofs":
                defer_received_count()  # one sorted update after the file, not campaign locks taken row by row
            loaded = self._load(name, directory / f"{name}.jsonl")
            if name == "proofs":  # before any audit event takes the chain's lock: campaigns first, as intake
                add_deferred_received(self.report.new_proof_ids)
            if loaded.inserted >= ANALYZE_FROM:  # later files look up these rows: plan with their real size
                refresh_statistics(*(model.__table__ for model in FILE_TABLES[name]))
        # Screened after every file is in: a held campaign's own history (its proofs) still loads.
        self.report.held_campaign_ids = screen_new_campaigns(self.report.new_campaign_ids, trigger="import",
                                                             actor_label="import")
        fund_imported_campaigns(self.report.new_campaign_ids)
        # Like the API: a banned worker's new proofs wait for a senior whatever their score (after
        # decisions.jsonl, so imported history that already decided a proof stays as it was).
        self.report.held_proof_ids = hold_new_proofs(self.report.new_proof_ids, utcnow())
        record("world.import", "world", str(directory), actor_label="import", data={
            **{f.name: {"read": f.read, "inserted": f.inserted, "unchanged": f.unchanged, "errors": len(f.errors),
                        "differing": len(f.differing)}
               for f in self.report.files},
            "held_proofs": len(self.report.held_proof_ids),
        })
        return self.report

    def _load(self, name: str, path: Path) -> FileReport:
        report = FileReport(name)
        self.report.files.append(report)
        parse, store = self._handlers(name)
        seen: dict[str, int] = {}
        batch: list[tuple[int, dict]] = []
        for number, obj in iter_lines(path):
            report.read += 1
            self.progress(1)
            where = f"{path.name}:{number}"
            if isinstance(obj, str):
                report.errors.append(f"{where}: {obj}")
                continue
            try:
                row = parse(obj)
            except records.RecordError as exc:
                report.errors.append(f"{where}: {exc}")
                continue
            key_field = "id" if "id" in row else "proof_id"
            key = row[key_field]
            if key in seen:
                report.errors.append(f"{where}: {key_field}: {key!r} repeats line {seen[key]}; kept the first")
                continue
            seen[key] = number
            batch.append((number, row))
            if len(batch) >= BATCH:
                store(batch, report, path.name)
                batch = []
        if batch:
            store(batch, report, path.name)
        return report

    def _handlers(self, name: str):  # noqa: ANN202 - (parser, storer) pair
        commission = self.default_commission
        return {
            "brands": (records.parse_brand, self._simple(Brand, lambda r: evidence.brand_columns(r, self.vault))),
            "rooms": (records.parse_room, self._simple(Room, dict)),
            "sessions": (records.parse_session, self._checked(LiveSession, {"room_id": Room})),
            "campaigns": (lambda o: records.parse_campaign(o, commission),
                          self._checked(Campaign, {"brand_id": Brand, "room_id": Room}, self.report.new_campaign_ids)),
            "workers": (records.parse_worker, self._simple(Worker, lambda r: evidence.worker_columns(r, self.vault))),
            "proofs": (records.parse_proof, capacity_screen(self._checked(
                Proof, {"campaign_id": Campaign, "worker_id": Worker}, self.report.new_proof_ids,
                lambda r: {**evidence.proof_columns(r, self.vault), "source": "import"}))),
            "decisions": (records.parse_decision, self._decisions),
        }[name]

    def _simple(self, model: type, to_columns: Callable[[dict], dict]):  # noqa: ANN202
        return self._checked(model, {}, None, to_columns)

    def _checked(self, model: type, references: dict[str, type], new_ids: list[str] | None = None,
                 to_columns: Callable[[dict], dict] = dict):  # noqa: ANN202
        """A storer that drops rows pointing at ids that exist neither stored nor in this batch."""

        def store(batch: list[tuple[int, dict]], report: FileReport, filename: str) -> None:
            for ref_field, ref_model in references.items():
                wanted = {row[ref_field] for _, row in batch}
                known = existing_keys(ref_model.__table__, "id", wanted)
                kept = []
                for number, row in batch:
                    if row[ref_field] in known:
                        kept.append((number, row))
                    else:
                        report.errors.append(f"{filename}:{number}: {ref_field}: {row[ref_field]!r} is not a known "
                                             f"{ref_model.__tablename__[:-1]}")
                batch = kept
            present = _stored(model, [row["id"] for _, row in batch])
            # Transform (encrypt, hash, enrich) only rows not stored yet: a repeat import stays cheap.
            rows = [to_columns(row) for _, row in batch if row["id"] not in present]
            inserted = insert_new(model.__table__, rows)
            if new_ids is not None:
                new_ids.extend(inserted)
            differing = [f"{filename}:{number}: id {row['id']!r} is stored with a different {', '.join(fields)}; "
                         "left as stored" for number, row in batch
                         if row["id"] in present and (fields := _differing(model, row, present[row["id"]]))]
            report.differing.extend(differing)
            report.inserted += len(inserted)
            report.unchanged += len(batch) - len(inserted) - len(differing)
            db.session.flush()

        return store

    def _decisions(self, batch: list[tuple[int, dict]], report: FileReport, filename: str) -> None:
        known = existing_keys(Proof.__table__, "id", {row["proof_id"] for _, row in batch})
        rows = []
        for number, row in batch:
            if row["proof_id"] in known:
                rows.append(row)
            else:
                report.errors.append(f"{filename}:{number}: proof_id: {row['proof_id']!r} is not a known proof")
        differing = imported_differences(rows)
        inserted, refused = apply_imported_decisions(rows)
        for number, row in batch:
            if row["proof_id"] in refused:
                report.errors.append(f"{filename}:{number}: proof_id: {row['proof_id']!r} is already "
                                     f"{refused[row['proof_id']]} here; a history decision does not replace it")
            elif row["proof_id"] in differing:
                report.differing.append(f"{filename}:{number}: proof_id {row['proof_id']!r} was imported with a "
                                        f"different {', '.join(differing[row['proof_id']])}; left as imported")
        report.inserted += inserted
        report.unchanged += len(rows) - inserted - len(refused) - len(differing)
        db.session.flush()


def _stored(model: type, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored rows among `ids`: id -> the SAME_WHEN fields."""
    found: dict[str, dict[str, Any]] = {}
    query = _stored_query(model)
    for start in range(0, len(ids), CHUNK):
        for row in db.session.execute(query, {"ids": ids[start:start + CHUNK]}).mappings():
            found[row["id"]] = dict(row)
    return found


@per_dialect
def _stored_query(dialect: str, model: type) -> sa.Select:
    table = model.__table__
    return sa.select(table.c.id, *(table.c[name] for name in SAME_WHEN[model])).where(among(table.c.id, "ids", dialect))


def _differing(model: type, row: dict, stored: dict[str, Any]) -> list[str]:
    """The fields the file gives with another value than the stored row (a field the file leaves out
    is not compared: the stored value may be a default)."""
    return [name for name in SAME_WHEN[model] if row.get(name) is not None and row[name] != stored[name]]
