"""Proof intake for the JSON API: validate a batch, store the new proofs, recognise repeats.

Rules (docs/api.md states them for clients):
- A batch is all or nothing. Any item that fails validation (the importer's `parse_proof`, a
  repeated id inside the batch, an unknown campaign or worker) rejects the whole batch with one
  problem per item, and nothing is stored, so a client can fix the items and resend the batch.
- Idempotent on proof id. An item whose id is stored with the same evidence is a `duplicate`:
  nothing is written. Evidence is compared on what the client sent, after normalisation (times
  as instants, the IP by its keyed hash, unknown keys ignored).
- An item whose id is stored with different evidence is a conflict: stored evidence is never
  overwritten, and the batch is refused (409) naming each differing field of each such item.
"""
from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from app.intake.services import evidence, records
from app.money.services.funding import capacity, refused_admissions
from app.platform.audit import record
from app.platform.bulk import existing_keys, insert_returning
from app.platform.pii import PiiVault, mask_ip
from app.platform.sql import among, per_dialect
from app.platform.vocabulary import state_label
from app.review.services import info, reasons
from models import ApiClient, DomainError, Proof, ProofScore, ProofState, ReviewDecision, Worker, db

# Stored column -> the exchange-format field it comes from; these decide "same proof or not".
COMPARED: dict[str, str] = {
    "campaign_id": "campaign_id", "worker_id": "worker_id", "accepted_at": "accepted_at",
    "submitted_at": "submitted_at", "started_at": "started_at", "watch_seconds": "watch_seconds",
    "user_agent": "user_agent", "comment_text": "comment_text", "screenshot_sha256": "screenshot_sha256",
    "screenshot_phash": "screenshot_phash", "ip_hash": "ip", "device_present": "device",
    "device_fp_hash": "device.fingerprint", "device_canvas_hash": "device.canvas_hash",
    "device_platform": "device.platform", "device_os": "device.os", "device_screen": "device.screen",
    "device_timezone": "device.timezone", "device_language": "device.language",
    "device_webdriver": "device.webdriver", "device_emulator": "device.emulator",
    "device_touch_points": "device.touch_points", "device_hardware_concurrency": "device.hardware_concurrency",
    "device_webgl_renderer": "device.webgl_renderer",
}
CHUNK = 900  # stay under SQLite's bound-parameter limit


@dataclass(frozen=True)
class ItemProblem:
    """What is wrong with one item of a batch, named by its position, id and field."""

    index: int
    id: str | None
    field: str
    problem: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class IntakeError(DomainError):
    """A batch refused as a whole; `code` is the API's machine-readable error name."""

    code = "bad_request"
    status_code = 400

    def __init__(self, message: str, problems: list[ItemProblem] | None = None):
        super().__init__(message)
        self.problems = sorted(problems or [], key=lambda p: (p.index, p.field))


class EmptyBatch(IntakeError):
    code = "empty_batch"


class BatchTooLarge(IntakeError):
    code = "batch_too_large"
    status_code = 413


class BatchInvalid(IntakeError):
    code = "validation"
    status_code = 422


class BatchConflict(IntakeError):
    code = "conflict"
    status_code = 409


@dataclass
class IntakeResult:
    ids: list[str]  # every item's id, in request order
    new_ids: list[str] = field(default_factory=list)
    # Repeats still waiting for a score: queued again, so a retry also heals a lost enqueue.
    unscored_repeats: list[str] = field(default_factory=list)
    # Every item is new, `received` and not held: one pending-scoring run may score them (single.py).
    pending_scoring: bool = False

    @property
    def to_score(self) -> list[str]:
        return self.new_ids + self.unscored_repeats

    def statuses(self) -> list[tuple[str, str]]:
        """(id, "accepted" | "duplicate") for every item, in request order."""
        new = set(self.new_ids)
        return [(pid, "accepted" if pid in new else "duplicate") for pid in self.ids]


