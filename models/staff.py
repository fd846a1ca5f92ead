"""Staff accounts, their roles, and API clients that push proofs."""
from __future__ import annotations

import enum
import hashlib
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash

from models.base import UTCDateTime, db, utcnow

# argon2id with the library's current parameters; hashes made before it (werkzeug's scrypt/pbkdf2)
# still verify and are replaced at the next successful sign-in.
PASSWORDS = PasswordHasher()
_UNUSABLE_HASH = PASSWORDS.hash("no account has this password: it only spends a check's time")


class Role(str, enum.Enum):
    MODERATOR = "moderator"
    SENIOR_MODERATOR = "senior_moderator"
    COMPLIANCE = "compliance"
    OPERATOR = "operator"
    ADMIN = "admin"


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(32))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The workbench's language and time zone for this person (None: the browser's language, Asia/Shanghai).
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    # Raised by sign-out, disabling, enabling and a role change: ends every session made before.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # Handed over by an admin (an invitation, a reset): its owner must choose another before working.
    password_temporary: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    def set_password(self, password: str) -> None:
        self.password_hash = PASSWORDS.hash(password)

    @staticmethod
    def check_no_password(password: str) -> bool:
        """The work of a password check, for a sign-in with no account behind it: the answer takes
        as long as a wrong password does, so its timing does not say which emails are staff."""
        try:
            PASSWORDS.verify(_UNUSABLE_HASH, password)
        except (VerificationError, InvalidHashError):
            pass
        return False

    def check_password(self, password: str) -> bool:
        if not self.password_hash.startswith("$argon2"):
            return check_password_hash(self.password_hash, password)
        try:
            return PASSWORDS.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    @property
    def password_needs_upgrade(self) -> bool:
        return not self.password_hash.startswith("$argon2") or PASSWORDS.check_needs_rehash(self.password_hash)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def session_key(self) -> str:
        """Changes with the password and the session epoch: a session or remember-me cookie made
        before a reset, a sign-out, or the account being disabled (a compromised one, say) no longer
        signs anyone in, even once the account is enabled again."""
        return hashlib.sha256(f"{self.password_hash}:{self.session_epoch or 0}".encode()).hexdigest()[:16]

    def end_sessions(self) -> None:
        """Every session and remember-me cookie of this person stops working."""
        self.session_epoch = (self.session_epoch or 0) + 1

    def get_id(self) -> str:  # what Flask-Login keeps in the session and the remember-me cookie
        return f"{self.id}:{self.session_key}"

    def has_role(self, *roles: str) -> bool:
        return self.role == Role.ADMIN.value or self.role in roles


class ApiClient(db.Model):
    """A machine client of the JSON API; only a hash of its token is stored."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    token_prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the token may do: "ingest" (send proofs, campaigns, appeals), "read" (proof, worker, campaign state).
    scopes: Mapped[str] = mapped_column(sa.String(64), default="ingest read", server_default="ingest read")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A brand's own client (it may file disputes about that brand's completions); None for the platform's.
    brand_id: Mapped[str | None] = mapped_column(sa.ForeignKey("brands.id"))

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset((self.scopes or "").split())
