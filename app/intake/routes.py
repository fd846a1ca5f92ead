"""JSON API v1: proof ingestion and proof state. Thin: the rules live in app/intake/services/intake.py."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException

from app.compliance.services import disputes
from app.extensions import limiter
from app.intake import api_auth as auth
from app.intake import openapi, payload
from app.intake.services import campaigns, intake
from app.intake.services import single as intake_single
from app.platform.jobs import dispatcher
from app.review.services import appeals, info, reasons, standing
from app.review.services.decisions import ReviewError
from app.scoring.jobs import enqueue_scoring, request_pending_scoring, score_batch
from models import DomainError, NotFound, ProofState, db, utcnow

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# The API counts its own limits (auth.check_rate_limit). Flask-Limiter, which throttles sign-ins, would
# only spend time finding it has nothing to count here; a request filter stops it first thing.
# Declared once, here: the limiter and this blueprint outlive any one app.
limiter.exempt(bp)
limiter.request_filter(lambda: request.blueprint == bp.name)
PUBLIC_ENDPOINTS = frozenset({"api.openapi_document"})


@bp.before_request
def authenticate_client() -> Response | None:
    # Rate limits per verified client, not per address (many clients may share a gateway); a request
    # whose token fails is counted against its address (auth.client_key).
    refused = None if request.endpoint in PUBLIC_ENDPOINTS else auth.require_client()
    return auth.check_rate_limit() or refused


bp.after_request(auth.rate_limit_headers)


bp.register_error_handler(HTTPException, payload.http_error)


@bp.errorhandler(payload.BodyError)
def body_error(exc: payload.BodyError) -> Response:
    return payload.api_error(exc.status, exc.code, exc.message)


@bp.errorhandler(intake.IntakeError)
def intake_error(exc: intake.IntakeError) -> Response:
    db.session.rollback()
    extra = {"items": [p.as_dict() for p in exc.problems]} if exc.problems else {}
    return payload.api_error(exc.status_code, exc.code, str(exc), **extra)


def proof_url(proof_id: str) -> str:
    return url_for("api.get_proof", proof_id=proof_id)


@bp.post("/proofs")
def post_proofs() -> Response:
    """Ingest one proof or a batch: store, commit, then queue scoring."""
    items, single = payload.proof_items(payload.read_json())
    vault, held = current_app.extensions["pii"], []
    # One new proof, the most frequent request, in three round trips; None: the general path.
    result = intake_single.ingest_single(items[0], vault, g.api_client) if single else None
    if result is None:
        result = intake.ingest_proofs(items, vault, max_batch=current_app.config["API_MAX_BATCH"], client=g.api_client)
        held = standing.hold_new_proofs(result.new_ids, utcnow())  # a banned worker's new proofs wait for a senior
    db.session.commit()
    queued = _queue_scoring(result.to_score, pending=result.pending_scoring)
    if queued and not held and len(result.new_ids) == len(result.ids):
        # The common case needs no read: every item is new, waiting in the queue, so `received`.
        states = dict.fromkeys(result.ids, ProofState.RECEIVED.value)
    else:
        states = intake.current_states(result.ids)
        # End the read with a commit, not the teardown's rollback: psycopg forgets a connection's
        # prepared statements at every rollback, and scoring's lookups are planned once per connection
        # only while they last (2 to 5 ms a proof; docs/rules.md).
        db.session.commit()
    entries = [{"id": pid, "status": status, "state": states.get(pid), "url": proof_url(pid)}
               for pid, status in result.statuses()]
    accepted = sum(1 for e in entries if e["status"] == "accepted")
    response = jsonify({"accepted": accepted, "duplicate": len(entries) - accepted, "items": entries})
    response.status_code = 202
    if single:
        response.headers["Location"] = entries[0]["url"]
    return response


def _queue_scoring(proof_ids: list[str], pending: bool = False) -> bool:
    """The proofs are committed first, so an outage never loses one. With Redis down they are scored
    here, in the request (slower, but no proof waits for someone to run `flask score`); should that
    fail too, they stay `received` and `flask score` picks them up. True when queued (or nothing to
    queue), False when this request scored them or tried to (their states may have moved).
    `pending`: new `received` proofs, left to the one pending-scoring run instead of a job of their own."""
    if not proof_ids:
        return True
    try:
        if pending and not dispatcher().synchronous:
            return request_pending_scoring(proof_ids)
        return bool(enqueue_scoring(proof_ids))
    except RedisError:
        log.exception("could not queue scoring for %d proofs; scoring them in this request", len(proof_ids))
    try:
        score_batch(proof_ids)  # safe to run twice: batches queued before the outage may score them again
    except Exception:  # noqa: BLE001 - the proofs are stored; the response must still say so
        db.session.rollback()
        log.exception("in-request scoring failed for %d proofs; `flask score` will score them", len(proof_ids))
    return False


@bp.get("/proofs/<path:proof_id>")
def get_proof(proof_id: str) -> Response:
    """A proof's state, score summary and the decision in force."""
    status = intake.proof_status(proof_id)
    if status is not None and not campaigns.visible_to(g.api_client, proof_id=proof_id):
        status = None
    if status is None:
        return payload.api_error(404, "not_found", f"no proof with id {proof_id!r}")
    return jsonify(status)


