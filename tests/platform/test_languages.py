"""Every page in both languages with nothing left untranslated, the language choice that sticks,
and dates, numbers and money written the way each language writes them."""
from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
import sqlalchemy as sa
from flask_babel import refresh  # the app fixture's context is shared: choose the language again

from app.money.jobs import run_settlement
from app.platform import i18n
from models import StaffUser, db
from scripts import i18n as catalogues
from tests.money import helpers as money
from tests.review.helpers import put_in_queue

SIGNALS = [{"code": "ip.hosting_asn", "score": 0.9, "reason": "IP in a hosting network"}]


@pytest.fixture()
def missing(app):  # noqa: ANN001, ANN201
    found = app.extensions["i18n_missing"]
    found.clear()
    return found


def _pages(client, login, imported, language: str) -> dict[str, str]:
    """Render the queue, a proof, the ledger pages and the error page; path -> HTML."""
    imported(4)
    put_in_queue("p1", "hold", 0.91, signals=SIGNALS)
    put_in_queue("p2", "review", 0.55, signals=SIGNALS)
    db.session.commit()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    seen = {"/login": client.get("/login").get_data(as_text=True)}
    login("senior_moderator")
    for path in ("/queue/", "/queue/?q=review", "/queue/?q=senior", "/queue/?q=auto", "/queue/proofs/p1",
                 "/account", "/queue/proofs/nope", "/queue/proofs/p1/cluster", "/queue/groups?by=worker",
                 "/queue/groups?by=ring", "/queue/requests", "/queue/leads", "/queue/appeals", "/queue/workers/w1"):
        response = client.get(path)
        assert response.status_code == (404 if path.endswith("nope") else 200), (path, response.status_code)
        seen[path] = response.get_data(as_text=True)
    client.post("/logout", data={"submit": "1"})
    login("compliance")
    for path in ("/ledger/", "/ledger/brands", "/ledger/brands/b1", "/ledger/workers", "/ledger/workers/w1",
                 "/ledger/revenue", "/ledger/payouts", "/ledger/payouts?state=sent", "/compliance/brands",
                 "/compliance/brands/b1", "/compliance/audit", "/compliance/screening/",
                 "/compliance/screening/rules/", "/compliance/screening/rules/1", "/compliance/screening/campaigns/c1"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        seen[path] = response.get_data(as_text=True)
    client.post("/logout", data={"submit": "1"})
    login("admin")
    client.post("/admin/settings/retention-run")  # so the page lists a run
    for path in ("/admin/", "/admin/tokens", "/admin/settings"):
        seen[path] = client.get(path).get_data(as_text=True)
    return seen


def test_every_page_renders_in_chinese_with_no_untranslated_string(client, login, imported, missing):
    pages = _pages(client, login, imported, "zh-CN,zh;q=0.9")
    assert not sorted(missing), f"shown without a zh_CN translation: {sorted(missing)}"
    assert "审核队列" in pages["/queue/"] and "认领下一条" in pages["/queue/"]
    assert "键盘快捷键" in pages["/queue/"] and "驳回" in pages["/queue/proofs/p1"]
    assert "品牌对账单" in pages["/ledger/brands"] and "账本" in pages["/ledger/"]
    assert "未找到" in pages["/queue/proofs/nope"]
    assert "员工账号" in pages["/admin/"] and "API 令牌" in pages["/admin/tokens"]
    assert "数据保留与定时任务" in pages["/admin/settings"] and "管理页面" in pages["/admin/settings"]
    assert "重复使用的截图" in pages["/queue/proofs/p1/cluster"]  # the bulk form's reasons, chosen per reader
    assert 'lang="zh-CN"' in pages["/queue/"]


def test_every_page_renders_in_english(client, login, imported, missing):
    pages = _pages(client, login, imported, "en-US,en;q=0.8")
    assert "Review queue" in pages["/queue/"] and "Keyboard shortcuts" in pages["/queue/"]
    assert "Brand statements" in pages["/ledger/brands"]
    assert not any("审核" in html for html in pages.values())
    assert not missing  # English is the source language: nothing is ever missing


def test_catalogues_hold_every_marked_string_and_translate_all_of_them():
    for area in catalogues.AREAS:
        template = catalogues.extract(area)
        if not len(template):
            continue
        po = catalogues.po_path(area, "zh_CN")
        assert po.exists(), f"{area} marks strings but has no zh_CN catalogue: run make i18n"
        with po.open("rb") as handle:
            known = {m.id for m in catalogues.read_po(handle) if m.id}
        new = sorted(str(m.id) for m in template if m.id and m.id not in known)
        assert not new, f"{area}: strings missing from its catalogue (run make i18n, then translate): {new}"
    assert catalogues.check() == []


def test_a_message_reads_the_same_in_every_area():
    """Flask-Babel merges the areas' catalogues into one: two translations of one msgid would let the
    last area loaded decide how another area's page reads."""
    translations: dict[str, dict[str, str]] = {}
    for area, _locale, path in catalogues.catalogues():
        with path.open("rb") as handle:
            for message in catalogues.read_po(handle):
                if message.id and isinstance(message.id, str):
                    translations.setdefault(message.id, {})[area] = message.string
    differing = {msgid: by for msgid, by in translations.items() if len(set(by.values())) > 1}
    assert not differing, differing


def test_language_follows_the_browser_until_someone_chooses(client, staff, auth):
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")
    assert "登录" in client.get("/login").get_data(as_text=True)  # no preference at all: Chinese
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    client.post("/preferences/language", data={"locale": "zh_CN", "next": "/login"})
    assert "登录" in client.get("/login").get_data(as_text=True)  # the switch beats the browser


def test_the_choice_is_kept_on_the_account(client, staff, auth, app):
    user = staff("moderator")
    auth.login(user.email)
    response = client.post("/preferences/language", data={"locale": "zh_CN", "next": "https://evil.test/"})
    assert response.status_code == 302 and "evil.test" not in response.headers["Location"]
    assert db.session.scalar(sa.select(StaffUser.locale).where(StaffUser.id == user.id)) == "zh_CN"
    fresh = app.test_client()  # a new browser that asks for English still gets the account's language
    fresh.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    fresh.post("/login", data={"email": user.email, "password": "correct-horse"})
    assert "审核队列" in fresh.get("/queue/").get_data(as_text=True)


def test_account_page_saves_language_and_time_zone_with_an_audit_row(client, staff, auth):
    user = staff("moderator")
    auth.login(user.email)
    bad = client.post("/account", data={"locale": "fr", "timezone": "Mars/Olympus"})
    assert bad.status_code == 200 and b"Not a valid choice" in bad.data
    client.post("/account", data={"locale": "en", "timezone": "Europe/Berlin"})
    saved = db.session.get(StaffUser, user.id)
    db.session.refresh(saved)
    assert (saved.locale, saved.timezone) == ("en", "Europe/Berlin")
    from models import AuditEvent
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "staff.preferences"))
    assert event.data == {"locale": "en", "timezone": "Europe/Berlin"}


