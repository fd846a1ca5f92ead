"""WSGI entry point for gunicorn: `gunicorn wsgi:app`.

Each worker warms up before serving (the areas' "web_warm_ups": the try page's first answer would
otherwise compile its queries and user-agent patterns while an operator waits). The connections
the warm-up opened are closed, so a preloading master never hands a socket to its forks. Then the
heap is frozen (`freeze_heap`: no collection walks the app's own objects in the middle of a request)."""
import os

# gunicorn is how the workbench is served for real: without a word otherwise it runs the production
# configuration, which refuses to start without its keys, not the development one (generated keys
# on disk, cookies sent over plain HTTP, SQLite). WORKBENCH_ENV=development serves the demo this way.
os.environ.setdefault("WORKBENCH_ENV", "production")

from app import create_app  # noqa: E402 - after the environment is settled
from app.platform.warmup import freeze_heap, run_warm_ups  # noqa: E402
from models import db  # noqa: E402

app = create_app()
with app.app_context():
    run_warm_ups("web_warm_ups")
    db.session.remove()
    db.engine.dispose()
freeze_heap()
