"""Request bodies: pages and forms take up to MAX_CONTENT_LENGTH, the API up to API_MAX_BODY_BYTES."""
from __future__ import annotations

import json

from app.auth.services.api_tokens import create_token
from models import db


def test_an_oversized_form_post_is_refused_before_it_is_parsed(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    big = {"locale": "en", "next": "/", "pad": "x" * (80 * 1024)}
    assert client.post("/preferences/language", data=big).status_code == 413
    assert client.post("/preferences/language", data={"locale": "en", "next": "/"}).status_code == 302


def test_the_api_keeps_its_own_larger_limit(app, client):
    app.config.update(MAX_CONTENT_LENGTH=64 * 1024, API_MAX_BODY_BYTES=1024 * 1024)
    _, token = create_token("partner-app")
    db.session.commit()
    body = json.dumps([{"id": f"p{i}", "comment_text": "x" * 200} for i in range(400)])  # ~100 kB
    assert 64 * 1024 < len(body) < 1024 * 1024
    response = client.post("/api/v1/proofs", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code != 413, response.get_json()
    too_big = json.dumps([{"id": "p1", "comment_text": "x" * (1100 * 1024)}])
    refused = client.post("/api/v1/proofs", data=too_big, content_type="application/json",
                          headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 413 and refused.get_json()["error"]
