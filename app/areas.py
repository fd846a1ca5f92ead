"""The workbench's areas, one package per capability; each brings its blueprint and its commands.

| area       | owns                                                                           |
| ---------- | ------------------------------------------------------------------------------ |
| auth       | sign-in, staff accounts, API tokens                                            |
| intake     | the JSON API, world import and simulate, record parsing, evidence columns      |
| scoring    | context, rules and model together, rule sets, model registry, training, score  |
| review     | the moderators' queue, claims, evidence view, decisions, QA                    |
| money      | ledger, funding, settlement, payouts, clawbacks, statements, verify            |
| compliance | brand audits (its own issue)                                                   |
| rules      | the operators' workbench (its own issue)                                       |
| admin      | staff, tokens, retention settings; the scheduler's periodic jobs, the reconciler |
| platform   | plumbing every area uses: SQL and bulk helpers, audit, jobs, PII, access       |
"""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from app.admin.routes import bp as admin_bp
    from app.auth.routes import bp as auth_bp
    from app.compliance.routes import bp as compliance_bp
    from app.extensions import csrf
    from app.intake.routes import bp as api_bp
    from app.money.routes import bp as money_bp
    from app.review.casework_routes import bp as casework_bp
    from app.review.moderation_routes import bp as moderation_bp
    from app.review.routes import bp as review_bp
    from app.rules.relief_routes import bp as relief_bp
    from app.rules.routes import bp as rules_bp

    csrf.exempt(api_bp)  # token-authenticated machine API; no browser session, no cookies
    for bp in (auth_bp, api_bp, review_bp, moderation_bp, casework_bp, compliance_bp, rules_bp, relief_bp, admin_bp,
               money_bp):
        app.register_blueprint(bp)


def register_listeners(app: Flask) -> None:
    from app.platform.hooks import PROOFS_SCORED, listen
    from app.review.services import priority
    from app.rules.jobs import shadow_follow

    listen(app, PROOFS_SCORED, shadow_follow)
    priority.install()  # every queued or moved review item gets its place in the queue's order


def register_commands(app: Flask) -> None:
    from app.admin import cli as admin_cli
    from app.auth import cli as auth_cli
    from app.compliance import brands_cli, cases_cli
    from app.compliance import cli as compliance_cli
    from app.intake import cli as intake_cli
    from app.money import cli as money_cli
    from app.platform import cli as platform_cli
    from app.review import cli as review_cli
    from app.rules import cli as rules_cli
    from app.scoring import cli as scoring_cli

    for module in (intake_cli, auth_cli, platform_cli, scoring_cli, money_cli, compliance_cli, brands_cli, cases_cli,
                   rules_cli, admin_cli, review_cli):
        module.register(app)
