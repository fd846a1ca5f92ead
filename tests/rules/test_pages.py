"""The operators' pages: who may open them, the editor's draft and diff, maker-checker in the browser,
try on one proof, a backtest started from a page, and the overview's figures."""
from __future__ import annotations

import re

import flask_babel
import pytest
import sqlalchemy as sa

from app.rules.services import overview as overview_service
from app.rules.services import versions
from models import AuditEvent, Backtest, ProofScore, ReviewItem, RuleSet, Task, db
from tests.ml.worlds import honest_world
from tests.rules.conftest import FARM, HONEST, farm_links

PAGES = ["/rules/", "/rules/signals", "/rules/editor", "/rules/versions", "/rules/versions/1", "/rules/try",
         "/rules/backtests", "/rules/models", "/rules/models/compare", "/rules/models/drift", "/rules/shadow",
         "/rules/relief/", "/rules/relief/?state=all"]
POSTS = ["/rules/editor", "/rules/versions/1/publish", "/rules/versions/1/rollback", "/rules/versions/1/backtests",
         "/rules/relief/", "/rules/relief/1/lift"]


def _csrf(page: bytes) -> str:
    """The page's CSRF token (TestingConfig switches CSRF off; the browser tests run with it on)."""
    found = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
    return found.group(1).decode() if found else ""


@pytest.mark.parametrize("role", ["moderator", "senior_moderator", "compliance"])
def test_other_roles_get_403_everywhere(client, login, role):
    login(role)
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    for path in POSTS:
        assert client.post(path, data={"submit": "1"}).status_code == 403, path
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RuleSet)) == 0


def test_anonymous_is_sent_to_sign_in(client):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_operators_and_admins_open_every_page(client, login, labelled_world, role):
    login(role)
    for path in PAGES:
        assert client.get(path).status_code == 200, path


def test_an_operator_lands_on_the_overview(client, staff, auth):
    staff("operator")
    response = auth.login("operator@example.test")
    assert response.status_code == 302 and response.location.endswith("/rules/")


def test_an_imported_backlog_shows_its_last_days_not_empty_ones(client, login, labelled_world):
    """The world was submitted on 2026-10-01; weeks later the default 30 days still end at its newest proof."""
    from datetime import UTC, datetime

    later = overview_service.overview(days=30, now=datetime(2026, 12, 7, tzinfo=UTC))
    assert later["proofs"] == HONEST + FARM and later["until"] == "2026-10-01"
    assert overview_service.overview(days=30, now=datetime(2026, 10, 1, 18, tzinfo=UTC))["until"] is None
    login("operator")
    assert 'id="period-end"' in client.get("/rules/").data.decode()


def test_overview_counts_routes_labels_and_agreement(client, login, labelled_world):
    login("operator")
    data = overview_service.overview(days=365)
    routes = dict(db.session.execute(sa.select(ProofScore.route, sa.func.count()).group_by(ProofScore.route)).all())
    [day] = data["days"]
    assert {k: day[k] for k in ("auto_approve", "review", "hold") if day[k]} == routes
    assert (day["labelled"], day["rejected"], data["fraud_rate"]) == (HONEST + FARM, FARM, round(FARM / 12, 4))
    farm_signal = next(r for r in data["top_agreed"] if r["fires_rejected"] == FARM)
    assert farm_signal["precision"] == round(FARM / (FARM + farm_signal["fires_approved"]), 4)
    point = data["operating_point"]
    assert point["fraud_flagged_share"] == 1.0 and point["version"] == 1
    page = client.get("/rules/?days=365")
    assert b"Current operating point" in page.data and b"<svg" in page.data
    assert f"2026-10-01 · auto-approve: {routes['auto_approve']}<".encode() in page.data  # route words, not codes
    assert farm_signal["code"].encode() in page.data


def test_catalogue_lists_every_signal_with_measured_behaviour(client, login, labelled_world):
    login("operator")
    rows = overview_service.catalogue()
    farm = [r for r in rows if r["fires_rejected"] == FARM]
    assert farm and len(rows) == len(versions.checked(versions.resolve("active"))["signals"])
    page = client.get("/rules/signals").data.decode()
    for row in rows:
        assert f'id="sig-{row["spec"].code}"' in page


