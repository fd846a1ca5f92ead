"""Rule-set drafts, maker-checker publication and rollback: services and `flask rules` commands."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.rules.services import versions
from models import AuditEvent, DomainError, ProofScore, RuleSet, db
from tests.ml.worlds import honest_world


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def _status() -> dict[int, str]:
    return dict(db.session.execute(sa.select(RuleSet.version, RuleSet.status)).all())


@pytest.fixture()
def operators(staff):
    return staff("operator", "maker@example.test"), staff("operator", "checker@example.test")


def test_version_names_resolve_to_numbers_active_and_newest_draft(app, operators):
    maker, _ = operators
    assert versions.resolve("active").version == 1
    with pytest.raises(DomainError, match="no draft"):
        versions.resolve("draft")
    versions.create_draft(versions.resolve("1"), {"thresholds.hold_at_or_above": 0.8}, maker)
    versions.create_draft(versions.resolve("1"), {"thresholds.hold_at_or_above": 0.9}, maker)
    assert versions.resolve("draft").version == 3
    assert versions.resolve(" 2 ").status == "draft"
    for bad in ("7", "latest", "-1"):
        with pytest.raises(DomainError):
            versions.resolve(bad)


def test_a_draft_is_a_new_version_and_its_diff_names_each_change(app, operators):
    maker, _ = operators
    settings = dict(versions.parse_setting(s) for s in (
        "ip.shared_accounts.min_accounts=5", "ip.hosting_asn.enabled=false", "timing.too_fast.weight=0.25",
        "thresholds.auto_approve_below=0.2"))
    assert settings["ip.shared_accounts.min_accounts"] == 5 and settings["ip.hosting_asn.enabled"] is False
    draft = versions.create_draft(versions.resolve("active"), settings, maker, "tighter")
    db.session.commit()
    assert (draft.version, draft.status, draft.created_by) == (2, "draft", maker.id)
    changes = {c.path: (c.before, c.after) for c in versions.diff_against_active(draft)}
    assert changes == {"ip.shared_accounts.min_accounts": (3, 5), "ip.hosting_asn.enabled": (True, False),
                       "timing.too_fast.weight": (0.5, 0.25), "thresholds.auto_approve_below": (0.3, 0.2)}
    assert _status() == {1: "active", 2: "draft"}
    [event] = _events("ruleset.drafted")
    assert event.actor_id == maker.id and event.data["from_version"] == 1


@pytest.mark.parametrize(("setting", "named"), [
    ("ip.shared_accounts.min_accounts=5000",
     "signals.ip.shared_accounts.params.min_accounts: 5000 is outside [1, 1000]"),
    ("ip.shared_accounts.min_accounts=20", "min_accounts (20) must be below full_accounts (10)"),
    ("ip.shared_accounts.weight=1.5", "signals.ip.shared_accounts.weight: expected a number in [0, 1]"),
    ("thresholds.auto_approve_below=0.9", "auto_approve_below must not exceed hold_at_or_above"),
    ("ip.shared_accounts.min_accounts=many", "ip.shared_accounts.min_accounts: expected a number"),
    ("ip.shared_accounts.enabled=maybe", "ip.shared_accounts.enabled: expected true or false"),
    ("ip.nope.weight=0.1", "ip.nope.weight: unknown signal"),
    ("ip.shared_accounts.colour=3", "ip.shared_accounts has no parameter colour"),
])
def test_invalid_settings_name_the_field_and_bound(app, operators, setting, named):
    with pytest.raises(DomainError) as caught:
        versions.create_draft(versions.resolve("active"), dict([versions.parse_setting(setting)]), operators[0])
    assert named in str(caught.value)
    assert _status() == {1: "active"}


def test_a_draft_that_changes_nothing_is_refused(app, operators):
    with pytest.raises(DomainError, match="change nothing"):
        versions.create_draft(versions.resolve("active"), {"ip.shared_accounts.min_accounts": 3}, operators[0])


def test_a_draft_without_a_recorded_author_is_never_published(app, operators):
    """A command-line draft made without --by: its maker may be any operator, so no approval counts."""
    draft = versions.create_draft(versions.resolve("active"), {"thresholds.hold_at_or_above": 0.8}, None)
    for operator in operators:
        with pytest.raises(versions.ApprovalRefused, match="no recorded author"):
            versions.publish(draft, operator)
    assert _status() == {1: "active", 2: "draft"}
    assert _events("ruleset.published") == []


def test_the_author_cannot_approve_their_own_draft(app, operators, staff):
    maker, checker = operators
    draft = versions.create_draft(versions.resolve("active"), {"thresholds.hold_at_or_above": 0.8}, maker)
    with pytest.raises(versions.ApprovalRefused, match="cannot approve"):
        versions.publish(draft, maker)
    with pytest.raises(versions.ApprovalRefused, match="only an operator"):
        versions.publish(draft, staff("moderator"))
    assert _status() == {1: "active", 2: "draft"}
    versions.publish(draft, checker)
    db.session.commit()
    assert _status() == {1: "retired", 2: "active"}
    [event] = _events("ruleset.published")
    assert event.actor_id == checker.id and event.data["author_id"] == maker.id
    assert event.data["previous_active"] == 1
    assert event.data["changes"] == [["thresholds.hold_at_or_above", 0.75, 0.8]]
    with pytest.raises(DomainError, match="only a draft"):
        versions.publish(draft, checker)


def test_rollback_reactivates_a_published_version_only(app, operators):
    maker, checker = operators
    draft = versions.create_draft(versions.resolve("active"), {"thresholds.hold_at_or_above": 0.8}, maker)
    unpublished = versions.create_draft(versions.resolve("active"), {"thresholds.hold_at_or_above": 0.9}, maker)
    versions.publish(draft, checker)
    with pytest.raises(DomainError, match="never published"):
        versions.rollback(unpublished, checker)
    with pytest.raises(DomainError, match="already active"):
        versions.rollback(draft, checker)
    versions.rollback(versions.resolve("1"), maker)
    db.session.commit()
    assert _status() == {1: "active", 2: "retired", 3: "draft"}
    assert versions.resolve("active").version == 1
    [event] = _events("ruleset.rolled_back")
    assert (event.object_id, event.actor_id, event.data["previous_active"]) == ("1", maker.id, 2)


def test_a_draft_the_training_job_made_is_published_by_any_operator(app, operators):
    """Learned weights: no person typed them, so the first operator who approves them is the checker."""
    from app.scoring.services.rulesets import draft_learned, load_active_rules

    config = json.loads(json.dumps(load_active_rules().config))
    config["signals"]["account.new"]["weight"] = round(config["signals"]["account.new"]["weight"] / 2, 3)
    config["learned"] = {"model": "m1", "rows": 900}
    learned = draft_learned(config, "learned weights", {"model": "m1"})
    assert learned is not None and learned.created_by is None and not versions.unattributed(learned)
    assert {c.path for c in versions.diff_against_active(learned)} == {"account.new.weight"}  # no `learned` row
    versions.publish(learned, operators[0])
    assert _status() == {1: "retired", 2: "active"}


def test_an_approval_given_against_another_active_version_is_refused(app, operators):
    """The approver saw the draft's diff against v1; v2 went live meanwhile, so the draft now undoes it."""
    maker, checker = operators
    first = versions.create_draft(versions.resolve("active"), {"thresholds.hold_at_or_above": 0.8}, maker)
    second = versions.create_draft(versions.resolve("active"), {"ip.shared_accounts.min_accounts": 5}, maker)
    versions.publish(first, checker, seen_active=1)
    with pytest.raises(versions.ApprovalRefused, match="became active after you compared"):
        versions.publish(second, checker, seen_active=1)
    assert _status() == {1: "retired", 2: "active", 3: "draft"}
    versions.publish(second, checker, seen_active=2)  # compared again, against what is live
    assert _status() == {1: "retired", 2: "retired", 3: "active"}


