"""Who may open what: one role × endpoint matrix, enforced before every request.

Every endpoint of the app must be covered here (by its own name or its blueprint's); anything the
matrix does not name is refused, so a new page is closed until someone decides who may see it. The
`role_required` decorators on the views say the same thing again where the view is written; a test
walks `app.url_map` and proves each role gets exactly what this matrix says.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user, login_required

from app.platform.i18n import _

PUBLIC = "public"  # no sign-in: the sign-in page, static files, the OpenAPI document
SIGNED_IN = "signed_in"  # any staff member
PASSWORD_PAGE = "auth.change_password"
API_TOKEN = "api_token"  # machine clients; the API blueprint checks the bearer token itself

MODERATION = ("moderator", "senior_moderator")
SENIOR = ("senior_moderator",)

# Admins pass every role check. Exact endpoints win over their blueprint's line.
MATRIX: dict[str, str | tuple[str, ...]] = {
    "static": PUBLIC,
    "auth.index": PUBLIC, "auth.login": PUBLIC, "auth.logout": PUBLIC, "auth.set_language": PUBLIC,
    "auth.account": SIGNED_IN, "auth.change_password": SIGNED_IN, "auth.sign_out_everywhere": SIGNED_IN,
    "api": API_TOKEN, "api.openapi_document": PUBLIC,
    "queue": MODERATION, "queue.reveal_ip": SENIOR,
    "queue.proof": (*MODERATION, "operator"),  # operators read a proof's evidence (from backtests), never act on it
    "moderation": MODERATION,
    "moderation.reverse": SENIOR, "moderation.review_request": SENIOR, "moderation.leads_index": SENIOR,
    "moderation.decide_appeal": SENIOR,
    "casework": MODERATION, "casework.reasons_index": SENIOR, "casework.add_reason": SENIOR,
    "casework.edit_reason": SENIOR, "casework.retire_reason": SENIOR,
    "ledger": ("compliance", "operator"),
    "compliance": ("compliance",),
    "rules": ("operator",), "relief": ("operator",),
    "admin": ("admin",),
}


def rule_for(endpoint: str) -> str | tuple[str, ...] | None:
    if endpoint in MATRIX:
        return MATRIX[endpoint]
    return MATRIX.get(endpoint.split(".", 1)[0])


def may_open(user: Any, endpoint: str) -> bool:
    """What the matrix grants `user` (None: anonymous) on `endpoint`."""
    rule = rule_for(endpoint)
    if rule is None:
        return False
    if rule in (PUBLIC, API_TOKEN):
        return True
    if user is None or not user.is_authenticated:
        return False
    return rule == SIGNED_IN or user.has_role(*rule)


def enforce_matrix() -> None:
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: let the 404 (or 405) through
        return None
    rule = rule_for(endpoint)
    if rule is None:
        abort(403, description=_("this page is not in the access matrix"))
    if rule in (PUBLIC, API_TOKEN):
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.password_temporary and endpoint != PASSWORD_PAGE:
        return redirect(url_for(PASSWORD_PAGE))  # the handed-over password is changed before anything else
    if not may_open(current_user, endpoint):
        roles = ", ".join(rule) if isinstance(rule, tuple) else rule
        abort(403, description=_("this page needs one of the roles: %(roles)s", roles=roles))
    return None


def init_access(app: Flask) -> None:
    app.before_request(enforce_matrix)


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Logged in, and holding one of `roles` (admin passes every check)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403, description=_("this page needs one of the roles: %(roles)s", roles=", ".join(roles)))
            return view(*args, **kwargs)

        return wrapped

    return decorate