def test_the_editor_names_a_field_the_form_refused(client, login):
    login("operator")
    page = client.get("/rules/editor")
    refused = client.post("/rules/editor", data={"csrf_token": _csrf(page.data), "note": "x" * 501,
                                                 "thresholds.hold_at_or_above": "0.8"})
    assert refused.status_code == 400 and b"Why: " in refused.data and b"expired" not in refused.data
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RuleSet)) == 1


def test_editor_makes_a_draft_and_shows_its_diff(client, login):
    login("operator", "maker@example.test")
    page = client.get("/rules/editor")
    assert b'name="ip.shared_accounts.min_accounts"' in page.data and b'max="1000"' in page.data
    assert b"the history of the last 30 days" in page.data  # how far back every window can see
    form = {"csrf_token": _csrf(page.data), "ip.shared_accounts.shown": "1", "ip.shared_accounts.enabled": "1",
            "ip.shared_accounts.min_accounts": "2000", "thresholds.hold_at_or_above": "0.8"}
    refused = client.post("/rules/editor", data=form)
    assert refused.status_code == 422
    assert b"signals.ip.shared_accounts.params.min_accounts: 2000 is outside [1, 1000]" in refused.data
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RuleSet)) == 1
    # unticking a shown signal's box switches it off; a signal the form did not show stays as it was
    form.update({"ip.shared_accounts.min_accounts": "4", "ip.hosting_asn.shown": "1", "note": "fewer accounts"})
    saved = client.post("/rules/editor", data=form)
    assert saved.status_code == 302 and saved.location.endswith("/rules/versions/2")
    changes = {c.path: (c.before, c.after) for c in versions.diff_against_active(versions.resolve(2))}
    assert changes == {"ip.shared_accounts.min_accounts": (3, 4), "ip.hosting_asn.enabled": (True, False),
                       "thresholds.hold_at_or_above": (0.75, 0.8)}
    shown = client.get("/rules/versions/2").data.decode()
    assert "ip.shared_accounts.min_accounts" in shown and "You wrote this draft" in shown
    assert "Approve and publish" not in shown


def test_the_editor_names_the_refused_field_in_the_readers_language(client, login):
    login("operator")
    client.post("/preferences/language", data={"locale": "zh_CN", "next": "/rules/"})
    page = client.get("/rules/editor")
    form = {"csrf_token": _csrf(page.data), "ip.shared_accounts.shown": "1", "ip.shared_accounts.enabled": "1",
            "ip.shared_accounts.min_accounts": "2000"}
    refused = client.post("/rules/editor", data=form)
    assert refused.status_code == 422
    assert "signals.ip.shared_accounts.params.min_accounts：2000 超出范围 [1, 1000]" in refused.get_data(as_text=True)


def test_a_refused_save_keeps_the_ticked_choices_it_was_given(client, login):
    login("operator")
    page = client.get("/rules/editor")
    assert b'name="timing.outside_session.live_actions" value="watch" checked' in page.data
    form = {"csrf_token": _csrf(page.data), "timing.outside_session.shown": "1", "timing.outside_session.enabled": "1",
            "timing.outside_session.live_actions.shown": "1", "timing.outside_session.live_actions": ["like", "follow"],
            "ip.shared_accounts.shown": "1", "ip.shared_accounts.enabled": "1",
            "ip.shared_accounts.min_accounts": "2000"}
    refused = client.post("/rules/editor", data=form)
    assert refused.status_code == 422
    shown = refused.data.decode()
    assert 'value="follow" checked' in shown and 'value="like" checked' in shown
    assert 'value="watch" checked' not in shown  # the operator unticked it; the page must not tick it again


