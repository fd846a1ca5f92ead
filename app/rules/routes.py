"""Rule tuning area (editor, backtest, shadow mode): filled in by the rule-tuning issue."""
from flask import Blueprint

bp = Blueprint("rules", __name__, url_prefix="/rules")
