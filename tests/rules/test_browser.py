"""The operators' day in a real browser: edit a threshold, read the draft's diff, backtest it with a
progress bar, a second operator approves, and the published version scores the next proof."""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.auth.services.staff import create_staff
from app.platform.jobs import JobDispatcher
from app.rules.jobs import run_backtest
from app.rules.services import backtest as backtest_service
from models import AuditEvent, Backtest, ProofScore, RuleSet, db
from tests import factories as f
from tests.e2e.conftest import PASSWORD, LiveApp, browser, browser_app, page, serving  # noqa: F401 - fixtures
from tests.factories import WorldBuilder
from tests.ml.worlds import honest_world
from tests.rules.conftest import FARM, HONEST, farm_links

pytestmark = pytest.mark.browser


class BacktestsWait(JobDispatcher):
    """In-process jobs, except backtests, which wait in `queued` until the test runs them as a worker
    would: the page's progress bar is then seen before the figures."""

    def __init__(self) -> None:
        super().__init__(None)
        self.waiting: list[int] = []

    def enqueue(self, func, *args, spec, job_id=None):  # noqa: ANN001, ANN201
        if func.__name__ == "run_backtest":
            self.waiting.append(args[0])
            return job_id
        return super().enqueue(func, *args, spec=spec, job_id=job_id)


@pytest.fixture()
def operators_app(tmp_path: Path):  # noqa: ANN201
    app = browser_app(tmp_path)
    app.extensions["jobs"] = BacktestsWait()
    world = WorldBuilder(tmp_path / "world")
    honest_world(world, HONEST + FARM, links=farm_links(HONEST + 1, FARM))
    world.add("decisions", *(f.decision(proof_id=f"p{i}", decision="approved" if i <= HONEST else "rejected")
                             for i in range(1, HONEST + FARM + 1)))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["import", str(world.write())])
        assert result.exit_code == 0, result.output
        for name in ("maker", "checker"):
            create_staff(f"{name}@example.test", name.title(), "operator", PASSWORD)
        db.session.commit()
    with serving(app) as live:
        yield live


def _sign_in(page, live: LiveApp, who: str) -> None:  # noqa: ANN001, F811
    page.goto(f"{live.url}/login")
    page.fill("input[name=email]", f"{who}@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live.url}/rules/")  # an operator's home is the overview


def test_edit_backtest_approve_and_the_next_proof_is_scored_by_the_new_version(page, operators_app, tmp_path,  # noqa: F811
                                                                                monkeypatch):
    live = operators_app
    _sign_in(page, live, "maker")
    expect(page.locator("#operating-point")).to_contain_text("0.3")

    page.click("text=Rule editor")
    page.fill("input[name='thresholds.auto_approve_below']", "0.05")
    # within each field's bounds (the browser checks those), but against the declared order: the server says so
    page.fill("input[name='ip.shared_accounts.min_accounts']", "20")
    page.click("input[type=submit][value='Save as draft']")
    expect(page.locator("#editor-error")).to_contain_text("min_accounts (20) must be below full_accounts (10)")
    page.fill("input[name='ip.shared_accounts.min_accounts']", "3")
    page.fill("input[name='thresholds.auto_approve_below']", "0.05")
    page.click("input[type=submit][value='Save as draft']")
    page.wait_for_url(f"{live.url}/rules/versions/2")
    expect(page.locator("#diff tbody tr")).to_have_count(1)
    expect(page.locator("#diff")).to_contain_text("thresholds.auto_approve_below")
    expect(page.locator("#approval")).to_contain_text("a second operator must approve it")
    expect(page.locator("#approval button")).to_have_count(0)

    page.fill("#backtest-form input[name=since]", "2026-10-01")
    page.fill("#backtest-form input[name=until]", "2026-10-02")
    page.click("#backtest-form input[type=submit]")
    page.wait_for_url(re.compile(r".*/rules/backtests/\d+$"))
    expect(page.locator("#backtest-progress")).to_be_visible()
    expect(page.locator("#backtest-status")).to_have_text("queued")
    # what a `backtest` worker does, held after its first progress report until the page has shown it
    reported, release = threading.Event(), threading.Event()
    real = backtest_service.point_in_time_many

    def held(context, configs, chunk_hours, progress, **options):  # noqa: ANN001, ANN202
        def step(done: int, total: int) -> None:
            progress(done, total)
            reported.set()
            release.wait(30)
        return real(context, configs, chunk_hours, step, **options)

    monkeypatch.setattr(backtest_service, "point_in_time_many", held)
    [waiting] = live.app.extensions["jobs"].waiting

    def work() -> None:
        with live.app.app_context():
            run_backtest(waiting)
    worker = threading.Thread(target=work)
    worker.start()
    try:
        assert reported.wait(30)
        expect(page.locator("#backtest-status")).to_have_text("running", timeout=10_000)  # the page refreshes itself
        expect(page.locator("#backtest-progress")).to_have_attribute("value", re.compile(r"^[1-9]\d*$"))
        expect(page.locator("main")).to_contain_text("evaluating rules")
    finally:
        release.set()
        worker.join(60)
    expect(page.locator("#precision")).to_be_visible(timeout=15_000)
    expect(page.locator("#backtest-status")).to_have_text("done")
    assert page.locator("svg .operating-point").count() == 1

    page.context.clear_cookies()
    _sign_in(page, live, "checker")
    page.goto(f"{live.url}/rules/versions/2")
    page.click("#approval button")
    page.wait_for_url(f"{live.url}/rules/versions/2")
    expect(page.locator("#status")).to_have_text("active")

    next_world = WorldBuilder(tmp_path / "next")
    next_world.add("workers", f.worker(id="w99", phone="+8613800199999"))
    next_world.add("proofs", f.proof(id="p99", worker_id="w99", ip="223.104.99.7", screenshot_sha256="9" * 64,
                                     device=f.device(fingerprint="fp-99", canvas_hash="canvas99")))
    with live.app.app_context():
        result = live.app.test_cli_runner().invoke(args=["import", str(next_world.write())])
        assert result.exit_code == 0, result.output
        score = db.session.get(ProofScore, "p99")
        assert score.ruleset_version == 2
        assert db.session.scalar(sa.select(RuleSet.status).where(RuleSet.version == 1)) == "retired"
        published = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "ruleset.published"))
        assert published.actor_label == "checker@example.test"
        assert db.session.scalar(sa.select(Backtest.status)) == "done"


