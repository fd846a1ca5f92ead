"""Files attached to a case: stored under the instance directory by a random name, never the
name they came with (which is kept, sanitised, only to show and to download as)."""
from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from pathlib import Path
from typing import BinaryIO

from app.compliance.services.cases import CaseError, _add_item, _label, _open_for_change
from app.platform.audit import record
from app.platform.i18n import _
from models import CaseItem, NotFound, StaffUser, db

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_NAME = 120
_UNSAFE = re.compile(r"[^\w.\-() ]+", re.UNICODE)


def safe_filename(name: str | None) -> str:
    """A display name that cannot be a path, a hidden file or a control sequence: 'report (1).pdf'
    stays readable, '../../etc/passwd' becomes 'passwd', Chinese letters are kept."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").split("/")[-1])
    name = _UNSAFE.sub("_", name).strip(" ._")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:MAX_NAME]
    return name or "file"


def case_dir(instance_dir: Path, case_id: int) -> Path:
    return Path(instance_dir) / "case_files" / str(int(case_id))


def attach_file(case_id: int, stream: BinaryIO, filename: str | None, *, instance_dir: Path,
                actor: StaffUser | None = None, actor_label: str = "system",
                max_bytes: int = MAX_FILE_BYTES) -> CaseItem:
    """Store an uploaded file for a case (refused above `max_bytes` or empty)."""
    case = _open_for_change(case_id)
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise CaseError(_("the file is larger than %(mb)s MB", mb=max_bytes // (1024 * 1024)))
    if not data:
        raise CaseError(_("the file is empty"))
    shown = safe_filename(filename)
    stored = secrets.token_hex(16)
    folder = case_dir(instance_dir, case.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored).write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    item = _add_item(case, "file", _label(actor, actor_label), filename=shown, stored_name=stored,
                     size_bytes=len(data), sha256=digest)
    db.session.flush()
    record("case.file_attached", "case", str(case.id), actor=actor, actor_label=actor_label,
           data={"item_id": item.id, "filename": shown, "bytes": len(data), "sha256": digest})
    return item


def file_path(case_id: int, item_id: int, instance_dir: Path) -> tuple[Path, CaseItem]:
    """Where a case's file is on disk, and its item; NotFound for anything that is not a file of this case."""
    item = db.session.get(CaseItem, item_id)
    if item is None or item.case_id != case_id or item.kind != "file" or not item.stored_name:
        raise NotFound(_("no such file on case %(id)s", id=case_id))
    path = case_dir(instance_dir, case_id) / item.stored_name
    if not re.fullmatch(r"[0-9a-f]{32}", item.stored_name) or not path.is_file():
        raise NotFound(_("no such file on case %(id)s", id=case_id))
    return path, item
