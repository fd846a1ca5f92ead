"""Application factory: config, extensions, PII vault, job dispatcher, blueprints, errors, CLI."""
from __future__ import annotations

import hashlib

from flask import Flask

from config import BASE_DIR, Config, ConfigError, ProductionConfig, config_from_env


def create_app(config_class: type[Config] | None = None) -> Flask:
    config_class = config_class or config_from_env()
    if issubclass(config_class, ProductionConfig):
        config_class.check()
    app = Flask(__name__, instance_path=str(config_class.INSTANCE_DIR), instance_relative_config=False)
    app.config.from_object(config_class)
    _install_secrets(app)
    _tune_engine(app)

    from app.extensions import csrf, db, login_manager, migrate
    from app.platform.access import init_access
    from app.platform.dbpool import ping_idle_connections
    from app.platform.i18n import init_i18n
    from app.platform.jobs import JobDispatcher
    from app.platform.security import init_security

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            ping_idle_connections(engine, app.config["DB_PING_IDLE_SECONDS"])
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    app.extensions["jobs"] = JobDispatcher(app.config["REDIS_URL"])
    init_i18n(app)
    init_security(app)
    init_access(app)

    from app import areas, errors, templating

    areas.register_blueprints(app)
    areas.register_listeners(app)
    errors.register(app)
    templating.register(app)
    areas.register_commands(app)
    return app


def _tune_engine(app: Flask) -> None:
    """PostgreSQL plans every statement with its own parameters. psycopg prepares a statement after
    a few runs, and the server may then reuse one generic plan: made while a table was still empty,
    it scans the whole table for every primary-key lookup of a big import (quadratic time)."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        connect_args["options"] = (connect_args.get("options", "") + " -c plan_cache_mode=force_custom_plan").strip()
        options["connect_args"] = connect_args
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _install_secrets(app: Flask) -> None:
    """Keys from the environment; development generates and keeps its own in instance/."""
    from app.platform.pii import PiiVault, load_or_create_dev_keys

    fernet_keys, hmac_key = app.config["PII_KEYS"], app.config["PII_HMAC_KEY"]
    if not (fernet_keys and hmac_key):
        if app.config["TESTING"]:
            from cryptography.fernet import Fernet

            fernet_keys, hmac_key = Fernet.generate_key().decode(), "t" * 32
        elif app.config["DEV_KEYS_FILE"]:
            fernet_keys, hmac_key = load_or_create_dev_keys(app.config["INSTANCE_DIR"])
        else:
            raise ConfigError("PII_KEYS and PII_HMAC_KEY must be set")
    app.extensions["pii"] = PiiVault.from_keys(fernet_keys, hmac_key)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = hashlib.sha256(b"session:" + hmac_key.encode()).hexdigest()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        app.config["INSTANCE_DIR"].mkdir(parents=True, exist_ok=True)
