"""What an admin does to staff accounts: invite, change a role, disable or enable, reset a password.

Every change writes its audit row in the same transaction. An admin can never lock the workbench
out of its own administration: the last active admin cannot be demoted or disabled, and nobody
disables their own account.
"""
from __future__ import annotations

import secrets

import sqlalchemy as sa

from app.auth.services.staff import StaffError, create_staff
from app.platform.audit import record, serialise
from app.platform.i18n import _
from models import NotFound, Role, StaffUser, db

MIN_PASSWORD = 8  # as create_staff asks
TEMPORARY_PASSWORD_BYTES = 12  # 16 URL-safe characters, shown once to the admin who hands it over


def staff_accounts() -> list[StaffUser]:
    return list(db.session.scalars(sa.select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.email)))


def _account(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id, populate_existing=True)  # as it is now, after serialise()
    if user is None:
        raise NotFound(_("no staff account %(id)s", id=user_id))
    return user


def _other_active_admins(user: StaffUser) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(StaffUser).where(
        StaffUser.role == Role.ADMIN.value, StaffUser.active.is_(True), StaffUser.id != user.id)) or 0


def invite(email: str, name: str, role: str, *, actor: StaffUser) -> tuple[StaffUser, str]:
    """A new account with a one-time password for the admin to hand over; returns both."""
    password = secrets.token_urlsafe(TEMPORARY_PASSWORD_BYTES)
    user = create_staff(email, name.strip() or email.split("@")[0], role, password)
    user.password_temporary = True
    record("staff.invited", "staff_user", str(user.id), actor=actor, data={"email": user.email, "role": role})
    return user, password


def change_role(user_id: int, role: str, *, actor: StaffUser, reason: str) -> StaffUser:
    serialise()  # two admins demoting each other at once: the second sees the first's change
    user = _account(user_id)
    if role not in {r.value for r in Role}:
        raise StaffError(_("role: %(role)r is not a role", role=role))
    if user.role == Role.ADMIN.value and role != Role.ADMIN.value and not _other_active_admins(user):
        raise StaffError(_("role: %(email)s is the last active admin", email=user.email))
    before = user.role
    user.role = role
    user.end_sessions()  # the person signs in again under the new role
    record("staff.role_changed", "staff_user", str(user.id), actor=actor,
           data={"before": before, "after": role, "reason": reason})
    db.session.flush()
    return user


def set_active(user_id: int, active: bool, *, actor: StaffUser, reason: str) -> StaffUser:
    serialise()  # as change_role: the last active admin is never disabled by two admins at once
    user = _account(user_id)
    if not active and user.id == actor.id:
        raise StaffError(_("you cannot disable your own account"))
    if not active and user.role == Role.ADMIN.value and not _other_active_admins(user):
        raise StaffError(_("%(email)s is the last active admin", email=user.email))
    user.active = active
    user.end_sessions()  # a cookie taken before the account was disabled never works again
    record("staff.enabled" if active else "staff.disabled", "staff_user", str(user.id), actor=actor,
           data={"reason": reason})
    db.session.flush()
    return user


def reset_password(user_id: int, *, actor: StaffUser) -> tuple[StaffUser, str]:
    user = _account(user_id)
    password = secrets.token_urlsafe(TEMPORARY_PASSWORD_BYTES)
    user.set_password(password)
    user.password_temporary = True
    record("staff.password_reset", "staff_user", str(user.id), actor=actor)
    db.session.flush()
    return user, password


def change_password(user: StaffUser, current: str, new: str) -> StaffUser:
    """The signed-in person's own new password: the current one must be given, the new one differ.
    Every other session ends with the old password (StaffUser.session_key)."""
    if not user.check_password(current or ""):
        raise StaffError(_("current password: that is not your password"))
    if len(new or "") < MIN_PASSWORD:
        raise StaffError(_("new password: at least %(n)d characters", n=MIN_PASSWORD))
    if user.check_password(new):
        raise StaffError(_("new password: choose one you have not been using"))
    was_temporary = user.password_temporary
    user.set_password(new)
    user.password_temporary = False
    record("staff.password_changed", "staff_user", str(user.id), actor=user, data={"was_temporary": was_temporary})
    db.session.flush()
    return user
