"""Configuration classes; every setting comes from the environment through a checked parser."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """A setting is missing or malformed."""


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_number(name: str, default: float, parse: type, kind: str, low: float, high: float | None) -> Any:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        value = parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not {kind}") from exc
    if value < low or (high is not None and value > high):
        bounds = f"outside [{low}, {high}]" if high is not None else f"below {low}"
        raise ConfigError(f"{name}={value} is {bounds}")
    return value


def env_float(name: str, default: float, low: float, high: float) -> float:
    return _env_number(name, default, float, "a number", low, high)


def env_int(name: str, default: int, low: int = 0) -> int:
    return _env_number(name, default, int, "an integer", low, None)


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


def sqlalchemy_url(raw: str) -> str:
    """Accept plain postgres URLs and point them at psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


class Config:
    INSTANCE_DIR = Path(env_str("INSTANCE_DIR", str(BASE_DIR / "instance")))
    # Where regulator exports are kept (default: <instance>/exports); web and workers must share it.
    EXPORT_DIR = env_str("EXPORT_DIR")
    SECRET_KEY = env_str("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = sqlalchemy_url(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'workbench.db'}")
    )
    # Pooled connections idle longer than this are pinged before use (app/platform/dbpool.py); ones
    # used more recently are not: SQLAlchemy's pool_pre_ping cost a round trip on every request.
    DB_PING_IDLE_SECONDS = env_float("DB_PING_IDLE_SECONDS", 1.0, 0.0, 3600.0)
    REDIS_URL = env_str("REDIS_URL")
    # Fernet keys, newest first, comma separated (MultiFernet rotation); HMAC key for matching.
    PII_KEYS = env_str("PII_KEYS")
    PII_HMAC_KEY = env_str("PII_HMAC_KEY")
    DEFAULT_COMMISSION_RATE = env_float("DEFAULT_COMMISSION_RATE", 0.15, 0.0, 1.0)
    SCORING_BATCH_SIZE = env_int("SCORING_BATCH_SIZE", 5000, 1)
    API_MAX_BATCH = env_int("API_MAX_BATCH", 1000, 1)
    API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 16 * 1024 * 1024, 1024)  # larger bodies get 413
    # Every other request (pages, forms; the API raises it to API_MAX_BODY_BYTES for its own): a case
    # file (10 MB) and its form fit, an anonymous 40 MB post gets 413 before anything parses it.
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 11 * 1024 * 1024, 1024)
    SETTLEMENT_HOLD_HOURS = env_int("SETTLEMENT_HOLD_HOURS", 24)
    PAYOUT_MINIMUM_CENTS = env_int("PAYOUT_MINIMUM_CENTS", 1000)
    NEW_WORKER_PAYOUT_HOLD_DAYS = env_int("NEW_WORKER_PAYOUT_HOLD_DAYS", 7)
    MODEL_DIR = Path(env_str("MODEL_DIR", str(BASE_DIR / "instance" / "models")))
    # a backtest evaluates its later days in a forked child, on a second core (ml/history.py)
    BACKTEST_PROCESSES = env_int("BACKTEST_PROCESSES", min(2, os.cpu_count() or 1), 1)  # 1: in the job's process
    MODEL_TIMEOUT_SECONDS = env_float("MODEL_TIMEOUT_SECONDS", 5.0, 0.01, 600.0)
    WTF_CSRF_TIME_LIMIT = None
    WTF_I18N_ENABLED = True  # WTForms' own messages ("This field is required.") in the page's language
    I18N_RECORD_MISSING = False  # tests: remember every message a catalogue lacks (app/platform/i18n.py)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)  # True in production (HTTPS only)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Failed sign-ins allowed before a pause (Flask-Limiter syntax), per account and per address.
    LOGIN_LIMIT_PER_ACCOUNT = env_str("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes")
    LOGIN_LIMIT_PER_ADDRESS = env_str("LOGIN_LIMIT_PER_ADDRESS", "30 per 15 minutes")
    # Every attempt, counted as it starts: a burst sent at once cannot outrun the failure counts above.
    LOGIN_PACE_PER_ACCOUNT = env_str("LOGIN_PACE_PER_ACCOUNT", "1 per second")
    LOGIN_PACE_PER_ADDRESS = env_str("LOGIN_PACE_PER_ADDRESS", "5 per second")
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down: keep throttling in this process
    RATELIMIT_HEADERS_ENABLED = True
    # Per API token, a fixed window opened by the token's first request (Flask-Limiter syntax).
    API_RATE_LIMIT = env_str("API_RATE_LIMIT", "3000 per minute")
    # Seconds a process keeps a token's client between database reads: a revocation made in another
    # process takes effect within this (in the revoking process at once). 0: read on every request.
    API_TOKEN_CACHE_SECONDS = env_float("API_TOKEN_CACHE_SECONDS", 5.0, 0.0, 60.0)
    RATELIMIT_STRATEGY = "moving-window"  # a pause lasts its full length from the failures, not to a clock boundary
    DEV_KEYS_FILE = True  # generate and persist dev keys in instance/ when none are given
    TESTING = False


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    I18N_RECORD_MISSING = True
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_DATABASE_URI = sqlalchemy_url(env_str("TEST_DATABASE_URL", "sqlite://"))
    REDIS_URL = env_str("TEST_REDIS_URL")
    DEV_KEYS_FILE = False
    SECRET_KEY = "test-secret"
    API_TOKEN_CACHE_SECONDS = 0.0  # tests change tokens in the database directly; the cache has its own tests
    LOGIN_PACE_PER_ACCOUNT = LOGIN_PACE_PER_ADDRESS = "1000 per second"  # tests sign in at machine speed


class ProductionConfig(Config):
    DEV_KEYS_FILE = False
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    @classmethod
    def check(cls) -> None:
        missing = [n for n in ("SECRET_KEY", "PII_KEYS", "PII_HMAC_KEY") if not getattr(cls, n)]
        if missing:
            raise ConfigError("production needs " + ", ".join(missing))
        if env_str("DATABASE_URL") is None:
            raise ConfigError("production needs DATABASE_URL")
        if env_str("REDIS_URL") is None:  # else each web worker counts failed sign-ins on its own
            raise ConfigError("production needs REDIS_URL (the job queues and the sign-in limits every worker shares)")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    name = env_str("WORKBENCH_ENV", "development")
    if name not in CONFIGS:
        raise ConfigError(f"WORKBENCH_ENV={name!r}: choose one of {', '.join(CONFIGS)}")
    return CONFIGS[name]
