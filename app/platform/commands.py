"""What every area's commands share: a domain error ends the command cleanly."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from app.platform.i18n import stored_text
from models import DomainError, db


def domain_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Roll back and exit non-zero with the domain error's message (it names the bad field)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(stored_text(str(exc))) from exc  # a stated() message in the command's language

    return run