def test_a_draft_without_an_author_offers_no_approval(client, login, labelled_world):
    login("operator")
    versions.create_draft(versions.resolve("active"), {"thresholds.auto_approve_below": 0.0}, None)
    db.session.commit()
    page = client.get("/rules/versions/2")
    assert b'id="no-author"' in page.data and b"Approve and publish" not in page.data
    refused = client.post("/rules/versions/2/publish", data={"csrf_token": _csrf(page.data), "submit": "1"})
    assert refused.status_code == 403 and b"no recorded author" in refused.data
    assert versions.resolve("active").version == 1


def test_a_second_operator_publishes_in_the_browser_and_the_author_cannot(client, auth, login, labelled_world):
    maker = login("operator", "maker@example.test")
    draft = versions.create_draft(versions.resolve("active"), {"thresholds.auto_approve_below": 0.0}, maker)
    db.session.commit()
    page = client.get("/rules/versions/2")
    own = client.post("/rules/versions/2/publish", data={"csrf_token": _csrf(page.data), "submit": "1"})
    assert own.status_code == 403 and b"cannot approve" in own.data
    assert db.session.get(RuleSet, draft.id).status == "draft"
    auth.logout()
    checker = login("operator", "checker@example.test")
    page = client.get("/rules/versions/2")
    assert b"Approve and publish v2" in page.data
    done = client.post("/rules/versions/2/publish", data={"csrf_token": _csrf(page.data), "submit": "1"})
    assert done.status_code == 302
    db.session.expire_all()
    assert versions.resolve("active").version == 2
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "ruleset.published"))
    assert event.actor_id == checker.id
    # the stale-score rescoring ran (these proofs all carry final imported decisions, so none was stale)
    task = db.session.scalar(sa.select(Task).where(Task.kind == "rescore_stale"))
    rescored = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "proofs.rescored"))
    assert task.status == "done" and rescored.data["reason"].startswith("rule set 2 published")
    listing = client.get("/rules/versions")
    rolled = client.post("/rules/versions/1/rollback", data={"csrf_token": _csrf(listing.data), "submit": "1"})
    assert rolled.status_code == 302
    assert versions.resolve("active").version == 1


def test_try_on_one_proof_shows_both_versions(client, login, labelled_world):
    maker = login("operator")
    versions.create_draft(versions.resolve("active"), {"thresholds.auto_approve_below": 0.0}, maker)
    db.session.commit()
    page = client.get("/rules/try?proof=p1&version=draft")
    assert page.status_code == 200
    text = page.data.decode()
    assert "Active v1" in text and "v2 (draft)" in text
    stored = db.session.get(ProofScore, "p1")
    assert stored.route == "auto_approve" and 'route-auto_approve">auto-approve<' in text  # as stored
    assert 'id="other-route">review<' in text and "The route would change." in text
    farm = client.get("/rules/try?proof=p9&version=2").data.decode()
    assert "Same route." in farm and "device." in farm  # the farm's device signals, on both sides
    assert client.get("/rules/try?proof=nope").status_code == 404


def test_try_offers_the_proofs_waiting_in_the_queue(client, login, runner, world):
    honest_world(world, HONEST + FARM, links=farm_links(HONEST + 1, FARM))  # no decisions: the farm waits
    assert runner.invoke(args=["import", str(world.write())]).exit_code == 0
    login("operator")
    page = client.get("/rules/try?version=1").data.decode()
    waiting = sorted(db.session.scalars(sa.select(ReviewItem.proof_id).where(ReviewItem.status == "open")))
    assert waiting == sorted(f"p{i}" for i in range(HONEST + 1, HONEST + FARM + 1))
    assert 'id="from-queue"' in page and all(f"/rules/try?proof={pid}&amp;version=1" in page for pid in waiting)
    assert "p1<" not in page  # honest, auto-approved: not waiting


def test_try_says_what_to_do_when_nothing_waits(client, login, labelled_world):
    login("operator")
    assert "Nothing is waiting in the review queue" in client.get("/rules/try").data.decode()


