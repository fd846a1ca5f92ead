"""Showing one personal value in clear: only for a role that needs it, only with a reason, and
always with an audit row (who, what, why — never the value itself), in the same transaction."""
from __future__ import annotations

from dataclasses import dataclass

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import Length

from app.platform.audit import record
from app.platform.i18n import _, _l
from app.platform.pii import PiiVault
from models import Brand, DomainError, NotFound, Proof, StaffUser, db

REASON_MIN = 10  # "checking" is not a reason; "appeal 4312: worker says VPN" is


class RevealError(DomainError):
    status_code = 422


@dataclass(frozen=True)
class Revealable:
    model: type
    column: str
    roles: tuple[str, ...]  # admins pass every role check


# object kind.field -> where the ciphertext lives and who may read it
REVEALABLE = {
    "proof.ip": Revealable(Proof, "ip_enc", ("senior_moderator",)),
    "brand.licence": Revealable(Brand, "license_no_enc", ("compliance",)),
}


def may_reveal(user: StaffUser, what: str) -> bool:
    spec = REVEALABLE.get(what)
    return spec is not None and user.has_role(*spec.roles)


def reveal(what: str, object_id: str, *, reason: str, actor: StaffUser, vault: PiiVault) -> str:
    spec = REVEALABLE.get(what)
    if spec is None:
        raise NotFound(_("nothing called %(what)s can be revealed", what=what))
    if not actor.has_role(*spec.roles):
        raise RevealError(_("your role may not reveal %(what)s", what=what))
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN:
        raise RevealError(_("reason: say why you need it (at least %(n)d characters)", n=REASON_MIN))
    row = db.session.get(spec.model, object_id)
    if row is None:
        raise NotFound(_("no %(kind)s %(id)s", kind=what.split(".")[0], id=object_id))
    if getattr(row, spec.column) is None:  # never given, or dropped by the retention job: nothing to reveal
        raise RevealError(_("nothing stored: never given, or purged after the retention period"))
    value = vault.decrypt(getattr(row, spec.column)) or ""
    record("pii.revealed", what.split(".")[0], object_id, actor=actor, data={"field": what, "reason": reason})
    return value


class RevealForm(FlaskForm):
    """Why the full value is needed; the reason goes to the audit trail with the reveal."""

    reason = StringField(_l("Reason for revealing"), validators=[Length(max=500)])
    reveal = SubmitField(_l("Reveal"))
