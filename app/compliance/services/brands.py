"""Brands for compliance: the list by risk, a brand's file, and KYC changes with their history."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.compliance.services.scorecard import Week, weekly_trend
from app.money.services.statements import BrandStatement, CampaignStatement, brand_statements, campaign_statements
from app.platform.audit import record
from app.platform.i18n import _
from app.platform.pii import PiiKeyError, PiiVault, mask_licence
from models import (
    AuditEvent,
    Brand,
    BrandRingMember,
    BrandScorecard,
    Campaign,
    DomainError,
    IllegalTransition,
    NotFound,
    Proof,
    StaffUser,
    db,
)

KYC_ACTION = "brand.kyc_changed"
# pending -> verified / rejected / suspended; a rejected brand may resubmit (pending) and a
# suspended one be reinstated (verified) or closed for good (rejected).
KYC_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"verified", "rejected", "suspended"}),
    "verified": frozenset({"suspended", "rejected"}),
    "rejected": frozenset({"pending"}),
    "suspended": frozenset({"verified", "rejected"}),
}
MIN_REASON = 5


@dataclass
class BrandRow:
    id: str
    name: str
    kyc_status: str
    campaigns: int
    card: BrandScorecard | None


@dataclass
class BrandPage:
    rows: list[BrandRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def brands_by_risk(page: int = 1, per_page: int = 50) -> BrandPage:
    """One page of brands, riskiest first (brands never scored last), with their campaign counts."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Brand)) or 0
    page = min(max(page, 1), max(1, -(-total // per_page)))  # past the last page: the last page
    campaigns = (sa.select(Campaign.brand_id, sa.func.count().label("n")).group_by(Campaign.brand_id)
                 .subquery())
    query = (sa.select(Brand.id, Brand.name, Brand.kyc_status, sa.func.coalesce(campaigns.c.n, 0), BrandScorecard)
             .outerjoin(BrandScorecard, BrandScorecard.brand_id == Brand.id)
             .outerjoin(campaigns, campaigns.c.brand_id == Brand.id)
             .order_by(sa.func.coalesce(BrandScorecard.risk, -1.0).desc(), Brand.id)
             .limit(per_page).offset((page - 1) * per_page))
    rows = [BrandRow(*row) for row in db.session.execute(query)]
    return BrandPage(rows, total, page, per_page)


@dataclass
class KycChange:
    at: Any
    actor: str
    before: str | None
    after: str | None
    reason: str | None


@dataclass
class BrandFile:
    brand: Brand
    licence_masked: str
    contact_masked: str
    kyc_history: list[KycChange]
    allowed_kyc: list[str]
    campaigns: list[Campaign]
    campaign_money: dict[str, CampaignStatement]
    money: BrandStatement | None
    card: BrandScorecard | None
    ring_size: int | None
    trend: list[Week] = field(default_factory=list)


def get_brand(brand_id: str) -> Brand:
    brand = db.session.get(Brand, brand_id)
    if brand is None:
        raise NotFound(_("brand %(id)s does not exist", id=brand_id))
    return brand


def _unsealed(vault: PiiVault, token: str | None) -> str | None:
    try:
        return vault.decrypt(token)
    except PiiKeyError:
        return "?"


def _mask_email(email: str | None) -> str:
    if not email or "@" not in email:
        return "—"
    user, domain = email.split("@", 1)
    return f"{user[:1]}•••@{domain}"


def kyc_history(brand_id: str) -> list[KycChange]:
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "brand", AuditEvent.object_id == brand_id, AuditEvent.action == KYC_ACTION)
        .order_by(AuditEvent.id.desc()))
    return [KycChange(e.at, e.actor_label, (e.before or {}).get("kyc_status"), (e.after or {}).get("kyc_status"),
                      e.reason) for e in events]


def brand_file(brand_id: str, vault: PiiVault) -> BrandFile:
    """Everything compliance reads about one brand; PII masked."""
    brand = get_brand(brand_id)
    card = db.session.get(BrandScorecard, brand_id)
    ring_size = None
    if card and card.top_ring_id is not None:
        ring_size = db.session.scalar(sa.select(sa.func.count()).select_from(BrandRingMember)
                                      .where(BrandRingMember.brand_id == brand_id))
    return BrandFile(
        brand=brand,
        licence_masked=mask_licence(_unsealed(vault, brand.license_no_enc)),
        contact_masked=_mask_email(_unsealed(vault, brand.contact_email_enc)),
        kyc_history=kyc_history(brand_id),
        allowed_kyc=sorted(KYC_TRANSITIONS.get(brand.kyc_status, ())),
        campaigns=list(db.session.scalars(sa.select(Campaign).where(Campaign.brand_id == brand_id)
                                          .order_by(Campaign.id))),
        campaign_money={s.campaign_id: s for s in campaign_statements(brand_id)},
        money=next((s for s in brand_statements() if s.brand_id == brand_id), None),
        card=card,
        ring_size=ring_size,
        trend=weekly_trend(brand_id),
    )


def campaign_proof_counts(brand_id: str) -> dict[str, int]:
    return dict(db.session.execute(
        sa.select(Proof.campaign_id, sa.func.count()).join(Campaign, Campaign.id == Proof.campaign_id)
        .where(Campaign.brand_id == brand_id).group_by(Proof.campaign_id)).all())


class KycError(DomainError):
    status_code = 400


def change_kyc(brand_id: str, target: str, *, reason: str, actor: StaffUser) -> Brand:
    """Move a brand's KYC state, with the reason in the audit trail (flushed, not committed)."""
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise KycError(_("a KYC change needs a reason of at least %(n)d characters", n=MIN_REASON))
    brand = db.session.execute(sa.select(Brand).where(Brand.id == brand_id).with_for_update()).scalar()
    if brand is None:
        raise NotFound(_("brand %(id)s does not exist", id=brand_id))
    current = brand.kyc_status
    if target not in KYC_TRANSITIONS.get(current, ()):
        raise IllegalTransition(_("a brand's KYC cannot go from %(before)s to %(after)s", before=current, after=target))
    brand.kyc_status = target
    record(KYC_ACTION, "brand", brand_id, actor=actor, before={"kyc_status": current},
           after={"kyc_status": target}, reason=reason)
    return brand
