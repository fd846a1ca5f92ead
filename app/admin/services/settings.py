"""Settings an admin changes in the browser, stored in the database so every process reads the same.

Each setting has a default and bounds here; a stored row overrides the default. A change is
checked against the bounds (the error names the setting) and audited with its old and new value.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.platform.audit import record
from app.platform.i18n import _
from models import DomainError, Setting, StaffUser, db, utcnow


class SettingError(DomainError):
    status_code = 422

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name


@dataclass(frozen=True)
class IntSetting:
    name: str
    default: int
    low: int
    high: int

    def check(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                value = int(str(value).strip())
            except ValueError:
                raise SettingError(self.name, _("a whole number, please")) from None
        if not self.low <= value <= self.high:
            raise SettingError(self.name, _("between %(low)d and %(high)d", low=self.low, high=self.high))
        return value


# The scoring context looks back at most 365 days (review_rules/engine.py CONTEXT_BOUNDS) but by
# default 30: a retention period of at least 30 days keeps the default windows whole.
RETENTION_DAYS = IntSetting("retention_days", default=90, low=30, high=3650)
RETENTION_BATCH = IntSetting("retention_batch_size", default=2000, low=100, high=50_000)
# A proof accepted this long ago and still unscored has lost its scoring job (Redis lost, worker killed).
RECONCILE_GRACE_MINUTES = IntSetting("reconcile_grace_minutes", default=5, low=1, high=24 * 60)

SETTINGS = {s.name: s for s in (RETENTION_DAYS, RETENTION_BATCH, RECONCILE_GRACE_MINUTES)}


def current(setting: IntSetting) -> int:
    row = db.session.get(Setting, setting.name)
    return setting.default if row is None else int(row.value)


def all_current() -> dict[str, int]:
    stored = {row.name: row.value for row in db.session.query(Setting).filter(Setting.name.in_(SETTINGS))}
    return {name: int(stored.get(name, s.default)) for name, s in SETTINGS.items()}


def change(values: dict[str, object], actor: StaffUser) -> dict[str, int]:
    """Validate every value first (nothing is written when one is wrong), then store and audit the
    ones that changed; returns {name: new value} of those."""
    checked = {}
    for name, value in values.items():
        setting = SETTINGS.get(name)
        if setting is None:
            raise SettingError(name, _("no such setting"))
        checked[name] = setting.check(value)
    before = all_current()
    changed = {name: value for name, value in checked.items() if before[name] != value}
    now = utcnow()
    for name, value in changed.items():
        row = db.session.get(Setting, name)
        if row is None:
            db.session.add(Setting(name=name, value=value, updated_at=now, updated_by=actor.id))
        else:
            row.value, row.updated_at, row.updated_by = value, now, actor.id
    if changed:
        db.session.flush()
        record("settings.changed", "settings", ",".join(sorted(changed)), actor=actor,
               before={name: before[name] for name in changed}, after=changed)
    return changed