def ingest_proofs(items: list[Any], vault: PiiVault, *, max_batch: int, client: ApiClient | None) -> IntakeResult:
    """Validate and store a batch of decoded proof objects; adds and flushes, the caller commits."""
    if not items:
        raise EmptyBatch("the batch is empty: send one proof object or an array of 1 or more proofs")
    if len(items) > max_batch:
        raise BatchTooLarge(f"a batch holds at most {max_batch} proofs, this one has {len(items)}: split it")
    rows, stored = validate_items(items)
    # Validation passed for every item, so position i here is item i of the request.
    columns = [{**evidence.proof_columns(row, vault), "source": "api"} for row in rows]
    _refuse_conflicts(list(enumerate(columns)), stored)
    fresh = [(i, c) for i, c in enumerate(columns) if c["id"] not in stored]
    added = insert_returning(Proof.__table__, [c for _, c in fresh])
    db.session.flush()
    # A concurrent request may have stored one of these ids between our read and our insert (the
    # insert then skipped it): re-read those, so a different body is a conflict, never "accepted".
    raced = [(i, c) for i, c in fresh if c["id"] not in added]
    if raced:
        _refuse_conflicts(raced, stored_evidence([c["id"] for _, c in raced]))
    inserted = [c["id"] for _, c in fresh if c["id"] in added]
    result = IntakeResult(ids=[c["id"] for c in columns], new_ids=inserted)
    result.unscored_repeats = [pid for pid, ev in stored.items() if ev["state"] == ProofState.RECEIVED.value]
    if inserted:
        record("proof.ingested", "api_client", str(client.id) if client else "-",
               actor_label=f"api:{client.name}" if client else "api",
               data={"accepted": len(inserted), "duplicate": len(columns) - len(inserted), "proof_ids": inserted})
    return result


def validate_items(items: list[Any]) -> tuple[list[dict], dict[str, dict[str, Any]]]:
    """Parse every item like the importer does; raise BatchInvalid listing every bad item. Returns
    the parsed rows and `stored_evidence` of their ids (stored proofs take no campaign slot)."""
    problems: list[ItemProblem] = []
    valid: list[tuple[int, dict]] = []
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(ItemProblem(index, None, "item", "must be a JSON object (one proof)"))
            continue
        try:
            row = records.parse_proof(item)
        except records.RecordError as exc:
            problems.append(ItemProblem(index, _echo_id(item.get("id")), exc.field, exc.problem))
            continue
        if row["id"] in first_seen:
            problems.append(ItemProblem(index, row["id"], "id", f"repeats item {first_seen[row['id']]} of this batch"))
            continue
        first_seen[row["id"]] = index
        valid.append((index, row))
    # Budget and caps: a campaign refuses completions it could not pay (rows locked until commit).
    # Stored proofs take no campaign slot; a campaign without a capacity is unknown.
    stored = stored_evidence([row["id"] for _, row in valid])
    limits = capacity({row["campaign_id"] for _, row in valid}, lock=True,
                      needed=Counter(row["campaign_id"] for _, row in valid if row["id"] not in stored))
    problems.extend(_unknown(valid, "campaign_id", set(limits), "campaign"))
    workers = existing_keys(Worker.__table__, "id", {row["worker_id"] for _, row in valid})
    problems.extend(_unknown(valid, "worker_id", workers, "worker"))
    refused = refused_admissions([row for _, row in valid], stored=set(stored), limits=limits)
    problems.extend(ItemProblem(valid[pos][0], valid[pos][1]["id"], "campaign_id", why) for pos, why in refused.items())
    if problems:
        bad = len({p.index for p in problems})
        raise BatchInvalid(f"{bad} of {len(items)} items {'is' if bad == 1 else 'are'} invalid; nothing was stored "
                           "(fix them and send the whole batch again)", problems)
    return [row for _, row in valid], stored


