"""Run actions at the same moment, each on its own thread, app context and database connection."""
from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from models import db


def run_together(app: Flask, *actions: Callable[[], object]) -> list[BaseException]:
    """Start every action after one barrier, wait for all; returns what they raised, in action order."""
    start = threading.Barrier(len(actions))
    raised: list[BaseException | None] = [None] * len(actions)

    def run(k: int) -> None:
        with app.app_context():
            try:
                start.wait()
                actions[k]()
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - handed to the test
                raised[k] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [exc for exc in raised if exc is not None]