@pytest.mark.parametrize(("locale", "zone", "text"), [
    ("zh_CN", "Asia/Shanghai", "2026年12月3日 14:05"),
    ("en", "Asia/Shanghai", "Dec 3, 2026 14:05"),
    ("en", "Europe/London", "Dec 3, 2026 06:05"),
])
def test_times_in_the_viewers_language_and_zone_with_utc_on_hover(app, locale, zone, text):
    instant = datetime(2026, 12, 3, 6, 5, tzinfo=UTC)
    app.config["BABEL_DEFAULT_TIMEZONE"] = zone
    with app.test_request_context("/", headers={"Accept-Language": locale.replace("_", "-")}):
        refresh()
        html = str(i18n.when(instant))
    assert f">{text}</time>" in html and 'title="2026-12-03 06:05 UTC"' in html


def test_money_and_numbers_in_both_languages(app):
    for language in ("zh-CN", "en"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            refresh()
            assert i18n.money(123450) == "¥1,234.50"
            assert i18n.money(-5) == "-¥0.05"
            assert i18n.number(1234567) == "1,234,567"


def test_service_errors_speak_the_readers_language(app):
    from app.review.services.queue import QueueError, parse_filters

    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        refresh()
        with pytest.raises(QueueError, match="不在你的权限内"):
            parse_filters({"q": "senior"}, ("hold", "review"), "hold")
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        refresh()
        with pytest.raises(QueueError, match="is not one of yours"):
            parse_filters({"q": "senior"}, ("hold", "review"), "hold")


def test_ledger_pages_show_settled_money_in_yuan(client, login, missing):
    money.world(campaigns={"c1": {"budget_cents": 123450}})
    money.proof("p0", worker="w1")
    money.approve("p0")
    db.session.commit()
    run_settlement()
    login("compliance")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    html = client.get("/ledger/brands").get_data(as_text=True)
    assert "¥1,234.50" in html and "已充值" in html
    assert not missing


def test_commands_speak_english_unless_told_to_speak_chinese(runner, tmp_path, monkeypatch):
    missing_dir = str(tmp_path / "nowhere")
    monkeypatch.delenv("LANG", raising=False)
    refresh()
    assert "not a directory" in runner.invoke(args=["import", missing_dir]).output
    monkeypatch.setenv("WORKBENCH_LOCALE", "zh_CN")
    refresh()
    assert "不是目录" in runner.invoke(args=["import", missing_dir]).output


def test_a_rules_command_error_speaks_chinese_only_when_told_to(runner, monkeypatch):
    args = ["rules", "draft", "--set", "thresholds.hold_at_or_above=0.8", "--by", "nobody@example.test"]
    monkeypatch.delenv("LANG", raising=False)
    monkeypatch.delenv("WORKBENCH_LOCALE", raising=False)
    refresh()
    english = runner.invoke(args=args)
    assert english.exit_code != 0 and "no staff account nobody@example.test" in english.output
    monkeypatch.setenv("WORKBENCH_LOCALE", "zh_CN")
    refresh()
    chinese = runner.invoke(args=args)
    assert chinese.exit_code != 0 and "没有员工账号 nobody@example.test" in chinese.output


def test_no_template_nests_an_expression_inside_a_string_of_another():
    """`{{ f(title="{{ _('x') }}") }}` prints the inner braces as text instead of translating them."""
    import re
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "app" / "templates"
    nested = re.compile(r"\{\{[^}]*[\"']\{\{")
    offenders = [f"{path.relative_to(templates)}:{n}" for path in templates.rglob("*.html")
                 for n, line in enumerate(path.read_text().splitlines(), 1) if nested.search(line)]
    assert not offenders, offenders


def test_stored_task_messages_are_shown_in_the_readers_language(app):
    from app.scoring.jobs import enqueue_stale_rescore  # noqa: F401 - its templates are in the app's source

    reason = i18n.stated("rolled back to rule set %(version)s", version=3)
    queued = i18n.stated("%(reason)s: %(stale)s stale proofs to rescore with rule set %(ruleset)s, model %(model)s",
                         reason=reason, stale=12, ruleset=3, model=i18n.stated("none"))
    failed = i18n.stated("%(reason)s: failed after %(done)s proofs (%(error)s)", reason=queued, done=5,
                         error="OperationalError: server closed the connection")
    lost = i18n.stated("%(before)s: stopped unfinished (%(why)s); start it again", before=failed,
                       why=i18n.stated("its job %(job)s is gone from Redis", job="rescore-stale-9"))
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        refresh()
        assert i18n.stored_text(queued) == "已回滚到规则集 3：12 条过期评分待用规则集 3、模型 无 重新评分"
        # nested three deep; the error's own words and the job id are data, shown as they were
        assert i18n.stored_text(lost) == (
            "已回滚到规则集 3：12 条过期评分待用规则集 3、模型 无 重新评分："
            "处理 5 条凭证后失败（OperationalError: server closed the connection）："
            "未完成即中止（其作业 rescore-stale-9 已不在 Redis 中）；请重新启动")
        assert i18n.stored_text("KeyError: 'x'") == "KeyError: 'x'" and i18n.stored_text(None) == ""
        assert i18n.stored_text(i18n.stated("draft from version %(v)s", v=4)) == "基于版本 4 的草稿"  # a version's note
        from app.rules.services.backtest import BacktestError, Timings, labels_and_context

        with pytest.raises(BacktestError) as empty:  # a backtest job keeps its refusal in English, shown translated
            labels_and_context(datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 1, 2, tzinfo=UTC), Timings())
        assert i18n.stored_text(str(empty.value)) == "该期间没有已标注的凭证"
        from ml.config import TrainingConfig
        from ml.train import NotEnoughLabels, check_labels

        with pytest.raises(NotEnoughLabels) as refused:  # ml/ states why it cannot train
            check_labels(pd.Series([1, 0, 0]), TrainingConfig().validate())
        assert i18n.stored_text(str(refused.value)).startswith("已标注历史：3 条已标注凭证，至少需要")
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        refresh()
        assert i18n.stored_text(lost) == lost and lost.startswith("rolled back to rule set 3: 12 stale proofs")
