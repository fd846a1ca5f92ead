"""Template filters: money in yuan, numbers and times in the viewer's language and zone, masked personal data."""
from __future__ import annotations

from flask import Flask

from app.platform.i18n import money, number, when
from app.platform.pii import mask_ip, mask_phone


def register(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(number)
    app.add_template_filter(when)
    app.add_template_filter(mask_ip)
    app.add_template_filter(mask_phone)
