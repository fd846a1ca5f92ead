"""`flask worker`: an RQ worker with this app's config (any number, on any machine)."""
from __future__ import annotations

import click
from flask import Flask, current_app

from app.jobs.queues import ALL_QUEUES, dispatcher


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Quit when the queues are empty.")
def worker_command(queues: tuple[str, ...], burst: bool) -> None:
    """Serve RQ queues (default: all of them, cheapest last)."""
    jobs = dispatcher()
    if jobs.synchronous:
        raise click.ClickException("REDIS_URL is not set: jobs run in-process, there is nothing to serve")
    from rq import Worker

    names = queues or ALL_QUEUES
    unknown = set(names) - set(ALL_QUEUES)
    if unknown:
        raise click.ClickException(f"unknown queue(s) {', '.join(sorted(unknown))}; known: {', '.join(ALL_QUEUES)}")
    click.echo(f"serving {', '.join(names)} on {current_app.config['REDIS_URL']}")
    Worker([jobs.queue(n) for n in names], connection=jobs.redis()).work(burst=burst)


def register(app: Flask) -> None:
    app.cli.add_command(worker_command)
