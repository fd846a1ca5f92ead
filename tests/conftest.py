"""Fixtures: `app`, `client`, `runner`, `auth`, `world`, one database per xdist worker.

The suite runs on SQLite by default; with TEST_DATABASE_URL pointing at PostgreSQL the same
tests run there (the Makefile does both). Tables are emptied after every test.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from werkzeug.routing import Rule

from app import create_app
from config import TestingConfig, sqlalchemy_url
from models import db
from tests.factories import WorldBuilder

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
DATABASE_FIXTURES = {"app", "_schema", "database_url"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL (the suite's second pass, after SQLite) only the tests that open a database run
    again: the other half of the suite (rules, features, simulation, screening over data frames) does
    the same work on any database and has passed in the first pass."""
    if not PG_URL:
        return
    again = [item for item in items
             if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("integration")]
    if len(again) < len(items):
        kept = set(again)
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = again


def _database_url(worker: str, tmp_root: Path) -> str:
    if not PG_URL:
        return f"sqlite:///{tmp_root / f'test-{worker}.db'}"
    base = sqlalchemy_url(PG_URL)
    name = f"wb_test_{worker}_{os.getpid()}"  # concurrent runs never drop each other's database
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


def _drop_database(url: str) -> None:
    base, name = url.rsplit("/", 1)
    admin = sa.create_engine(f"{base}/{sqlalchemy_url(PG_URL).rsplit('/', 1)[1]}", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str):  # noqa: ANN201
    url = _database_url(worker_id, tmp_path_factory.mktemp("db"))
    yield url
    if PG_URL:
        _drop_database(url)


@pytest.fixture(scope="session")
def _schema(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        INSTANCE_DIR = tmp_path_factory.mktemp("instance")

    app = create_app(Config)
    with app.app_context():
        db.drop_all()
        db.create_all()
    return database_url


@pytest.fixture()
def app(_schema: str, tmp_path: Path):  # noqa: ANN201
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = _schema
        INSTANCE_DIR = tmp_path / "instance"
        MODEL_DIR = tmp_path / "models"
        REDIS_URL = None

    application = create_app(Config)
    with application.app_context():
        yield application
        db.session.remove()
        _empty_tables()


def _empty_tables() -> None:
    """DELETE, children first, and sequences back to 1: TRUNCATE gives each of the 44 tables and
    their indexes new files, which took half a second a test on PostgreSQL (DELETE of a test's few
    rows: about 12 ms)."""
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'"))


def _reuse_url_builders() -> None:
    """Every test builds its own app, and werkzeug compiles two URL-building functions per route
    from a generated syntax tree: nine tenths of create_app, a quarter of a second per test on a
    slow day. Such a function depends only on the rule's parsed parts and on whether unknown
    arguments are appended (and on defaults of its own variables, which no cache here covers), so a
    route of a later app takes the function compiled for the same route before. Tests only."""
    original = getattr(Rule, "_compile_builder", None)
    if original is None:
        return  # another werkzeug: the suite is slower, not wrong

    compiled: dict[tuple, object] = {}

    def compile_once(self: Rule, append_unknown: bool = True):  # noqa: ANN202
        defaults = self.defaults or {}
        if any(dynamic and name in defaults for dynamic, name in self._trace):
            return original(self, append_unknown)
        key = (tuple(self._trace), append_unknown)
        if key not in compiled:
            compiled[key] = original(self, append_unknown)
        return compiled[key]

    Rule._compile_builder = compile_once


_reuse_url_builders()


def _cheap_passwords() -> None:
    """argon2id with its real cost (64 MiB, about a third of a second a hash on a slow day) runs twice
    for every sign-in, once to create the account and once to check it: most of the time of a test
    that signs in. The tests check the scheme (argon2id, old hashes upgraded), not its cost; the
    library's own cheapest profile is the one it offers for tests. Tests only."""
    import models.staff

    models.staff.PASSWORDS = PasswordHasher.from_parameters(CHEAPEST)


_cheap_passwords()


@pytest.fixture()
def client(app):  # noqa: ANN001, ANN201
    """A browser that asks for English pages (the language tests ask for Chinese themselves)."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return test_client


@pytest.fixture()
def runner(app):  # noqa: ANN001, ANN201
    return app.test_cli_runner()


@pytest.fixture()
def world(tmp_path: Path) -> WorldBuilder:
    return WorldBuilder(tmp_path / "world")


class AuthActions:
    def __init__(self, client) -> None:  # noqa: ANN001
        self.client = client

    def login(self, email: str, password: str = "correct-horse"):  # noqa: ANN201
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self):  # noqa: ANN201
        return self.client.post("/logout", data={"submit": "1"})


@pytest.fixture()
def auth(client) -> AuthActions:  # noqa: ANN001
    return AuthActions(client)


@pytest.fixture()
def login(auth, staff):  # noqa: ANN001, ANN201
    """Create a staff account with `role` and sign the test client in as it."""

    def sign_in(role: str, email: str | None = None):  # noqa: ANN202
        user = staff(role, email)
        response = auth.login(user.email)
        assert response.status_code == 302, response.data
        return user

    return sign_in


@pytest.fixture()
def staff(app):  # noqa: ANN001, ANN201
    """Make a staff account per role on demand: staff('moderator') -> StaffUser."""
    from app.auth.services.staff import create_staff

    def make(role: str, email: str | None = None):  # noqa: ANN202
        user = create_staff(email or f"{role}@example.test", role.title(), role, "correct-horse")
        db.session.commit()
        return user

    return make
