"""Compliance area (brand audits, cases): filled in by the compliance issue."""
from flask import Blueprint

bp = Blueprint("compliance", __name__, url_prefix="/compliance")
from app.compliance import screening_routes  # noqa: E402,F401 - attaches the screening pages to bp
