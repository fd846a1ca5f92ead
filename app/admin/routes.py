"""Administration area (staff, roles, API tokens, retention): filled in by the admin issue."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
