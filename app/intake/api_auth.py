"""Bearer-token authentication for the JSON API (RFC 6750 style challenges)."""
from __future__ import annotations

from flask import Response, g, request

from app.auth.services.api_tokens import authenticate
from app.intake.payload import api_error

REALM = "workbench-api"


def _challenge(message: str, error: str | None = None) -> Response:
    response = api_error(401, "unauthorized", message)
    challenge = f'Bearer realm="{REALM}"'
    if error:
        challenge += f', error="{error}"'
    response.headers["WWW-Authenticate"] = challenge
    return response


def require_client() -> Response | None:
    """Before each API request: set g.api_client from the bearer token, or answer 401."""
    header = request.authorization
    if header is None or header.type != "bearer" or not header.token:
        return _challenge("send an API token: Authorization: Bearer <token> (create one with "
                          "`flask --app app api-tokens create NAME`)")
    client = authenticate(header.token)
    if client is None:
        # Unknown and revoked tokens get the same answer: nothing to learn by probing.
        return _challenge("the API token is not valid (unknown or revoked)", "invalid_token")
    g.api_client = client
    return None
