"""API tokens for machine clients: create (plaintext shown once), revoke, authenticate.

Only the sha256 of a token is stored. A token carries 256 bits of randomness, so a plain
(unsalted) hash is enough and lets authentication find the client by an indexed equality on
the hash: nothing secret is compared byte by byte, so timing reveals nothing about the token.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.platform.audit import record
from app.platform.i18n import _
from models import ApiClient, Brand, DomainError, NotFound, db, utcnow

TOKEN_PREFIX = "wb_"
DISPLAY_CHARS = 12  # "wb_" + 9 characters: enough to tell tokens apart, useless to an attacker
NAME_MAX = 120
SCOPES = ("ingest", "read")  # ingest: send proofs, campaigns and appeals; read: ask for their state
MAX_EXPIRY_DAYS = 730
LAST_USE_RESOLUTION = timedelta(minutes=1)


class ApiTokenError(DomainError):
    status_code = 422


def hash_token(token: str) -> str:
    """The stored form of a token: sha256 hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(name: str, *, actor_label: str = "cli", scopes: tuple[str, ...] = SCOPES,
                 expires_days: int | None = None, brand_id: str | None = None) -> tuple[ApiClient, str]:
    """Create a client; returns it and the plaintext token, which is never stored or shown again.

    `brand_id` makes it that brand's own client: it may file disputes about the brand's completions."""
    name = name.strip()
    if not name:
        raise ApiTokenError(_("name: is required"))
    if len(name) > NAME_MAX:
        raise ApiTokenError(_("name: is longer than %(n)d characters", n=NAME_MAX))
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ApiTokenError(_("scopes: choose from %(choices)s (got %(got)s)", choices=", ".join(SCOPES),
                                got=", ".join(unknown) or "none"))
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise ApiTokenError(_("expires_days: between 1 and %(max)d", max=MAX_EXPIRY_DAYS))
    if brand_id is not None and db.session.get(Brand, brand_id) is None:
        raise ApiTokenError(_("brand: no brand with id %(id)r", id=brand_id))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(name=name, token_hash=hash_token(token), token_prefix=token[:DISPLAY_CHARS],
                       scopes=" ".join(s for s in SCOPES if s in scopes),
                       expires_at=utcnow() + timedelta(days=expires_days) if expires_days else None,
                       brand_id=brand_id)
    db.session.add(client)
    db.session.flush()
    record("api_token.created", "api_client", str(client.id), actor_label=actor_label,
           data={"name": name, "token_prefix": client.token_prefix, "scopes": client.scopes,
                 "expires_days": expires_days, "brand_id": brand_id})
    return client, token


def revoke_token(client_id: int, *, actor_label: str = "cli") -> ApiClient:
    """Revoke a client's token; revoking twice is refused so the operator notices the typo."""
    client = db.session.get(ApiClient, client_id)
    if client is None:
        raise NotFound(_("no API client with id %(id)s", id=client_id))
    if client.revoked_at is not None:
        raise ApiTokenError(_("API client %(id)s (%(name)s) was already revoked at %(at)s UTC", id=client_id,
                              name=client.name, at=client.revoked_at.strftime("%Y-%m-%d %H:%M")))
    client.revoked_at = utcnow()
    forget_cached_clients()  # this process at once; the others within API_TOKEN_CACHE_SECONDS
    record("api_token.revoked", "api_client", str(client.id), actor_label=actor_label,
           data={"name": client.name, "token_prefix": client.token_prefix})
    db.session.flush()
    return client


_BY_DIGEST = sa.select(ApiClient).where(ApiClient.token_hash == sa.bindparam("digest"))  # built once: every API request


def authenticate(token: str | None) -> ApiClient | None:
    """The active client holding `token`, or None (unknown, malformed or revoked)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = hash_token(token)
    client = db.session.scalar(_BY_DIGEST, {"digest": digest})
    if client is None or not hmac.compare_digest(client.token_hash, digest):
        return None
    if client.revoked_at is not None:
        return None
    now = utcnow()
    if client.expires_at is not None and client.expires_at <= now:
        return None
    if client.last_used_at is None or now - client.last_used_at >= LAST_USE_RESOLUTION:
        client.last_used_at = now  # at most one write a minute per client, committed by the caller
    return client


@dataclass(frozen=True)
class CachedClient:
    """What an API request needs of its client, kept between requests (`authenticate_cached`)."""

    id: int
    name: str
    scopes: str
    brand_id: str | None
    expires_at: datetime | None
    last_used_at: datetime | None

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset((self.scopes or "").split())


_cache: dict[str, tuple[float, CachedClient]] = {}  # token digest -> (monotonic time read, client)
_cache_lock = threading.Lock()


def authenticate_cached(token: str | None, ttl_seconds: float) -> ApiClient | CachedClient | None:
    """`authenticate`, reading the database at most once per token every `ttl_seconds` in this process.

    A revocation made elsewhere (another process) is honoured within `ttl_seconds`, one made here at
    once; expiry is checked on every request. When the last use is due for its once-a-minute update,
    the database is read as without a cache (the caller commits that update). 0 disables the cache."""
    if ttl_seconds <= 0 or not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return authenticate(token)
    digest, now = hash_token(token), utcnow()
    with _cache_lock:
        cached = _cache.get(digest)
    if cached is not None and time.monotonic() - cached[0] < ttl_seconds:
        client = cached[1]
        if client.last_used_at is not None and now - client.last_used_at < LAST_USE_RESOLUTION:
            return None if client.expires_at is not None and client.expires_at <= now else client
    found = authenticate(token)
    with _cache_lock:
        if found is None:
            _cache.pop(digest, None)
        else:
            if len(_cache) > 10_000:
                _cache.clear()  # a bound, not a policy: tokens are few
            _cache[digest] = (time.monotonic(), CachedClient(found.id, found.name, found.scopes, found.brand_id,
                                                              found.expires_at, found.last_used_at))
    return found


def forget_cached_clients() -> None:
    with _cache_lock:
        _cache.clear()


def list_clients() -> list[ApiClient]:
    """Every client, oldest first (revoked ones included, for the record)."""
    return list(db.session.scalars(sa.select(ApiClient).order_by(ApiClient.id)))
