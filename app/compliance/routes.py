"""Compliance area (brand audits, cases): filled in by the compliance issue."""
from flask import Blueprint

bp = Blueprint("compliance", __name__, url_prefix="/compliance")
