"""Hostile or careless input, from the bad-input audit: huge numbers, deep nesting, times that do not
convert to UTC, near-miss hashes, a file that is a directory, a changed re-import. Each is a line error
naming file, line and field (or a 4xx naming the field), the good lines are stored and nothing stored
is lost."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.intake.services import records
from models import Brand, Campaign, LedgerEntry, Proof, Worker, db
from tests import factories as f

DEEP = "[" * 100_000 + "]" * 100_000
DIGITS = "1" * 5000


def _ids(model: type) -> set[str]:
    db.session.rollback()
    return set(db.session.scalars(sa.select(model.id)))


def _lines(*objects: dict | str) -> list[str]:
    return [o if isinstance(o, str) else json.dumps(o) for o in objects]


# 1. integer fields have bounds, and a float like 1e300 is no integer

def test_campaign_numbers_beyond_their_bounds_are_field_errors_and_the_others_load(runner, world):
    world.add("brands", f.brand()).add("rooms", f.room())
    world.add("campaigns", *_lines(
        f.campaign(id="ok"),
        f.campaign(id="max-int", budget_cents=9223372036854775807),
        f.campaign(id="huge", reward_cents=10 ** 30),
        json.dumps(f.campaign(id="float"))[:-1] + ', "max_completions": 1e300}',
        f.campaign(id="secs", min_watch_seconds=10 ** 10),
        f.campaign(id="edge", budget_cents=10 ** 12, max_completions=10 ** 9, min_watch_seconds=10 ** 9),
    ))
    result = runner.invoke(args=["import", "--no-score", str(world.write())])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "campaigns.jsonl:2: budget_cents: must be at most 1000000000000, got 9223372036854775807" in out
    assert "campaigns.jsonl:3: reward_cents: must be at most 1000000000000, got a number of 31 digits" in out
    assert "campaigns.jsonl:4: max_completions: must be an integer, got 1e+300" in out
    assert "campaigns.jsonl:5: min_watch_seconds: must be at most 1000000000" in out
    assert "Traceback" not in out
    assert _ids(Campaign) == {"ok", "edge"}
    escrow = db.session.scalars(sa.select(LedgerEntry.key).where(LedgerEntry.kind == "fund"))
    assert sorted(escrow) == ["fund:edge", "fund:ok"]


def test_integral_floats_are_integers_up_to_two_to_the_53rd_only():
    assert records.integer({"n": 100.0}, "n") == 100
    with pytest.raises(records.RecordError, match="must be an integer, got 1e\\+300"):
        records.integer({"n": 1e300}, "n")
    with pytest.raises(records.RecordError, match="must be an integer"):
        records.integer({"n": float(2 ** 60)}, "n", high=None)


def test_huge_campaign_numbers_through_the_api_are_422_naming_the_field(api):
    for field, value in (("budget_cents", 10 ** 30), ("reward_cents", 9223372036854775807),
                         ("max_completions", 1e300)):
        response = api.client.post("/api/v1/campaigns", json=f.campaign(id="c-big", **{field: value}),
                                   headers=api.headers())
        assert response.status_code == 422, response.get_data(as_text=True)
        assert response.get_json()["items"][0]["field"] == field
    assert "c-big" not in _ids(Campaign)


# 2. a line Python's decoder chokes on is a bad line like any other

def test_deep_nesting_and_a_5000_digit_number_are_line_errors(runner, world):
    world.basic(proofs=3)
    world.rows["proofs"] = [world.rows["proofs"][0], DEEP, json.dumps(f.proof(id="p2", worker_id="w2"))[:-1]
                            + f', "watch_seconds": {DIGITS}}}', world.rows["proofs"][2]]
    result = runner.invoke(args=["import", "--no-score", str(world.write())])
    assert result.exit_code == 1, result.output
    assert "proofs.jsonl:2: line: not valid JSON (too deeply nested)" in result.output
    assert "proofs.jsonl:3: line: not valid JSON (a number longer than 4300 digits)" in result.output
    assert _ids(Proof) == {"p1", "p3"}


@pytest.mark.parametrize(("raw", "words"), [
    (DEEP, "too deeply nested"),
    ('{"id": "p1", "device": ' + DEEP + "}", "too deeply nested"),
    (json.dumps(f.proof())[:-1] + f', "watch_seconds": {DIGITS}}}', "longer than 4300 digits"),
])
def test_unreadable_json_bodies_are_400_not_500(api, raw, words):
    response = api.post_raw(raw)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"] == "malformed_json" and words in response.get_json()["message"]
    assert not _ids(Proof)


# 3. times that do not convert to UTC, or are centuries off

@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00",
                                   "1899-12-31T00:00:00+00:00", "2201-06-01T00:00:00Z"])
def test_times_outside_the_supported_years_are_field_errors(runner, world, value):
    world.add("workers", f.worker(id="ok"), f.worker(id="odd", created_at=value))
    result = runner.invoke(args=["import", "--no-score", str(world.write())])
    assert result.exit_code == 1, result.output
    assert f"workers.jsonl:2: created_at: {value!r} is not a time between the years 1900 and 2200" in result.output
    assert _ids(Worker) == {"ok"}


def test_real_exports_old_sign_ups_and_open_ended_campaigns_are_kept(runner, world):
    """A 1970 placeholder is a time; a campaign ending 9999-12-31 never ends."""
    world.basic(proofs=1)
    world.add("workers", f.worker(id="w-old", created_at="1970-01-01T00:00:00Z"))
    world.add("campaigns", f.campaign(id="c-open", ends_at="9999-12-31T23:59:59-05:00"))
    result = runner.invoke(args=["import", "--no-score", str(world.write())])
    assert result.exit_code == 0, result.output
    assert "w-old" in _ids(Worker) and db.session.get(Campaign, "c-open").ends_at is None


def test_times_outside_the_supported_years_are_422_in_the_api(api):
    response = api.post([f.proof(id="ok"), f.proof(id="y1", accepted_at="0001-01-01T00:00:00+05:00"),
                         f.proof(id="y9", submitted_at="9999-12-31T23:59:59-05:00")])
    assert response.status_code == 422, response.get_data(as_text=True)
    assert [(i["id"], i["field"]) for i in response.get_json()["items"]] == [("y1", "accepted_at"),
                                                                             ("y9", "submitted_at")]
    assert not _ids(Proof)


# 5. hashes and screen sizes match whole, ASCII digits only

@pytest.mark.parametrize(("changes", "field"), [
    ({"screenshot_phash": "0123456789abcdef\n"}, "screenshot_phash"),
    ({"screenshot_sha256": "b" * 64 + "\n"}, "screenshot_sha256"),
    ({"device": f.device(screen="١٠٨٠x٢٤٠٠")}, "device.screen"),
    ({"device": f.device(screen="1080x2400\n")}, "device.screen"),
    ({"device": f.device(screen="１０８０x２４００")}, "device.screen"),
])
def test_near_miss_hashes_and_screens_are_refused(changes, field):
    with pytest.raises(records.RecordError) as refused:
        records.parse_proof(f.proof(**changes))
    assert refused.value.field == field


def test_near_miss_hash_in_the_api_is_422(api):
    response = api.post(f.proof(id="nl", screenshot_phash="0123456789abcdef\n"))
    assert response.status_code == 422
    assert response.get_json()["items"][0]["field"] == "screenshot_phash"


# 6. a world file that is not a regular file

def test_a_world_file_that_is_a_directory_is_refused_by_name(runner, world):
    path = world.basic(proofs=1).write()
    (path / "proofs.jsonl").unlink()
    (path / "proofs.jsonl").mkdir()
    result = runner.invoke(args=["import", "--no-score", str(path)])
    assert result.exit_code == 1
    assert f"{path / 'proofs.jsonl'}: not a regular file" in result.output
    assert "Traceback" not in result.output and not _ids(Brand)  # refused before anything was stored


# 7. messages

def test_json_errors_say_at_once(runner, world, api):
    world.add("workers", '{"id": "w9", "created_at": "2026')
    result = runner.invoke(args=["import", "--no-score", str(world.write())])
    assert "workers.jsonl:1: line: not valid JSON (Unterminated string starting at column 28)" in result.output
    response = api.post_raw('{"id": "p1", "campaign')
    assert "Unterminated string starting at line 1 column 14" in response.get_json()["message"]


def test_a_repeated_proof_id_in_decisions_is_named_as_proof_id(runner, world):
    path = world.basic(proofs=1).add("decisions", f.decision(), f.decision(decision="rejected")).write()
    result = runner.invoke(args=["import", "--no-score", str(path)])
    assert "decisions.jsonl:2: proof_id: 'p1' repeats line 1; kept the first" in result.output


@pytest.mark.parametrize("blank", ["   ", "\t", " \n "])
def test_a_blank_id_is_missing(runner, world, blank):
    world.add("brands", f.brand(id="b1"), f.brand(id=blank), f.brand(id="b2", name="  "))
    result = runner.invoke(args=["import", "--no-score", str(world.write())])
    assert "brands.jsonl:2: id: is required" in result.output
    assert "brands.jsonl:3: name: is required" in result.output
    assert _ids(Brand) == {"b1"}


# 8. a re-import whose rows differ from the stored ones

def test_a_reimport_with_changed_rows_keeps_the_stored_ones_and_says_so(runner, world, tmp_path):
    assert runner.invoke(args=["import", "--no-score", str(world.basic(proofs=3).write())]).exit_code == 0
    changed = f.WorldBuilder(tmp_path / "changed").basic(proofs=3)
    changed.rows["proofs"][1]["comment_text"] = "changed"
    changed.rows["campaigns"] = [f.campaign(budget_cents=5)]
    result = runner.invoke(args=["import", "--no-score", str(changed.write())])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "proofs.jsonl:2: id 'p2' is stored with a different comment_text; left as stored" in out
    assert "campaigns.jsonl:1: id 'c1' is stored with a different budget_cents; left as stored" in out
    assert "proofs: 3 lines, 0 new, 2 already stored, 0 rejected" in out
    assert "proofs: 1 lines differ from the stored rows with their ids; left as stored" in out
    assert "workers: 3 lines, 0 new, 3 already stored, 0 rejected" in out
    assert "nothing new" not in out
    db.session.rollback()
    assert db.session.get(Proof, "p2").comment_text == f.proof()["comment_text"]
    assert db.session.get(Campaign, "c1").budget_cents == 100_000
    again = runner.invoke(args=["import", "--no-score", str(world.write())])  # the same file again: all alike
    assert "nothing new" in again.output and "differ" not in again.output


def test_a_reimported_decision_that_differs_keeps_the_first_and_says_so(runner, world, tmp_path):
    from models import ReviewDecision

    world.basic(proofs=3).add("decisions", f.decision(proof_id="p1"), f.decision(proof_id="p2", decision="rejected",
                                                                                 reason="reused_screenshot"))
    assert runner.invoke(args=["import", "--no-score", str(world.write())]).exit_code == 0
    changed = f.WorldBuilder(tmp_path / "changed").basic(proofs=3).add(
        "decisions", f.decision(proof_id="p1", decision="rejected"),  # flipped
        f.decision(proof_id="p2", decision="rejected", reason="reused_screenshot", decided_at="2026-10-03T10:00:00Z"))
    result = runner.invoke(args=["import", "--no-score", str(changed.write())])
    out = result.output
    assert result.exit_code == 0, out
    assert "decisions.jsonl:1: proof_id 'p1' was imported with a different decision; left as imported" in out
    assert "decisions.jsonl:2: proof_id 'p2' was imported with a different decided_at; left as imported" in out
    assert "decisions: 2 lines, 0 new, 0 already stored, 0 rejected" in out
    db.session.rollback()
    assert db.session.scalar(sa.select(ReviewDecision.decision).where(ReviewDecision.proof_id == "p1")) == "approved"
    again = runner.invoke(args=["import", "--no-score", str(world.write())])  # the first file again: all alike
    assert "nothing new" in again.output and "differ" not in again.output