def campaign_url(campaign_id: str) -> str:
    return url_for("api.get_campaign", campaign_id=campaign_id)


@bp.post("/campaigns")
def post_campaign() -> Response:
    """Create one campaign; compliance screening decides whether it goes live now or waits."""
    body, brand = payload.read_json(), g.api_client.brand_id
    if brand is not None and isinstance(body, dict):
        if body.get("brand_id") not in (None, brand):
            return payload.api_error(403, "wrong_brand", f"this token creates campaigns for brand {brand} only")
        body = {**body, "brand_id": brand}
    result = campaigns.create_campaign(body, current_app.config["DEFAULT_COMMISSION_RATE"], g.api_client)
    db.session.commit()
    response = jsonify(result)
    response.status_code = 201
    response.headers["Location"] = campaign_url(result["id"])
    return response


@bp.get("/campaigns/<path:campaign_id>")
def get_campaign(campaign_id: str) -> Response:
    status = campaigns.campaign_status(campaign_id) if campaigns.visible_to(g.api_client, campaign_id) else None
    if status is None:
        return payload.api_error(404, "not_found", f"no campaign with id {campaign_id!r}")
    return jsonify(status)


@bp.patch("/campaigns/<path:campaign_id>")
def patch_campaign(campaign_id: str) -> Response:
    """Change a campaign's brief; it is screened again."""
    body = payload.read_json()
    if not campaigns.visible_to(g.api_client, campaign_id) or campaigns.campaign_status(campaign_id) is None:
        return payload.api_error(404, "not_found", f"no campaign with id {campaign_id!r}")
    result = campaigns.change_brief(campaign_id, body, g.api_client)
    db.session.commit()
    return jsonify(result)
@bp.post("/proofs/<path:proof_id>/appeal")
def post_appeal(proof_id: str) -> Response:
    """A worker appeals the rejection of their proof; a senior moderator will uphold or deny it."""
    body = payload.read_json()
    message = body.get("message") if isinstance(body, dict) else None
    try:
        appeal, created = appeals.file_appeal(proof_id, message if isinstance(message, str) else "", utcnow())
    except NotFound as exc:
        return payload.api_error(404, "not_found", str(exc))
    except appeals.AppealError as exc:
        db.session.rollback()
        return payload.api_error(409, "conflict", str(exc))
    except ReviewError as exc:
        return payload.api_error(422, "validation", str(exc))
    db.session.commit()
    response = jsonify({"id": appeal.id, "proof_id": appeal.proof_id, "status": appeal.status,
                        "created_at": appeal.created_at.isoformat()})
    response.status_code = 201 if created else 200
    return response


