"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""
from app import create_app
from app.runtime import tune_gc

app = create_app()
tune_gc()