def test_a_stored_version_that_no_longer_validates_is_never_reactivated(app, operators):
    maker, checker = operators
    draft = versions.create_draft(versions.resolve("active"), {"thresholds.hold_at_or_above": 0.8}, maker)
    versions.publish(draft, checker)
    old = versions.resolve("1")
    old.config = {**old.config, "signals": {**old.config["signals"], "signal.dropped_since": {"enabled": True}}}
    db.session.flush()
    with pytest.raises(versions.DraftError, match="version 1 no longer validates.*signal.dropped_since"):
        versions.rollback(old, maker)
    assert _status() == {1: "retired", 2: "active"}


def test_cli_draft_publish_rescores_and_rollback(app, runner, world, operators):
    honest_world(world, 4)
    assert runner.invoke(args=["import", str(world.write())]).exit_code == 0
    assert set(db.session.scalars(sa.select(ProofScore.ruleset_version))) == {1}
    bad = runner.invoke(args=["rules", "draft", "--set", "ip.shared_accounts.min_accounts=0"])
    assert bad.exit_code != 0 and "min_accounts: 0 is outside [1, 1000]" in bad.output
    made = runner.invoke(args=["rules", "draft", "--from", "active", "--by", "maker@example.test",
                               "--set", "thresholds.auto_approve_below=0.0"])
    assert made.exit_code == 0, made.output
    assert "thresholds.auto_approve_below: 0.3 -> 0.0" in made.output
    listed = runner.invoke(args=["rules", "list"])
    assert "   2  draft" in listed.output and "maker@example.test" in listed.output
    shown = runner.invoke(args=["rules", "show", "draft"])
    assert shown.exit_code == 0 and "1 change(s) against the active version" in shown.output
    assert json.loads(shown.output.split("\n", 1)[1].rsplit("}\n", 1)[0] + "}")["thresholds"]["auto_approve_below"] == 0
    own = runner.invoke(args=["rules", "publish", "draft", "--by", "maker@example.test"])
    assert own.exit_code != 0 and "cannot approve" in own.output
    published = runner.invoke(args=["rules", "publish", "draft", "--by", "checker@example.test"])
    assert published.exit_code == 0, published.output
    assert "thresholds.auto_approve_below: 0.3 -> 0.0" in published.output  # what the approval made live
    # every policy approval still in its hold window was rescored with version 2
    assert set(db.session.scalars(sa.select(ProofScore.ruleset_version))) == {2}
    assert set(db.session.scalars(sa.select(ProofScore.route))) == {"review"}
    back = runner.invoke(args=["rules", "rollback", "1", "--by", "checker@example.test"])
    assert back.exit_code == 0, back.output
    assert versions.resolve("active").version == 1
    assert set(db.session.scalars(sa.select(ProofScore.ruleset_version))) == {1}
    assert len(_events("ruleset.rolled_back")) == 1 and len(_events("ruleset.published")) == 1
