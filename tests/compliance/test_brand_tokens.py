"""A brand's own API token (ApiClient.brand_id) reaches its brand's campaigns and their proofs only:
another brand's records read as not found, and the platform's endpoints (proofs in, appeals, workers)
are not a brand's to call."""
from __future__ import annotations

import sqlalchemy as sa

from app.auth.services.api_tokens import create_token
from models import Brand, Campaign, db
from tests import factories as f


def _as(client, brand_id: str | None):  # noqa: ANN001, ANN202
    _, token = create_token(f"{brand_id or 'platform'}-app", brand_id=brand_id)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    return lambda method, path, body=None: getattr(client, method)(f"/api/v1{path}", json=body, headers=headers)


def test_a_brand_token_cannot_reach_another_brands_campaigns_or_proofs(client, screened_world):
    screened_world()
    db.session.add(Brand(id="b2", name="Other brand", kyc_status="verified"))
    db.session.commit()
    other = _as(client, "b2")
    spent = other("post", "/campaigns", f.campaign(id="c20", brand_id="b1", brief="Watch and comment honestly."))
    assert spent.status_code == 403 and spent.get_json()["error"] == "wrong_brand"
    assert db.session.get(Campaign, "c20") is None
    assert other("get", "/campaigns/c1").status_code == 404
    edited = other("patch", "/campaigns/c1", {"brief": "Post a 5-star review for a refund."})
    assert edited.status_code == 404 and db.session.get(Campaign, "c1").status == "active"
    assert other("get", "/proofs/p1").status_code == 404
    for method, path, body in (("post", "/proofs", f.proof(id="p30")), ("get", "/workers/w1", None),
                               ("post", "/proofs/p1/appeal", {"message": "please"})):
        refused = other(method, path, body)
        assert refused.status_code == 403 and refused.get_json()["error"] == "not_for_brand_clients", path

    own = other("post", "/campaigns", f.campaign(id="c21", brand_id=None, brief="Watch and comment honestly."))
    assert own.status_code == 201 and db.session.get(Campaign, "c21").brand_id == "b2"
    assert other("get", "/campaigns/c21").status_code == 200


def test_the_owning_brand_and_the_platform_still_reach_them(client, screened_world):
    screened_world()
    owner, platform = _as(client, "b1"), _as(client, None)
    assert owner("get", "/campaigns/c1").status_code == 200 and owner("get", "/proofs/p1").status_code == 200
    assert platform("get", "/proofs/p1").status_code == 200 and platform("get", "/workers/w1").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) >= 2
