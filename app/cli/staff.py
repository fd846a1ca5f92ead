"""`flask users create|list`."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from app.services.staff import StaffError, create_staff
from models import Role, StaffUser, db

users = AppGroup("users", help="Staff accounts.")


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", default=None, help="Display name (defaults to the email's local part).")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_command(email: str, name: str | None, role: str, password: str) -> None:
    """Create a staff account."""
    try:
        user = create_staff(email, name or email.split("@")[0], role, password)
    except StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {user.email} ({user.role})")


@users.command("list")
def list_command() -> None:
    """List staff accounts."""
    for user in db.session.scalars(sa.select(StaffUser).order_by(StaffUser.id)):
        click.echo(f"{user.id}\t{user.email}\t{user.role}\t{'active' if user.active else 'disabled'}")


@users.command("demo-logins")
def demo_logins_command() -> None:
    """Create (or reset) one demo login per role and print them. Development only."""
    if not current_app.config.get("DEV_KEYS_FILE"):
        raise click.ClickException("demo logins are for development databases only")
    click.echo("\nDemo logins (development only):")
    for role in Role:
        email = f"{role.value.replace('_', '.')}@demo.local"
        password = f"demo-{role.value}"
        user = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == email))
        if user is None:
            user = create_staff(email, role.value.replace("_", " ").title(), role.value, password)
        user.set_password(password)
        click.echo(f"  {role.value:<17} {email:<32} password: {password}")
    db.session.commit()


def register(app: Flask) -> None:
    app.cli.add_command(users)
