"""Staff accounts: creation and authentication."""
from __future__ import annotations

import sqlalchemy as sa

from app.platform.i18n import _
from models import DomainError, Role, StaffUser, db


class StaffError(DomainError):
    status_code = 422


def create_staff(email: str, name: str, role: str, password: str) -> StaffUser:
    roles = [r.value for r in Role]
    if role not in roles:
        raise StaffError(_("role %(role)r is not one of %(roles)s", role=role, roles=", ".join(roles)))
    if len(password) < 8:
        raise StaffError(_("password: at least 8 characters"))
    email = email.strip().lower()
    if db.session.scalar(sa.select(StaffUser.id).where(StaffUser.email == email)):
        raise StaffError(_("email %(email)s is already a staff account", email=email))
    user = StaffUser(email=email, name=name, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> StaffUser | None:
    user = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None or not user.active:
        return StaffUser.check_no_password(password) or None  # as slow as a wrong password
    if not user.check_password(password):
        return None
    if user.password_needs_upgrade:  # an older hash, or argon2 parameters since raised
        user.set_password(password)
        db.session.flush()
    return user