def test_a_backtest_started_from_a_page_shows_its_figures(client, login, labelled_world):
    login("operator")
    page = client.get("/rules/versions/1")
    started = client.post("/rules/versions/1/backtests", data={
        "csrf_token": _csrf(page.data), "since": "2026-10-01", "until": "2026-10-02"})
    assert started.status_code == 302
    test = db.session.scalar(sa.select(Backtest))
    assert started.location.endswith(f"/rules/backtests/{test.id}") and test.status == "done"
    shown = client.get(f"/rules/backtests/{test.id}").data.decode()
    assert 'id="precision"' in shown and "operating-point" in shown and 'id="signal-contribution"' in shown
    assert f"{test.results['proofs']} labelled proofs" in shown
    assert f"/rules/backtests/{test.id}" in client.get("/rules/backtests").data.decode()
    bad = client.post("/rules/versions/1/backtests", data={"csrf_token": _csrf(page.data), "since": "x"})
    assert bad.status_code == 400


def test_every_operator_page_reads_in_chinese(app, client, login, labelled_world):
    login("operator", "maker@example.test")
    draft = versions.create_draft(versions.resolve("active"), {"thresholds.auto_approve_below": 0.0}, None)
    db.session.commit()
    assert client.post("/preferences/language", data={"locale": "zh_CN", "next": "/rules/"}).status_code == 302
    flask_babel.refresh()  # the test's app context outlives requests, and Flask-Babel caches the locale in it
    app.extensions["i18n_missing"].clear()
    page = client.get("/rules/versions/1")
    client.post("/rules/versions/1/backtests", data={"csrf_token": _csrf(page.data), "since": "2026-10-01",
                                                     "until": "2026-10-02"})
    for path in [*PAGES, f"/rules/versions/{draft.version}", "/rules/try?proof=p1&version=draft",
                 "/rules/backtests/1", "/rules/?days=365", "/queue/proofs/p9"]:
        assert client.get(path).status_code == 200, path
    assert "规则编辑器" in client.get("/rules/editor").data.decode()
    assert not app.extensions["i18n_missing"], sorted(app.extensions["i18n_missing"])


def test_the_rules_catalogue_translates_every_string_with_its_placeholders():
    for msgid, text in _catalogue("rules").items():
        assert text, msgid
        assert sorted(re.findall(r"%\(\w+\)[sr]", msgid)) == sorted(re.findall(r"%\(\w+\)[sr]", text)), msgid


def test_every_signal_declaration_reads_in_chinese(app, client, login):
    """Titles, descriptions and parameter help are declared in review_rules (no Flask there); the rules
    catalogue carries each (scripts/i18n.py), and the pages show them translated, a `%` in them as it is."""
    from review_rules.registry import all_signals

    catalogue = _catalogue("rules")
    for spec in all_signals():
        for text in (spec.title, spec.description, *(p.help for p in spec.params)):
            assert catalogue.get(text), (spec.code, text)
    login("operator")
    client.post("/preferences/language", data={"locale": "zh_CN", "next": "/rules/"})
    flask_babel.refresh()
    signals, editor = client.get("/rules/signals").data.decode(), client.get("/rules/editor").data.decode()
    assert "数据中心或云服务网络" in signals and "24 小时中的 6 小时即 25%" in signals
    assert "开始计分的账号数" in editor and "Data-centre or cloud network" not in signals


def _catalogue(area: str) -> dict[str, str]:
    from pathlib import Path

    from babel.messages.pofile import read_po

    path = Path(__file__).resolve().parents[2] / f"app/{area}/translations/zh_CN/LC_MESSAGES/messages.po"
    with path.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def test_try_reads_the_context_once_for_versions_that_share_it(app, labelled_world, staff, monkeypatch):
    from app.rules.services import try_proof

    draft = versions.create_draft(versions.resolve("active"), {"ip.shared_accounts.min_accounts": 2,
                                                               "thresholds.auto_approve_below": 0.0}, staff("operator"))
    db.session.commit()
    reads = []
    real = try_proof.build_context
    monkeypatch.setattr(try_proof, "build_context", lambda *a, **k: reads.append(1) or real(*a, **k))
    for pid in ("p1", "p9"):
        reads.clear()
        both = try_proof.compare(pid, "draft")
        assert len(reads) == 1
        # the same answers as each version scored on its own context
        assert both["active"] == try_proof.score_with(pid, versions.resolve("active"))
        assert both["other"] == try_proof.score_with(pid, draft)
    wider = versions.create_draft(versions.resolve("active"), {"context.history_days": 10}, None)
    db.session.commit()
    reads.clear()
    try_proof.compare("p1", str(wider.version))
    assert len(reads) == 2


