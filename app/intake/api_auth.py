"""Bearer-token authentication for the JSON API (RFC 6750 style challenges)."""
from __future__ import annotations

from flask import Response, current_app, g, request

from app.auth.services.api_tokens import authenticate_cached
from app.intake.payload import api_error
from models import ApiClient, db

REALM = "workbench-api"


def _challenge(message: str, error: str | None = None) -> Response:
    response = api_error(401, "unauthorized", message)
    challenge = f'Bearer realm="{REALM}"'
    if error:
        challenge += f', error="{error}"'
    response.headers["WWW-Authenticate"] = challenge
    return response


# What a brand's own token (ApiClient.brand_id) may call, each on its brand's records only (routes.py):
# a brand pays for proofs, so it never submits them, appeals for workers or reads workers' standing.
BRAND_ENDPOINTS = frozenset({"api.post_campaign", "api.get_campaign", "api.patch_campaign", "api.get_proof",
                             "api.post_dispute", "api.get_reject_reasons"})


def require_client() -> Response | None:
    """Before each API request: set g.api_client from the bearer token, or answer 401."""
    header = request.authorization
    if header is None or header.type != "bearer" or not header.token:
        return _challenge("send an API token: Authorization: Bearer <token> (create one with "
                          "`flask --app app api-tokens create NAME`)")
    client = authenticate_cached(header.token, current_app.config["API_TOKEN_CACHE_SECONDS"])
    if client is None:
        # Unknown, revoked and expired tokens get the same answer: nothing to learn by probing.
        return _challenge("the API token is not valid (unknown, revoked or expired)", "invalid_token")
    if isinstance(client, ApiClient) and db.session.is_modified(client):
        db.session.commit()  # its last use moved on: keep it even if the request fails later
    needed = "read" if request.method in ("GET", "HEAD") else "ingest"
    if needed not in client.scope_set:
        response = api_error(403, "insufficient_scope", f"this token's scopes ({client.scopes}) do not include "
                                                        f"{needed!r}")
        response.headers["WWW-Authenticate"] = f'Bearer realm="{REALM}", error="insufficient_scope", scope="{needed}"'
        return response
    if client.brand_id is not None and request.endpoint not in BRAND_ENDPOINTS:
        return api_error(403, "not_for_brand_clients",
                         f"a brand's token (brand {client.brand_id}) manages its own campaigns, reads their proofs "
                         "and files disputes; this endpoint is for the platform's own clients")
    g.api_client = client
    return None


def client_key() -> str:
    """Per-client rate limits once the token is verified (its client's id); before that, or for a
    token that is not valid, the address. A token's public prefix is no key: whoever knows it (it
    is shown to admins and in the audit trail) could spend the client's quota, and a made-up
    prefix per request would never be counted."""
    client = g.get("api_client")
    if client is not None:
        return f"api-client:{client.id}"
    return "api-address:" + (request.remote_addr or "unknown")


def check_rate_limit() -> Response | None:
    """Count this request against its client's limit (API_RATE_LIMIT, a fixed window per client,
    app/platform/ratelimit.py; client_key); 429 past it. The verdict's headers go on every answer."""
    limit = current_app.config["API_RATE_LIMIT"]
    verdict = current_app.extensions["api_limiter"].hit(client_key(), limit)
    g.rate_limit = verdict
    if verdict.allowed:
        return None
    return api_error(429, "rate_limited", f"too many requests for this token ({limit}); retry in {verdict.reset_in} s")


def rate_limit_headers(response: Response) -> Response:
    verdict = g.get("rate_limit")
    if verdict is not None:
        response.headers.update(verdict.headers())
    return response
