"""Integration fixtures: the app on PostgreSQL with real Redis queues, and real worker processes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from config import BASE_DIR, TestingConfig
from models import db
from tests.conftest import _empty_tables

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
FERNET_KEY = "kL2nJd5oV8mQ1wX4yZ7aB0cE3fH6iK9lN2pR5sU8vY0="
HMAC_KEY = "integration-hmac-key-0123456789abcdef"


@pytest.fixture()
def rq_app(_schema: str, tmp_path: Path):  # noqa: ANN201
    if not (REDIS_URL and _schema.startswith("postgresql")):
        pytest.skip("integration tests need TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL")

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = _schema
        INSTANCE_DIR = tmp_path / "instance"
        MODEL_DIR = tmp_path / "models"
        PII_KEYS = FERNET_KEY
        PII_HMAC_KEY = HMAC_KEY

    Config.REDIS_URL = REDIS_URL
    application = create_app(Config)
    application.extensions["jobs"].redis().flushdb()
    with application.app_context():
        yield application
        db.session.remove()
        _empty_tables()
    application.extensions["jobs"].redis().flushdb()


def worker_env(app, tmp_path: Path) -> dict[str, str]:  # noqa: ANN001
    """The environment a worker on another machine would get: URLs and keys, nothing else shared."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        WORKBENCH_ENV="development", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app.config["REDIS_URL"], PII_KEYS=FERNET_KEY, PII_HMAC_KEY=HMAC_KEY,
        INSTANCE_DIR=str(tmp_path / "worker-instance"), MODEL_DIR=str(app.config["MODEL_DIR"]),
    )
    return env


def run_worker(app, tmp_path: Path, *queues: str, timeout: int = 120,  # noqa: ANN001
               options: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """A real `flask worker --burst` process; it exits when the queues are empty."""
    flask = str(Path(sys.executable).with_name("flask"))
    return subprocess.run([flask, "--app", "app", "worker", *queues, "--burst", *options], cwd=BASE_DIR,
                          env=worker_env(app, tmp_path), capture_output=True, text=True, timeout=timeout)
