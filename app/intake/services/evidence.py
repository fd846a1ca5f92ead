"""Turn a validated proof into its stored columns: encrypt the raw IP, hash what rules match on,
and enrich the address with offline IP intelligence."""
from __future__ import annotations

import re

from app.platform.pii import PiiVault
from review_rules.ipintel import lookup


def proof_columns(row: dict, vault: PiiVault) -> dict:
    ip = row["ip"]
    ip_hash, prefix_hash = vault.ip_hashes(ip)
    info = lookup(ip)
    device = row.get("device") or {}
    columns = {
        key: row[key] for key in (
            "id", "campaign_id", "worker_id", "accepted_at", "submitted_at", "started_at",
            "watch_seconds", "user_agent", "comment_text", "screenshot_sha256", "screenshot_phash",
        )
    }
    columns.update(
        ip_enc=vault.encrypt(ip), ip_hash=ip_hash, ip_prefix_hash=prefix_hash,
        ip_version=6 if ":" in ip else 4,  # `ip` is a parsed address already
        ip_country=info.country, ip_asn_name=(info.asn_name or "")[:200] or None, ip_asn_cidr=info.asn_cidr,
        device_present=bool(row.get("device") is not None),
        device_fp_hash=vault.keyed_hash(device.get("fingerprint"), "device_fp"),
        device_canvas_hash=vault.keyed_hash(device.get("canvas_hash"), "device_canvas"),
        device_platform=device.get("platform"), device_os=device.get("os"), device_screen=device.get("screen"),
        device_timezone=device.get("timezone"), device_language=device.get("language"),
        device_webdriver=device.get("webdriver"), device_emulator=device.get("emulator"),
        device_touch_points=device.get("touch_points"),
        device_hardware_concurrency=device.get("hardware_concurrency"),
        device_webgl_renderer=device.get("webgl_renderer"),
    )
    return columns


def normalise_phone(phone: str | None) -> str | None:
    """One spelling per number, so "+86 138 0013 8000" and "+8613800138000" hash alike."""
    if not phone:
        return None
    return re.sub(r"[\s\-().]", "", phone) or None


def worker_columns(row: dict, vault: PiiVault) -> dict:
    phone = normalise_phone(row.get("phone"))
    return {
        "id": row["id"], "created_at": row["created_at"], "region": row["region"],
        "timezone": row["timezone"], "language": row["language"],
        "phone_enc": vault.encrypt(phone), "phone_hash": vault.keyed_hash(phone, "phone"),
    }


def brand_columns(row: dict, vault: PiiVault) -> dict:
    return {
        "id": row["id"], "name": row["name"], "kyc_status": row["kyc_status"], "created_at": row["created_at"],
        "license_no_enc": vault.encrypt(row["license_no"]), "contact_email_enc": vault.encrypt(row["contact_email"]),
    }
