"""The OpenAPI document says what the API does: every route documented, every real response valid."""
from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.intake import routes
from app.intake.openapi import document
from app.intake.services import records
from tests import factories as f

DOC_URI = "urn:workbench:openapi"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


class Contract:
    def __init__(self, doc: dict) -> None:
        self.doc = doc
        resource = Resource.from_contents(doc, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(DOC_URI, resource)
        self.checked: set[tuple[str, str, str]] = set()

    def validator(self, *parts: str) -> Draft202012Validator:
        schema = {"$ref": f"{DOC_URI}#/{_pointer(*parts)}"}
        return Draft202012Validator(schema, registry=self.registry, format_checker=FormatChecker())

    def check(self, path: str, method: str, response) -> None:  # noqa: ANN001
        """Validate a test-client response against the documented response for its status."""
        status = str(response.status_code)
        spec = self.doc["paths"][path][method]["responses"]
        assert status in spec, f"{method.upper()} {path} answered {status}, which is not documented"
        self.validator("paths", path, method, "responses", status, "content", "application/json",
                       "schema").validate(response.get_json())
        for header in spec[status].get("headers", {}):
            if header != "Location" or "Location" in response.headers:
                assert header in response.headers, f"{status} lacks documented header {header}"
        self.checked.add((path, method, status))


@pytest.fixture()
def contract(app) -> Contract:  # noqa: ANN001
    return Contract(document(max_batch=app.config["API_MAX_BATCH"], max_body=app.config["API_MAX_BODY_BYTES"]))


def _normalise(path: str) -> str:
    return re.sub(r"<(?:\w+:)?\w+>|\{\w+\}", "{}", path)


def test_every_api_route_is_documented_and_nothing_else(app, contract):
    served = {(_normalise(rule.rule), method.lower()) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1") for method in rule.methods - IGNORED_METHODS}
    documented = {(_normalise(path), method) for path, ops in contract.doc["paths"].items() for method in ops}
    assert served == documented


def test_served_document_is_the_module_document(client, contract):
    assert client.get("/api/v1/openapi.json").get_json() == contract.doc


def test_component_schemas_are_valid_json_schema(contract):
    for schema in contract.doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_real_responses_match_the_document(api, app, contract, monkeypatch):
    proofs, one = "/api/v1/proofs", "/api/v1/proofs/{id}"
    contract.check(proofs, "post", api.post(f.proof(id="p1")))
    contract.check(proofs, "post", api.post([f.proof(id="p1"), f.proof(id="p2", worker_id="w2")]))
    contract.check(proofs, "post", api.post_raw("{not json"))
    contract.check(proofs, "post", api.client.post(proofs, json=f.proof()))
    contract.check(proofs, "post", api.post(f.proof(id="p1", comment_text="changed")))
    contract.check(proofs, "post", api.post_raw("x", content_type="text/plain"))
    contract.check(proofs, "post", api.post([f.proof(id="p3", ip="nope"), "junk"]))
    app.config["API_MAX_BATCH"] = 1
    contract.check(proofs, "post", api.post([f.proof(id="a"), f.proof(id="b")]))
    contract.check(one, "get", api.get("p1"))
    contract.check(one, "get", api.get("missing"))
    contract.check(one, "get", api.client.get("/api/v1/proofs/p1"))
    monkeypatch.setattr(routes, "enqueue_scoring", lambda ids: [])
    api.post(f.proof(id="p9", worker_id="w3"))
    contract.check(one, "get", api.get("p9"))  # unscored: score null
    contract.check("/api/v1/openapi.json", "get", api.client.get("/api/v1/openapi.json"))
    _check_campaign_routes(api, contract)
    worker = "/api/v1/workers/{id}"
    contract.check(worker, "get", api.client.get("/api/v1/workers/w1", headers=api.headers()))
    contract.check(worker, "get", api.client.get("/api/v1/workers/nobody", headers=api.headers()))
    contract.check(worker, "get", api.client.get("/api/v1/workers/w1"))
    appeal = "/api/v1/proofs/{id}/appeal"

    def appeal_post(proof_id: str, body: dict, **kw):  # noqa: ANN202
        return api.client.post(f"/api/v1/proofs/{proof_id}/appeal", json=body, **kw)

    contract.check(appeal, "post", appeal_post("p1", {"message": "I watched it all"}, headers=api.headers()))  # 409
    from app.review.services.decisions import decide
    from models import Proof, db

    decide(db.session.get(Proof, "p2"), "rejected", actor=None, actor_kind="system", reason_code="fraud_bot")
    db.session.commit()
    contract.check(appeal, "post", appeal_post("p2", {"message": "I watched it all"}, headers=api.headers()))
    contract.check(appeal, "post", appeal_post("p2", {"message": "I watched it all"}, headers=api.headers()))
    contract.check(appeal, "post", appeal_post("p2", {}, headers=api.headers()))
    contract.check(appeal, "post", appeal_post("nope", {"message": "x"}, headers=api.headers()))
    contract.check(appeal, "post", appeal_post("p2", {"message": "x"}))
    _check_info_routes(api, contract)
    _check_dispute_route(api, contract, monkeypatch)
    _check_scope_and_rate_limit(api, app, contract)  # last: it lowers the rate limit
    documented = {(path, method, status) for path, ops in contract.doc["paths"].items()
                  for method, op in ops.items() for status in op["responses"]}
    assert documented == contract.checked, f"documented but never exercised: {documented - contract.checked}"


SECURED = {("/api/v1/proofs", "post"): "/api/v1/proofs", ("/api/v1/proofs/{id}", "get"): "/api/v1/proofs/p1",
           ("/api/v1/campaigns", "post"): "/api/v1/campaigns",
           ("/api/v1/campaigns/{id}", "get"): "/api/v1/campaigns/c1",
           ("/api/v1/campaigns/{id}", "patch"): "/api/v1/campaigns/c1",
           ("/api/v1/proofs/{id}/appeal", "post"): "/api/v1/proofs/p1/appeal",
           ("/api/v1/workers/{id}", "get"): "/api/v1/workers/w1",
           ("/api/v1/proofs/{id}/info", "post"): "/api/v1/proofs/p1/info",
           ("/api/v1/reject-reasons", "get"): "/api/v1/reject-reasons",
           ("/api/v1/disputes", "post"): "/api/v1/disputes"}


def _check_scope_and_rate_limit(api, app, contract) -> None:  # noqa: ANN001
    """403 for a token without the operation's scope, 429 past the token's rate limit: every operation."""
    from app.auth.services.api_tokens import create_token
    from models import db

    tokens = {scope: create_token(f"only-{scope}", scopes=(scope,))[1] for scope in ("ingest", "read")}
    db.session.commit()
    for (path, method), url in SECURED.items():
        other = "ingest" if method == "get" else "read"
        response = api.client.open(url, method=method.upper(), json={},
                                   headers={"Authorization": f"Bearer {tokens[other]}"})
        assert response.get_json()["error"] == "insufficient_scope"
        contract.check(path, method, response)
    app.config["API_RATE_LIMIT"] = "1 per minute"
    for (path, method), url in SECURED.items():
        _, token = create_token(f"limited-{path}-{method}")  # a fresh token: its own allowance
        db.session.commit()
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(2):
            response = api.client.open(url, method=method.upper(), json={}, headers=headers)
        assert response.status_code == 429 and response.get_json()["error"] == "rate_limited"
        contract.check(path, method, response)


def _check_dispute_route(api, contract, monkeypatch) -> None:  # noqa: ANN001
    from app.auth.services.api_tokens import create_token
    from app.compliance.services import disputes
    from app.compliance.services.cases import CaseError
    from models import db

    path = "/api/v1/disputes"
    _, brand_token = create_token("glow-app", brand_id="b1")
    db.session.commit()
    brand = {"Authorization": f"Bearer {brand_token}"}
    post = lambda body, headers=brand: api.client.post(path, json=body, headers=headers)  # noqa: E731
    contract.check(path, "post", post({"proof_ids": ["p1"], "reason": "bought likes"}, api.headers()))  # 403
    contract.check(path, "post", post({"proof_ids": ["p1"], "reason": "x", "brand_id": "b9"}))  # 403 other brand
    contract.check(path, "post", post({"proof_ids": ["p1", "nope"], "reason": "these are fake"}))  # 422
    contract.check(path, "post", post({"proof_ids": [], "reason": "these are fake"}))  # 422
    contract.check(path, "post", post(["p1"]))  # 400
    contract.check(path, "post", api.client.post(path, data="{", content_type="application/json", headers=brand))
    contract.check(path, "post", api.client.post(path, data="x", content_type="text/plain", headers=brand))
    contract.check(path, "post", api.client.post(path, json={}))  # 401
    contract.check(path, "post", post({"proof_ids": ["p1"], "reason": "these are fake"}))  # 201

    def race(*args, **kw):  # noqa: ANN002, ANN003, ANN202
        raise CaseError("case 1 is closed")

    monkeypatch.setattr(disputes, "file_dispute", race)
    contract.check(path, "post", post({"proof_ids": ["p1"], "reason": "these are fake"}))  # 409


def _check_campaign_routes(api, contract) -> None:  # noqa: ANN001
    many, one = "/api/v1/campaigns", "/api/v1/campaigns/{id}"
    headers = api.headers()
    post = lambda body: api.client.post(many, json=body, headers=headers)  # noqa: E731
    contract.check(many, "post", post(f.campaign(id="c9", brief="进直播间真实评论")))
    contract.check(many, "post", post(f.campaign(id="c8", brief="好评返现，不要说是任务")))
    contract.check(many, "post", post(f.campaign(id="c9")))
    contract.check(many, "post", post(f.campaign(id="c7", room_id="nowhere")))
    contract.check(many, "post", api.client.post(many, data="{x", content_type="application/json", headers=headers))
    contract.check(many, "post", api.client.post(many, data="x", content_type="text/plain", headers=headers))
    contract.check(many, "post", api.client.post(many, json=f.campaign(id="c6")))
    contract.check(one, "get", api.client.get(f"{many}/c8", headers=headers))
    contract.check(one, "get", api.client.get(f"{many}/missing", headers=headers))
    contract.check(one, "get", api.client.get(f"{many}/c8"))
    contract.check(one, "patch", api.client.patch(f"{many}/c8", json={"brief": "看直播"}, headers=headers))
    contract.check(one, "patch", api.client.patch(f"{many}/c8", json={"text": "x"}, headers=headers))
    contract.check(one, "patch", api.client.patch(f"{many}/missing", json={"brief": "x"}, headers=headers))
    contract.check(one, "patch", api.client.patch(f"{many}/c8", json={"brief": "x"}))
    from app.money.services.funding import close_campaign
    from models import db

    close_campaign("c9")
    db.session.commit()
    contract.check(one, "patch", api.client.patch(f"{many}/c9", json={"brief": "x"}, headers=headers))


def _without(key: str) -> dict:
    return {k: v for k, v in f.proof().items() if k != key}


REQUIRED_ONLY = {k: f.proof()[k] for k in ("id", "campaign_id", "worker_id", "accepted_at", "submitted_at", "ip")}


@pytest.mark.parametrize(("item", "valid"), [
    (f.proof(), True),
    (REQUIRED_ONLY, True),
    ({**REQUIRED_ONLY, "id": 77, "device": None, "started_at": None, "unknown": [1]}, True),
    (f.proof(ip="2409:8a00:1:2::77", submitted_at="2026-10-01T12:05:00Z", device={}), True),
    (f.proof(submitted_at="yesterday"), False),
    (f.proof(submitted_at="2026-10-01T20:05:00"), False),
    (f.proof(ip="999.1.1.1"), False),
    (_without("ip"), False),
    (_without("worker_id"), False),
    (f.proof(id="x" * 65), False),
    (f.proof(watch_seconds=-1), False),
    (f.proof(screenshot_sha256="abc"), False),
    (f.proof(device=f.device(screen="1080*2400")), False),
    (f.proof(device=f.device(webdriver="yes")), False),
    (f.proof(device=f.device(touch_points=101)), False),
])
def test_request_schema_agrees_with_the_parser(contract, item, valid):
    schema_ok = contract.validator("components", "schemas", "Proof").is_valid(item)
    try:
        records.parse_proof(item)
        parser_ok = True
    except records.RecordError:
        parser_ok = False
    assert (schema_ok, parser_ok) == (valid, valid)


def _check_info_routes(api, contract: Contract) -> None:  # noqa: ANN001
    """A question on p9 (unscored, put in the review queue), answered through the API."""
    from app.auth.services.staff import create_staff
    from app.review.services import info
    from app.review.services.decisions import ensure_item
    from models import Proof, db, utcnow

    moderator = create_staff("mod-openapi@example.test", "Mod", "moderator", "correct-horse")
    proof = db.session.get(Proof, "p9")
    ensure_item(proof, "review", 0.5)
    db.session.commit()
    path = "/api/v1/proofs/{id}/info"

    def answer(proof_id: str, body: object, **kw):  # noqa: ANN202
        return api.client.post(f"/api/v1/proofs/{proof_id}/info", json=body, **kw)

    contract.check(path, "post", answer("p9", {"answer": "yes"}, headers=api.headers()))  # 409: nothing asked
    info.ask(proof, moderator, "Which phone did you use?", 24, utcnow(), 15)
    db.session.commit()
    contract.check("/api/v1/proofs/{id}", "get", api.get("p9"))  # carries the open question
    contract.check(path, "post", answer("p9", {}, headers=api.headers()))  # 422
    contract.check(path, "post", answer("p9", {"answer": "My own iPhone"}, headers=api.headers()))  # 201
    contract.check(path, "post", answer("p9", {"answer": "My own iPhone"}, headers=api.headers()))  # 200
    contract.check(path, "post", answer("nope", {"answer": "x"}, headers=api.headers()))  # 404
    contract.check(path, "post", answer("p9", {"answer": "x"}))  # 401
    contract.check(path, "post", api.client.post("/api/v1/proofs/p9/info", data="{x", headers={
        **api.headers(), "Content-Type": "application/json"}))  # 400
    contract.check(path, "post", api.client.post("/api/v1/proofs/p9/info", data="x", headers={
        **api.headers(), "Content-Type": "text/plain"}))  # 415
    reasons = "/api/v1/reject-reasons"
    contract.check(reasons, "get", api.client.get(reasons, headers=api.headers()))
    contract.check(reasons, "get", api.client.get(reasons))
