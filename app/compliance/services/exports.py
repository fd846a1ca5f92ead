"""Regulator exports of a brand's file: requested by compliance, built by a job, kept for download.

An export is a CSV bundle (a zip: one CSV per section of `export_sections`, and `manifest.json`
with each file's row count, size and SHA-256) and the same file as a printable report, in HTML
and PDF. The files live in `<EXPORT_DIR>/<id>/` (default: the instance directory's `exports/`),
named in the row; every request and every download is in the audit trail.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from app.compliance.services.brands import BrandFile, brand_file, get_brand
from app.compliance.services.export_sections import Section, sections
from app.platform.audit import record
from app.platform.i18n import _, stated
from app.platform.pii import PiiVault
from app.platform.spreadsheet import safe_cell
from app.platform.vocabulary import term
from models import EXPORT_KINDS, BrandExport, DomainError, NotFound, StaffUser, Task, db, utcnow

Progress = Callable[[int, str], None]  # (percent, stage)
MIME = {"zip": "application/zip", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}


class ExportNotReady(DomainError):
    status_code = 409


def export_root(config: dict) -> Path:
    """EXPORT_DIR, else <INSTANCE_DIR>/exports: the web app and every worker must see the same one."""
    return Path(config.get("EXPORT_DIR") or Path(config["INSTANCE_DIR"]) / "exports")


def export_dir(root: Path, export_id: int) -> Path:
    return Path(root) / str(export_id)


def request_export(brand_id: str, *, actor: StaffUser, locale: str) -> BrandExport:
    """A queued export of the brand with its Task (flushed, audited); the caller commits, then enqueues."""
    brand = get_brand(brand_id)
    task = Task(kind="brand_export", status="queued", done=0, total=100,
                message=stated("export of brand %(brand)s", brand=brand.id))
    db.session.add(task)
    db.session.flush()
    export = BrandExport(brand_id=brand.id, status="queued", locale=locale, task_id=task.id, created_by=actor.id)
    db.session.add(export)
    db.session.flush()
    record("export.created", "brand", brand.id, actor=actor, data={"export_id": export.id, "locale": locale})
    return export


def exports_of(brand_id: str, limit: int = 50) -> list[ExportRow]:
    rows = db.session.execute(
        sa.select(BrandExport, StaffUser.email, Task)
        .outerjoin(StaffUser, StaffUser.id == BrandExport.created_by).outerjoin(Task, Task.id == BrandExport.task_id)
        .where(BrandExport.brand_id == brand_id).order_by(BrandExport.id.desc()).limit(limit))
    return [ExportRow(export, email, task) for export, email, task in rows]


@dataclass
class ExportRow:
    export: BrandExport
    created_by: str | None
    task: Task | None

    @property
    def size(self) -> int:
        return sum(f.get("size", 0) for f in (self.export.files or {}).values())


def get_export(export_id: int) -> BrandExport:
    export = db.session.get(BrandExport, export_id)
    if export is None:
        raise NotFound(f"export {export_id} does not exist")
    return export


def download(export_id: int, kind: str, *, root: Path, actor: StaffUser) -> tuple[Path, str, str]:
    """(path, download name, mimetype) of one file of a finished export; the download is audited."""
    export = get_export(export_id)
    if kind not in EXPORT_KINDS:
        raise NotFound(f"an export has no {kind} file")
    entry = (export.files or {}).get(kind)
    if export.status != "done" or entry is None:
        raise ExportNotReady(_("export %(id)s is %(status)s", id=export_id, status=term("task", export.status)))
    path = export_dir(root, export.id) / entry["name"]
    if not path.is_file():
        raise NotFound(f"the {kind} file of export {export_id} is no longer on disk")
    record("export.downloaded", "brand", export.brand_id, actor=actor,
           data={"export_id": export.id, "file": entry["name"], "sha256": entry["sha256"]})
    return path, entry["name"], MIME[kind]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_csv(section: Section, out: IO[bytes], batch: int = 2000) -> dict:
    """Write the section to `out` as UTF-8 CSV with a byte-order mark (spreadsheets then read Chinese
    right), a batch of rows at a time; returns its rows, bytes and SHA-256."""
    digest, size, count = hashlib.sha256(), 0, 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(section.header)

    def flush() -> None:
        nonlocal size
        data = buffer.getvalue().encode("utf-8")
        out.write(data)
        digest.update(data)
        size += len(data)
        buffer.seek(0)
        buffer.truncate()

    for row in section.rows:
        writer.writerow([safe_cell(v) for v in row])
        count += 1
        if count % batch == 0:
            flush()
    flush()
    return {"rows": count, "bytes": size, "sha256": digest.hexdigest()}


def write_bundle(file: BrandFile, export: BrandExport, target: Path, progress: Progress | None = None,
                 span: tuple[int, int] = (0, 60)) -> dict:
    """Write the zip of CSVs plus manifest.json to `target`, streaming each section; returns the manifest."""
    parts = sections(file)
    manifest = {"export_id": export.id, "brand_id": file.brand.id, "brand_name": file.brand.name,
                "generated_at": utcnow().isoformat(), "encoding": "utf-8 with byte-order mark", "files": []}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for i, section in enumerate(parts):
            if progress:
                progress(span[0] + (span[1] - span[0]) * i // len(parts), f"{section.name}.csv")
            name = f"{section.name}.csv"
            with bundle.open(name, "w", force_zip64=True) as entry:
                manifest["files"].append({"name": name, **write_csv(section, entry)})
        bundle.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True))
    return manifest


def stored(path: Path) -> dict:
    data = path.read_bytes()
    return {"name": path.name, "size": len(data), "sha256": sha256_of(data)}


Renderer = Callable[[BrandFile, BrandExport, dict], tuple[str, bytes]]  # -> (html, pdf)


def build(export_id: int, *, vault: PiiVault, root: Path, render: Renderer,
          progress: Progress | None = None) -> BrandExport | None:
    """Produce the export's files (the job's work); a finished or failed export is left alone.
    Flushes the row's state; the job commits."""
    export = db.session.get(BrandExport, export_id)
    if export is None or export.status in ("done", "failed"):
        return None
    file = brand_file(export.brand_id, vault)
    folder = export_dir(root, export.id)
    if folder.exists():  # a rerun after a crash starts clean
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    stem = f"brand-{_safe(export.brand_id)}-export-{export.id}"
    manifest = write_bundle(file, export, folder / f"{stem}.zip", progress)
    if progress:
        progress(65, stated("report"))
    html, pdf = render(file, export, manifest)
    (folder / f"{stem}.html").write_text(html, encoding="utf-8")
    (folder / f"{stem}.pdf").write_bytes(pdf)
    export.files = {kind: stored(folder / f"{stem}.{kind}") for kind in EXPORT_KINDS}
    export.status = "done"
    export.finished_at = utcnow()
    db.session.flush()
    return export


def fail(export_id: int, error: str) -> None:
    export = db.session.get(BrandExport, export_id)
    if export is not None:
        export.status, export.error, export.finished_at = "failed", error[:2000], utcnow()
        db.session.flush()


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)[:64]
