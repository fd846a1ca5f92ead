"""WSGI entry point for gunicorn: `gunicorn wsgi:app`.

Each worker warms up before serving (the areas' "web_warm_ups": the try page's first answer would
otherwise compile its queries and user-agent patterns while an operator waits). The connections
the warm-up opened are closed, so a preloading master never hands a socket to its forks. Then the
heap is frozen (`freeze_heap`: no collection walks the app's own objects in the middle of a request)."""
from app import create_app
from app.platform.warmup import freeze_heap, run_warm_ups
from models import db

app = create_app()
with app.app_context():
    run_warm_ups("web_warm_ups")
    db.session.remove()
    db.engine.dispose()
freeze_heap()
