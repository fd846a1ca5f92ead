"""The audit trail: every decision, rule change, model promotion and money movement writes here
in the same transaction as the change itself."""
from __future__ import annotations

from typing import Any

from models import AuditEvent, StaffUser, db


def record(action: str, object_type: str, object_id: str, *, actor: StaffUser | None = None,
           actor_label: str | None = None, data: dict[str, Any] | None = None) -> AuditEvent:
    event = AuditEvent(
        action=action, object_type=object_type, object_id=object_id,
        actor_id=actor.id if actor else None,
        actor_label=actor.email if actor else (actor_label or "system"),
        data=data,
    )
    db.session.add(event)
    return event
