"""Template filters: money in yuan, times in the viewer's zone, masked personal data."""
from __future__ import annotations

from datetime import datetime

from flask import Flask

from app.platform.pii import mask_ip, mask_phone


def money(cents: int | None) -> str:
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    return f"{sign}¥{abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def register(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(when)
    app.add_template_filter(mask_ip)
    app.add_template_filter(mask_phone)
