"""What every response carries to keep a browser from being turned against its user, and the
throttle store the sign-in page counts failures in.

The Content-Security-Policy allows scripts and styles only from this site's own files: no inline
`<script>`, no `style=` attributes, no `on...=` handlers, so an injected fragment of HTML cannot run.
Pages draw bar widths with classes (`w-35`) and charts as server-side SVG for that reason.
"""
from __future__ import annotations

from flask import Flask, Response, current_app

from app.platform.ratelimit import WindowLimiter

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def init_security(app: Flask) -> None:
    from app.extensions import limiter

    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "workbench-limits")
    limiter.init_app(app)
    app.after_request(security_headers)
    app.extensions["api_limiter"] = WindowLimiter(_redis_factory(app.config.get("REDIS_URL")))


def _redis_factory(url: str | None):  # noqa: ANN202 - () -> redis.Redis, or None without Redis
    if not url:
        return None
    client = None

    def connect():  # noqa: ANN202 - lazily, once per process (gunicorn forks after the app is built)
        nonlocal client
        if client is None:
            from redis import Redis

            client = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        return client

    return connect


def security_headers(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name in headers.keys()}  # one pass, not one per header (every response)
    for name, value in HEADERS.items():
        if name.lower() not in present:
            headers.add(name, value)
    if current_app.config.get("SESSION_COOKIE_SECURE"):  # served over HTTPS only: browsers must never fall back
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")  # pages hold personal data: keep them off disk
    return response
