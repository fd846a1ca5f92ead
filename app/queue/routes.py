"""The moderators' review queue."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("queue", __name__, url_prefix="/queue")

from app.queue import views  # noqa: E402,F401  - routes attach to bp