@bp.post("/proofs/<path:proof_id>/info")
def post_info_answer(proof_id: str) -> Response:
    """The worker answers the moderator's question; the proof goes back to the review queue."""
    body = payload.read_json()
    text = body.get("answer") if isinstance(body, dict) else None
    try:
        asked, created = info.answer(proof_id, text if isinstance(text, str) else "", utcnow())
    except NotFound as exc:
        return payload.api_error(404, "not_found", str(exc))
    except info.InfoConflict as exc:
        db.session.rollback()
        return payload.api_error(409, "conflict", str(exc))
    except ReviewError as exc:
        return payload.api_error(422, "validation", str(exc))
    db.session.commit()
    response = jsonify(_info_view(asked))
    response.status_code = 200 if not created else 201
    return response


def _info_view(asked) -> dict:  # noqa: ANN001 - an InfoRequest
    return {"id": asked.id, "proof_id": asked.proof_id, "question": asked.question, "status": asked.status,
            "asked_at": intake.iso(asked.asked_at), "due_at": intake.iso(asked.due_at),
            "answer": asked.answer, "answered_at": intake.iso(asked.answered_at)}


@bp.get("/reject-reasons")
def get_reject_reasons() -> Response:
    """The reasons in use, with the message a worker's app shows for each (English and Chinese)."""
    return jsonify({"reasons": [{"code": r.code, "message": {"en": r.message_en, "zh_CN": r.message_zh}}
                                for r in reasons.catalogue()]})


@bp.post("/disputes")
def post_dispute() -> Response:
    """A brand disputes completions it believes fake; only a brand's own token may (ApiClient.brand_id)."""
    client = g.api_client
    if client.brand_id is None:
        return payload.api_error(403, "not_a_brand_client", "this token is not a brand's client; create one with "
                                 "`flask --app app api-tokens create NAME --brand BRAND_ID`")
    body = payload.read_json()
    if not isinstance(body, dict):
        return payload.api_error(400, "invalid_body", "the body must be a JSON object")
    if body.get("brand_id") not in (None, client.brand_id):
        return payload.api_error(403, "wrong_brand", f"this token files disputes for brand {client.brand_id} only")
    try:
        filed = disputes.file_dispute(client.brand_id, body.get("proof_ids"), body.get("reason") or "",
                                      source="api", actor_label=f"api:{client.name}")
    except disputes.DisputeError as exc:
        db.session.rollback()
        extra = {"items": [{"proof_id": p, "problem": why} for p, why in sorted(exc.problems.items())]}
        return payload.api_error(422, "validation", str(exc), **(extra if exc.problems else {}))
    except DomainError as exc:
        db.session.rollback()
        return payload.api_error(409, "conflict", str(exc))
    db.session.commit()
    response = jsonify({"id": filed.dispute.id, "brand_id": filed.dispute.brand_id, "case_id": filed.case.id,
                        "case_opened": filed.case_opened, "status": filed.dispute.status,
                        "proofs": filed.actions, "created_at": filed.dispute.created_at.isoformat()})
    response.status_code = 201
    return response


@bp.get("/workers/<path:worker_id>")
def get_worker(worker_id: str) -> Response:
    """A worker's standing: whether the platform may hand them tasks, and the sanctions in force."""
    found = standing.standing(worker_id, utcnow())
    if found is None:
        return payload.api_error(404, "not_found", f"no worker with id {worker_id!r}")
    return jsonify(found)


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 description of this API (public: it holds no data)."""
    return jsonify(openapi.document(max_batch=current_app.config["API_MAX_BATCH"],
                                    max_body=current_app.config.get("API_MAX_BODY_BYTES",
                                                                    payload.DEFAULT_MAX_BODY_BYTES)))