def test_shadow_comparison_and_promoting_a_model(page, operators_app, tmp_path, monkeypatch):  # noqa: F811
    from app.rules.services import versions
    from app.scoring.services import model_training
    from ml.registry import clear_cache
    from tests.ml.synthetic import FAST, labelled_set
    from tests.ml.worlds import COMMENTS

    live = operators_app
    with live.app.app_context():
        versions.create_draft(versions.resolve("active"), {"thresholds.auto_approve_below": 0.0}, None)
        db.session.commit()
    _sign_in(page, live, "maker")
    page.goto(f"{live.url}/rules/versions/2")
    page.click("#shadow-form button")
    page.wait_for_url(f"{live.url}/rules/shadow")
    expect(page.locator("main")).to_contain_text("Nothing shadow-scored yet.")

    arriving = WorldBuilder(tmp_path / "live")
    arriving.add("workers", *(f.worker(id=f"lw{i}", phone=f"+86139001390{i:02d}") for i in range(3)))
    arriving.add("proofs", *(f.proof(id=f"live{i}", worker_id=f"lw{i}", ip=f"223.105.{i}.9",
                                     screenshot_sha256=f"{i:063x}f", screenshot_phash=f"{(i + 40) * 0x7654321:016x}",
                                     comment_text=COMMENTS[i],
                                     device=f.device(fingerprint=f"live-{i}", canvas_hash=f"lc{i}")) for i in range(3)))
    with live.app.app_context():
        assert live.app.test_cli_runner().invoke(args=["import", str(arriving.write())]).exit_code == 0
    page.reload()  # the shadow followed the import's scoring: nothing is left pending
    expect(page.locator("main")).to_contain_text("Shadow-score pending proofs (0)")
    expect(page.locator("#agreement")).to_contain_text("3 proofs compared")
    expect(page.locator("#matrix tbody tr.flag")).to_have_count(1)  # auto_approve -> review
    expect(page.locator("#disagreements tbody tr")).to_have_count(3)

    monkeypatch.setattr(model_training, "labelled_set",
                        lambda config, progress=None: (labelled_set(900, strength=3.0), {"version": 1}))
    monkeypatch.setattr(model_training, "TrainingConfig", lambda: FAST)
    clear_cache()
    page.click("text=Models")
    page.click("#train-form button", timeout=120_000)  # no Redis here: training runs inside the request
    expect(page.locator("#task-status")).to_have_text("done")
    page.click("text=Back to the models")
    page.click("#train-form button", timeout=120_000)  # the same data again: not better, stays a candidate
    page.click("text=Back to the models")
    candidate = page.locator("#models tbody tr", has=page.locator("text=candidate"))
    expect(candidate).to_have_count(1)
    version = candidate.locator("td").first.inner_text()
    candidate.locator("button").click()
    page.wait_for_url(f"{live.url}/rules/models")
    expect(page.locator(f"#model-{version} .pill")).to_have_text("active")
    expect(page.locator(".flash")).to_contain_text(f"Model {version} is active.")
    clear_cache()
