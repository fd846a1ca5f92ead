"""Every blueprint, registered in one place."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from app.admin.routes import bp as admin_bp
    from app.api.routes import bp as api_bp
    from app.auth.routes import bp as auth_bp
    from app.compliance.routes import bp as compliance_bp
    from app.extensions import csrf
    from app.ledger.routes import bp as ledger_bp
    from app.queue.routes import bp as queue_bp
    from app.rules.routes import bp as rules_bp

    csrf.exempt(api_bp)  # token-authenticated machine API; no browser session, no cookies
    for bp in (auth_bp, api_bp, queue_bp, compliance_bp, rules_bp, admin_bp, ledger_bp):
        app.register_blueprint(bp)
