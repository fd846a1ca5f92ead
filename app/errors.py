"""One handler per status code; JSON for API clients, HTML for people."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from models.base import DomainError


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json"


def _respond(status: int, title: str, message: str, headers: dict | None = None):  # noqa: ANN202
    if wants_json():
        return jsonify({"error": title, "message": message}), status, headers or {}
    return render_template("error.html", status=status, title=title, message=message), status, headers or {}


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # noqa: ANN202
        # Keep what Werkzeug adds (Allow on 405, WWW-Authenticate on 401, Retry-After).
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return _respond(exc.code or 500, exc.name, exc.description or "", headers)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):  # noqa: ANN202
        from models import db

        db.session.rollback()
        return _respond(exc.status_code, type(exc).__name__, str(exc))
