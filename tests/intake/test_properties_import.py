"""Property test for `flask import`: whatever a world file holds, each line is stored whole or named
as `file:line: field: problem`; the command never crashes and a refused line writes nothing."""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import Campaign, Proof, db
from tests import factories as f
from tests.intake.strategies import JSON_VALUES, campaigns, proofs, unique_id

ERROR_LINE = re.compile(r"^(proofs|campaigns)\.jsonl:(\d+): ([\w.]+): \S")
# A line of a world file: an object (valid or broken), another JSON value, or bytes that are not JSON.
RAW_LINES = st.one_of(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" ")),
                      st.text(max_size=40).map(lambda t: t.replace("\n", " ").replace("\r", " ")
                                               .encode("utf-8", "surrogatepass")))


def _lines(objects: st.SearchStrategy) -> st.SearchStrategy:
    as_json = st.one_of(objects, objects, JSON_VALUES).map(lambda o: json.dumps(o).encode())
    return st.lists(st.one_of(as_json, as_json, RAW_LINES), max_size=8)


@pytest.fixture()
def base_world(runner, world):  # noqa: ANN001, ANN201
    world.add("brands", f.brand()).add("rooms", f.room()).add("campaigns", f.campaign())
    world.add("workers", *(f.worker(id=f"w{i}", phone=f"+86138001380{i:02d}") for i in range(1, 4)))
    result = runner.invoke(args=["import", "--no-score", str(world.write())])
    assert result.exit_code == 0, result.output
    return runner


def _ids(model: type) -> set[str]:
    db.session.rollback()
    return set(db.session.scalars(sa.select(model.id)))


def _expected_ids(lines: list[bytes], refused: set[int]) -> set[str]:
    """Ids of the lines the import did not name as refused (the first of any repeated id)."""
    ids = set()
    for number, raw in enumerate(lines, start=1):
        if number not in refused and raw.strip():
            ids.add(str(json.loads(raw)["id"]))
    return ids


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(campaign_lines=_lines(campaigns()), proof_lines=_lines(proofs()))
def test_each_line_is_stored_whole_or_named_with_its_field(base_world, tmp_path, campaign_lines, proof_lines):
    directory = tmp_path / unique_id("world")
    directory.mkdir()
    (directory / "campaigns.jsonl").write_bytes(b"\n".join(campaign_lines) + b"\n")
    (directory / "proofs.jsonl").write_bytes(b"\n".join(proof_lines) + b"\n")
    campaigns_before, proofs_before = _ids(Campaign), _ids(Proof)

    result = base_world.invoke(args=["import", "--no-score", str(directory)])

    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    refused: dict[str, set[int]] = {"campaigns": set(), "proofs": set()}
    for line in result.output.splitlines():
        if match := ERROR_LINE.match(line):
            refused[match[1]].add(int(match[2]))
    assert result.exit_code == (1 if any(refused.values()) else 0), result.output
    for name, lines, before, model in (("campaigns", campaign_lines, campaigns_before, Campaign),
                                       ("proofs", proof_lines, proofs_before, Proof)):
        assert _ids(model) - before == _expected_ids(lines, refused[name]) - before, (name, result.output)


def test_text_postgresql_cannot_store_is_named_not_a_crash(base_world, world):
    world.add("proofs", f.proof(id="nul", comment_text="a\x00b"), f.proof(id="ok"),
              json.dumps(f.proof(id="lone", user_agent="\ud800")))
    result = base_world.invoke(args=["import", "--no-score", str(world.write())])
    assert "proofs.jsonl:1: comment_text: contains a NUL character" in result.output
    assert "proofs.jsonl:3: user_agent: is not valid Unicode" in result.output
    assert _ids(Proof) == {"ok"}

