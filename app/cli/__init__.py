"""Flask CLI commands; each area keeps its commands in its own module."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from app.cli import api, jobs, ml, money, staff, world

    for module in (world, staff, jobs, api, ml, money):
        module.register(app)
