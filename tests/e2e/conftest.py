"""A real server (werkzeug, own thread) on a free 127.0.0.1 port over a temp SQLite world, and
Debian's chromium driven by Playwright. Skips with a clear message when chromium is missing."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from app import create_app
from app.auth.services.staff import create_staff
from config import TestingConfig
from models import db
from tests import factories as f
from tests.factories import WorldBuilder
from tests.review.helpers import put_in_queue

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]
PASSWORD = "correct-horse"

SIGNALS = {
    "farm": [
        {"code": "device.shared_fingerprint", "score": 0.86,
         "reason": "fingerprint seen on 3 accounts in 24 h: w4, w5, w6"},
        {"code": "device.emulator", "score": 0.7, "reason": "device reports an emulator"},
        {"code": "timing.burst", "score": 0.41, "reason": "5 submissions on c1 within 2 minutes"},
    ],
    "proxy": [
        {"code": "ip.hosting_asn", "score": 0.9, "reason": "IP in a hosting network (AS37963 Alibaba Cloud)"},
        {"code": "ip.shared", "score": 0.55, "reason": "IP used by 2 accounts in 1 h: w2, w3"},
    ],
    "copy": [
        {"code": "content.near_duplicate", "score": 0.62, "reason": "comment 92% similar to 4 other workers' comments"},
        {"code": "timing.watch_exceeds_elapsed", "score": 0.5,
         "reason": "claims 600 s watched, submitted 270 s after accepting"},
    ],
    "mild": [{"code": "account.new", "score": 0.3, "reason": "account created 2 days before submitting"}],
}
EXPLANATION = [{"feature": "fp_accounts_24h", "contribution": 0.21}, {"feature": "emulator", "contribution": 0.12},
               {"feature": "account_age_days", "contribution": -0.04}]


@dataclass
class LiveApp:
    app: Flask
    url: str


def _world(directory: Path) -> Path:
    w = WorldBuilder(directory)
    w.add("brands", f.brand()).add("rooms", f.room()).add("sessions", f.session()).add("campaigns", f.campaign())
    w.add("workers", *(f.worker(id=f"w{i}", phone=f"+86138001380{i:02d}") for i in range(1, 9)))
    ips = {2: "47.96.1.10", 3: "47.96.1.10"}  # two accounts on one hosting address
    fps = {4: "fp-farm", 5: "fp-farm", 6: "fp-farm"}  # one handset, three accounts
    w.add("proofs", *(f.proof(id=f"p{i}", worker_id=f"w{i}", ip=ips.get(i, f"223.104.3.{i}"),
                              watch_seconds=600 if i == 7 else 240,
                              device=f.device(fingerprint=fps.get(i, f"fp-{i}"), emulator=i in fps))
                      for i in range(1, 9)))
    w.add("proofs", *(f.proof(id=f"h{i}", worker_id="w4", submitted_at=f"2026-09-2{i}T20:05:00+08:00",
                              accepted_at=f"2026-09-2{i}T20:00:00+08:00", started_at=None) for i in range(1, 4)))
    w.add("decisions", f.decision(proof_id="h1", decision="rejected", reason="fraud_device_farm"),
          f.decision(proof_id="h2"), f.decision(proof_id="h3", decision="rejected", reason="fraud_device_farm"))
    return w.write()


def _queue_world() -> None:
    layout = [("p4", "hold", 0.93, "farm"), ("p2", "hold", 0.88, "proxy"), ("p5", "hold", 0.81, "farm"),
              ("p3", "review", 0.64, "proxy"), ("p7", "review", 0.57, "copy"), ("p6", "review", 0.52, "farm"),
              ("p1", "review", 0.31, "mild"), ("p8", "review", 0.44, "copy")]
    for proof_id, queue, risk, kind in layout:
        put_in_queue(proof_id, queue, risk, signals=SIGNALS[kind], explanation=EXPLANATION)


def _need_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (`make browser`) to run browser tests")


def browser_app(root: Path) -> Flask:
    """An app on a SQLite file under `root`, in-process jobs and real CSRF: what a browser test serves."""
    _need_chromium()

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{root / 'e2e.db'}"
        INSTANCE_DIR = root / "instance"
        MODEL_DIR = root / "models"
        REDIS_URL = None
        WTF_CSRF_ENABLED = True  # the browser goes through the real forms

    app = create_app(Config)
    with app.app_context():
        db.create_all()
    return app


@contextmanager
def serving(app: Flask) -> Iterator[LiveApp]:
    """Serve `app` on a free 127.0.0.1 port from a thread for the duration of the block."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield LiveApp(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture()
def live_app(tmp_path: Path):  # noqa: ANN201
    """A fresh world and server per test: a fraud rejection re-scores linked proofs, so tests must not share."""
    app = browser_app(tmp_path)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["import", str(_world(tmp_path / "world")), "--no-score"])
        assert result.exit_code == 0, result.output
        _queue_world()
        for role in ("moderator", "senior_moderator"):
            create_staff(f"{role}@example.test", role.replace("_", " ").title(), role, PASSWORD)
        db.session.commit()
    with serving(app) as live:
        yield live


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


@pytest.fixture()
def sign_in(page, live_app: LiveApp):  # noqa: ANN001, ANN201
    def go(role: str = "moderator") -> None:
        page.goto(f"{live_app.url}/login")
        page.fill("input[name=email]", f"{role}@example.test")
        page.fill("input[name=password]", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_app.url}/queue/**")

    return go
