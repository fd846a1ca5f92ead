"""One handler per status code; JSON for API clients, HTML for people, in the reader's language."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, default_exceptions

from app.platform.i18n import _, _l, stored_text
from models.base import DomainError

TITLES = {
    400: _l("Bad request"), 401: _l("Sign-in needed"), 403: _l("Not allowed"), 404: _l("Not found"),
    405: _l("Method not allowed"), 409: _l("Conflict"), 413: _l("Too large"), 422: _l("Cannot be processed"),
    429: _l("Too many requests"), 500: _l("Server error"),
}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json"


def _respond(status: int, title: str, message: str, headers: dict | None = None):  # noqa: ANN202
    if wants_json():
        return jsonify({"error": title, "message": message}), status, headers or {}
    shown = str(TITLES.get(status, title))
    return render_template("error.html", status=status, title=shown, message=message), status, headers or {}


def _page_message(exc: HTTPException) -> str:
    """Werkzeug's stock sentence is replaced by ours (translated); a route's own description stays."""
    stock = default_exceptions.get(exc.code or 500)
    if stock is not None and exc.description == stock.description:
        return _("The page or action you asked for is not available (%(status)s).", status=exc.code)
    return exc.description or ""


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # noqa: ANN202
        if exc.response is not None:  # the page was made by whoever raised it (a throttled sign-in)
            return exc.response
        # Keep what Werkzeug adds (Allow on 405, WWW-Authenticate on 401, Retry-After).
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        message = exc.description or "" if wants_json() else _page_message(exc)
        return _respond(exc.code or 500, exc.name, message, headers)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):  # noqa: ANN202
        from models import db

        db.session.rollback()
        return _respond(exc.status_code, type(exc).__name__, stored_text(str(exc)))  # stated() ones translated