def _echo_id(value: Any) -> str | None:
    """The item's id as sent, if it is short text or a number (never echo arbitrary junk)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value)
    return text if len(text) <= records.ID_MAX else None


def _unknown(valid: list[tuple[int, dict]], key: str, known: set[str], noun: str) -> list[ItemProblem]:
    return [ItemProblem(index, row["id"], key, f"{row[key]!r} is not a known {noun}")
            for index, row in valid if row[key] not in known]


def stored_evidence(ids: list[str]) -> dict[str, dict[str, Any]]:
    """For each stored id: its compared columns and its state."""
    found: dict[str, dict[str, Any]] = {}
    query = _evidence_query()
    for start in range(0, len(ids), CHUNK):
        for row in db.session.execute(query, {"ids": ids[start:start + CHUNK]}).mappings():
            found[row["id"]] = dict(row)
    return found


@per_dialect
def _evidence_query(dialect: str) -> sa.Select:
    table = Proof.__table__
    return sa.select(table.c.id, *(table.c[name] for name in COMPARED), table.c.state) \
        .where(among(table.c.id, "ids", dialect))


def differing_fields(columns: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    """Exchange-format names of the fields whose values differ from the stored proof."""
    return [name for column, name in COMPARED.items() if columns[column] != stored[column]]


def _refuse_conflicts(columns: list[tuple[int, dict]], stored: dict[str, dict[str, Any]]) -> None:
    problems = []
    for index, col in columns:
        if col["id"] not in stored:
            continue
        for name in differing_fields(col, stored[col["id"]]):
            problems.append(ItemProblem(index, col["id"], name,
                                        "differs from the stored proof with this id; stored evidence is never "
                                        "overwritten (send a new id for a new proof)"))
    if problems:
        indices = ", ".join(str(i) for i in sorted({p.index for p in problems}))
        raise BatchConflict(f"item(s) {indices} reuse a stored id with different content; nothing was stored",
                            problems)


def current_states(ids: list[str]) -> dict[str, str]:
    """Proof id -> lifecycle state, for the ids that exist."""
    states: dict[str, str] = {}
    query = _state_query()
    for start in range(0, len(ids), CHUNK):
        states.update(db.session.execute(query, {"ids": ids[start:start + CHUNK]}).all())
    return states


@per_dialect
def _state_query(dialect: str) -> sa.Select:
    return sa.select(Proof.id, Proof.state).where(among(Proof.id, "ids", dialect))


IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# Full form (4+ groups, so clock times like 20:05:00 never match) or compressed with "::".
IPV6 = re.compile(r"(?<![\w:])(?:(?:[0-9A-Fa-f]{1,4}:){3,7}[0-9A-Fa-f]{1,4}"
                  r"|[0-9A-Fa-f:]*::[0-9A-Fa-f:]*[0-9A-Fa-f])(?![\w:])")
PHONE = re.compile(r"(?<!\d)\+?\d{11,15}(?!\d)")


# The closing ": a, b, c, …" of a reason: the other accounts, proofs or countries a signal linked
# this proof to (review_rules.groups.examples / listing). For a moderator; not for an API client.
LISTING = re.compile(r":\s+[^\s,:]+(?:,\s+[^\s,:]+)*(?:,\s+…)?\s*$")


def for_client(text: str | None) -> str | None:
    """A signal's reason as it may leave the workbench: no list of other accounts or proofs, no raw IP
    or phone number (a client learns why its proof was flagged, not who else was)."""
    return scrub_personal(LISTING.sub("", text)) if text else text


def scrub_personal(text: str | None) -> str | None:
    """Mask raw IPs and phone numbers in free text that leaves the workbench (signal reasons)."""
    if not text:
        return text
    text = IPV4.sub(lambda m: mask_ip(m.group(0)), text)
    text = IPV6.sub(lambda m: _mask_ipv6(m.group(0)), text)
    return PHONE.sub("[phone]", text)


def _mask_ipv6(candidate: str) -> str:
    """An IPv6 address as its /48 network (what ip_prefix_hash matches on); other text unchanged."""
    try:
        network = ipaddress.ip_network(f"{ipaddress.IPv6Address(candidate)}/48", strict=False)
    except ValueError:
        return candidate
    return str(network)


def proof_status(proof_id: str) -> dict[str, Any] | None:
    """What a client may know about its proof: state, score summary, decision in force."""
    proof = db.session.get(Proof, proof_id)
    if proof is None:
        return None
    score = db.session.get(ProofScore, proof_id)
    decision = db.session.scalar(sa.select(ReviewDecision).where(ReviewDecision.proof_id == proof_id)
                                 .order_by(ReviewDecision.decided_at.desc(), ReviewDecision.id.desc()).limit(1))
    return {
        "id": proof.id, "state": proof.state, "state_text": state_label(proof.state),
        "submitted_at": iso(proof.submitted_at),
        "score": _score_view(score) if score else None,
        "info_request": _info_request_view(proof.id),
        "decision": {
            "decision": decision.decision, "reason_code": decision.reason_code,
            "reason_text": found.label if (found := reasons.find(decision.reason_code)) else None,
            # What the worker's app shows them, in English and Chinese (the managed reason list).
            "worker_message": reasons.worker_message(decision.reason_code) if decision.decision == "rejected" else None,
            "decided_at": iso(decision.decided_at), "actor_kind": decision.actor_kind,
        } if decision else None,
    }


def _score_view(score: ProofScore) -> dict[str, Any]:
    signals = [{
        "code": str(s.get("code", "")), "score": _number(s.get("score")),
        "reason": for_client(str(s.get("reason") or "")),
    } for s in (score.signals or []) if isinstance(s, dict)]
    return {
        "risk_score": float(score.risk_score), "route": score.route,
        "reasons": [code for code in (score.reasons or "").split(";") if code],
        "signals": signals, "ruleset_version": score.ruleset_version, "model_version": score.model_version,
        "degraded": bool(score.degraded), "scored_at": iso(score.scored_at),
    }


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _info_request_view(proof_id: str) -> dict[str, Any] | None:
    """The newest question the moderators asked the worker about this proof, and its answer."""
    asked = info.latest(proof_id)
    if asked is None:
        return None
    return {"id": asked.id, "question": asked.question, "status": asked.status, "asked_at": iso(asked.asked_at),
            "due_at": iso(asked.due_at), "answer": asked.answer, "answered_at": iso(asked.answered_at)}
