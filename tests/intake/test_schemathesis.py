"""Schemathesis against /api/v1/openapi.json on a live server: generated requests for every operation,
sent over HTTP with a valid token, never answer 500 and never break the document's response schemas.

The server is the app on a SQLite file, served from a thread (like the browser tests), with a brand,
room, campaign and workers stored so that generated proofs and campaigns can also be accepted.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi import checks
from werkzeug.serving import make_server

from app import create_app
from app.auth.services.api_tokens import create_token
from config import TestingConfig
from models import db
from tests.stored import store_api_world

EXAMPLES = 40  # per operation: about 300 requests, well under a minute
CHECKS = [schemathesis.checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_headers_conformance, checks.response_schema_conformance]


class Live:
    url: str
    token: str


LIVE = Live()


def _seed(app) -> str:  # noqa: ANN001
    store_api_world(app.extensions["pii"])
    _, token = create_token("schemathesis")
    db.session.commit()
    return token


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    root: Path = tmp_path_factory.mktemp("schemathesis")

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{root / 'api.db'}"
        INSTANCE_DIR = root / "instance"
        MODEL_DIR = root / "models"
        REDIS_URL = None
        API_MAX_BATCH = 20  # generated batches past it exercise the documented 413

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        LIVE.token = _seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="schemathesis-server", daemon=True)
    thread.start()
    LIVE.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield schemathesis.openapi.from_url(f"{LIVE.url}/api/v1/openapi.json")
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_every_operation_keeps_its_document(api_schema):
    headers = {"Authorization": f"Bearer {LIVE.token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 7
    for operation in operations:

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def exercise(case):  # noqa: ANN001
            response = case.call(base_url=LIVE.url, headers=headers, timeout=30)
            case.validate_response(response, checks=CHECKS)

        exercise()
