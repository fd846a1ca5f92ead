"""Key rotation: re-encrypt every stored personal value under the newest key of PII_KEYS.

Values already written with the newest key are left alone, so a run that was stopped (or a second
run) only does what is left: resumable and idempotent by construction. Each batch commits with its
audit row; the keyed hashes do not change (they use PII_HMAC_KEY, which rotation does not touch).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from app.platform.audit import record
from app.platform.pii import PiiVault
from models import Brand, Proof, Worker, db

# Every encrypted column: (table, primary key column, ciphertext column).
ENCRYPTED_COLUMNS: tuple[tuple[sa.Table, str, str], ...] = (
    (Proof.__table__, "id", "ip_enc"),
    (Worker.__table__, "id", "phone_enc"),
    (Brand.__table__, "id", "license_no_enc"),
    (Brand.__table__, "id", "contact_email_enc"),
)


@dataclass
class RotationProgress:
    column: str  # "proofs.ip_enc"
    total: int  # values present in this column
    checked: int = 0
    rotated: int = 0


def rotate_column(table: sa.Table, key: str, column: str, vault: PiiVault, *,
                  batch_size: int) -> Iterator[RotationProgress]:
    """Rotate one column batch by batch in key order, yielding after each batch: the caller commits
    there (so a stopped run keeps every finished batch) and shows the progress."""
    pk, enc = table.c[key], table.c[column]
    total = db.session.scalar(sa.select(sa.func.count()).select_from(table).where(enc.is_not(None))) or 0
    done = RotationProgress(f"{table.name}.{column}", total)
    rewrite = sa.update(table).where(pk == sa.bindparam("row_id")).values({column: sa.bindparam("token")})
    after = None
    while True:
        query = sa.select(pk, enc).where(enc.is_not(None)).order_by(pk).limit(batch_size)
        if after is not None:
            query = query.where(pk > after)
        rows = db.session.execute(query).all()
        if not rows:
            return
        after = rows[-1][0]
        stale = [{"row_id": row[0], "token": vault.rotate(row[1])} for row in rows if not vault.is_current(row[1])]
        if stale:
            db.session.execute(rewrite, stale)
            record("pii.rotated", table.name, f"{len(stale)} values", actor_label="pii rotate",
                   data={"column": column, "first": str(stale[0]["row_id"]), "last": str(stale[-1]["row_id"]),
                         "count": len(stale)})
        done.checked += len(rows)
        done.rotated += len(stale)
        yield done