def test_new_ring_accounts_count_each_account_on_its_first_ring_day():
    import pandas as pd

    frame = pd.DataFrame({"worker_id": ["a", "a", "b", "c", "b"], "day": ["d1", "d2", "d2", "d1", "d3"],
                          "reasons": ["graph.ring;ip.tor_proxy", "graph.ring", "device.emulator;graph.ring",
                                      "graph.ring_like", None]})
    assert overview_service.new_ring_accounts(frame) == {"d1": 1, "d2": 1}
    assert overview_service.new_ring_accounts(frame.iloc[3:]) == {}


def test_a_task_page_shows_what_the_job_stored_in_the_readers_language(client, login):
    from app.platform.i18n import stated
    from models import Task, db

    task = Task(kind="rescore_stale", status="running", total=10, done=4, message=stated(
        "%(reason)s: %(stale)s stale proofs to rescore with rule set %(ruleset)s, model %(model)s",
        reason=stated("rule set %(version)s published", version=7), stale=10, ruleset=7, model="m-20261208"))
    db.session.add(task)
    db.session.commit()
    login("operator")
    client.post("/preferences/language", data={"locale": "zh_CN", "next": "/rules/"})
    chinese = client.get(f"/rules/tasks/{task.id}").get_data(as_text=True)
    assert "规则集 7 已发布：10 条过期评分待用规则集 7、模型 m-20261208 重新评分" in chinese
    assert "重新评分过期评分" in chinese and "rescore_stale" not in chinese  # the task's kind in words
    client.post("/preferences/language", data={"locale": "en", "next": "/rules/"})
    english = client.get(f"/rules/tasks/{task.id}").get_data(as_text=True)
    assert "rule set 7 published: 10 stale proofs to rescore" in english


def test_long_lists_come_a_page_at_a_time_with_their_filters(client, login):
    from app.scoring.services import relief
    from models import SignalMute, utcnow

    login("operator")
    versions.resolve("active")  # v1, the default set
    db.session.add_all([RuleSet(version=v, status="draft", config={}, note=f"draft {v}") for v in range(2, 56)])
    db.session.add_all([SignalMute(signal_code="ip.hosting_asn", entity_kind="worker", entity_value=f"w{i}",
                                   reason="r", created_at=utcnow(), expires_at=utcnow() + relief.ENDED_LOOKBACK)
                        for i in range(105)])
    db.session.commit()
    first = client.get("/rules/versions").get_data(as_text=True)
    assert 'id="v55"' in first and 'id="v6"' in first and 'id="v5"' not in first and "?before=6" in first
    older = client.get("/rules/versions?before=6").get_data(as_text=True)
    assert 'id="v5"' in older and 'id="v1"' in older and 'id="v6"' not in older
    assert 'rel="next"' not in older and 'rel="first"' in older  # the last page links back, not further
    for odd in ("%C2%B2", "-1", "x", "9" * 30):  # anything but a plain id is the newest page
        assert 'id="v55"' in client.get(f"/rules/versions?before={odd}").get_data(as_text=True)
    mutes = client.get("/rules/relief/?state=active&kind=worker").get_data(as_text=True)
    assert mutes.count('<tr id="mute-') == 100
    link = re.search(r'href="([^"]*before=\d+[^"]*)" rel="next"', mutes).group(1).replace("&amp;", "&")
    assert "state=active" in link and "kind=worker" in link
    rest = client.get(link).get_data(as_text=True)
    assert rest.count('<tr id="mute-') == 5 and 'rel="next"' not in rest
