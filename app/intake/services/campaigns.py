"""Campaigns created and edited by API clients; compliance screens each before it goes live.

A new campaign is stored as `draft` and screened at once: clean, it is activated (its budget
moves into escrow); with findings it stays draft, held in the compliance queue. A brief edit is
screened again (a live campaign with findings goes back to draft). Validation is the importer's
`parse_campaign`, so an API client and a world file get the same `field: problem`.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.compliance.services.screening import edit_brief, latest, screen_new_campaigns
from app.intake.services import records
from app.intake.services.intake import BatchConflict, BatchInvalid, ItemProblem
from app.money.services.funding import BARRED_KYC, activate_campaign
from app.platform.audit import record
from models import ApiClient, Brand, Campaign, Proof, Room, db


def _label(client: ApiClient | None) -> str:
    return f"api:{client.name}" if client is not None else "api"


def _invalid(obj: Any, field: str, problem: str) -> BatchInvalid:
    ident = obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str | int) else None
    return BatchInvalid(f"the campaign is invalid: {field}: {problem}",
                        [ItemProblem(0, None if ident is None else str(ident), field, problem)])


def create_campaign(obj: Any, default_commission: float, client: ApiClient | None) -> dict:
    """Store, screen and (when clean) activate one campaign; adds and flushes, the caller commits."""
    if not isinstance(obj, dict):
        raise _invalid(obj, "item", "must be a campaign object")
    try:
        row = records.parse_campaign(obj, default_commission)
    except records.RecordError as exc:
        raise _invalid(obj, exc.field, exc.problem) from None
    for field, model in (("brand_id", Brand), ("room_id", Room)):
        if db.session.get(model, row[field]) is None:
            raise _invalid(obj, field, f"{row[field]!r} is not a known {model.__tablename__[:-1]}")
    if (kyc := db.session.get(Brand, row["brand_id"]).kyc_status) in BARRED_KYC:
        raise _invalid(obj, "brand_id", f"brand {row['brand_id']} is {kyc}: it cannot start campaigns")
    if db.session.get(Campaign, row["id"]) is not None:
        raise BatchConflict(f"campaign {row['id']} exists; change its brief with PATCH /api/v1/campaigns/{row['id']}",
                            [ItemProblem(0, row["id"], "id", "already stored")])
    label = _label(client)
    db.session.add(Campaign(**row, status="draft"))
    db.session.flush()
    record("campaign.created", "campaign", row["id"], actor_label=label,
           data={"brand_id": row["brand_id"], "budget_cents": row["budget_cents"]})
    if not screen_new_campaigns([row["id"]], trigger="api", actor_label=label):
        activate_campaign(row["id"], actor_label=label)
    return campaign_status(row["id"])


def change_brief(campaign_id: str, obj: Any, client: ApiClient | None) -> dict:
    if not isinstance(obj, dict) or "brief" not in obj:
        raise _invalid(obj, "brief", "send an object with the new brief (a string, or null to remove it)")
    try:
        brief = records.text(obj, "brief", max_len=20000)
    except records.RecordError as exc:
        raise _invalid(obj, exc.field, exc.problem) from None
    edit_brief(campaign_id, brief, actor_label=_label(client), trigger="api")
    return campaign_status(campaign_id)


def visible_to(client: ApiClient, campaign_id: str | None = None, proof_id: str | None = None) -> bool:
    """Whether `client` may see the campaign (or the proof's campaign): the platform's own clients see
    every one, a brand's token its brand's only. Callers answer "not found" otherwise, so a token
    learns nothing of another brand's records."""
    if client.brand_id is None:
        return True
    if proof_id is not None:
        campaign_id = db.session.scalar(sa.select(Proof.campaign_id).where(Proof.id == proof_id))
    owner = db.session.scalar(sa.select(Campaign.brand_id).where(Campaign.id == campaign_id)) if campaign_id else None
    return owner == client.brand_id


def campaign_status(campaign_id: str) -> dict | None:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    screening = latest([campaign_id]).get(campaign_id)
    return {"id": campaign.id, "status": campaign.status, "brief": campaign.brief,
            "screening": None if screening is None else {
                "status": screening.status, "rule_set_version": screening.rule_set_version,
                "findings": [{k: f[k] for k in ("code", "severity", "matched", "field")} for f in screening.findings],
                "reason": screening.reason}}
