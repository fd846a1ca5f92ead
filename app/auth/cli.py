"""`flask users ...` (staff accounts) and `flask api-tokens ...` (tokens of JSON API clients)."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from app.auth.services.api_tokens import SCOPES, ApiTokenError, create_token, list_clients, revoke_token
from app.auth.services.staff import StaffError, create_staff
from app.platform.i18n import _
from models import NotFound, Role, StaffUser, db

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
    click.echo(_("created %(email)s (%(role)s)", email=user.email, role=user.role))


@users.command("list")
def list_command() -> None:
    """List staff accounts."""
    for user in db.session.scalars(sa.select(StaffUser).order_by(StaffUser.id)):
        click.echo(f"{user.id}\t{user.email}\t{user.role}\t{'active' if user.active else 'disabled'}")


@users.command("demo-logins")
def demo_logins_command() -> None:
    """Create (or reset) one demo login per role and print them. Development only."""
    if not current_app.config.get("DEV_KEYS_FILE"):
        raise click.ClickException(_("demo logins are for development databases only"))
    click.echo("\n" + _("Demo logins (development only):"))
    for role in Role:
        email = f"{role.value.replace('_', '.')}@demo.local"
        password = f"demo-{role.value}"
        user = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == email))
        if user is None:
            user = create_staff(email, role.value.replace("_", " ").title(), role.value, password)
        user.set_password(password)
        user.password_temporary = False  # the printed password keeps working
        click.echo(f"  {role.value:<17} {email:<32} password: {password}")
    db.session.commit()


api_tokens = AppGroup("api-tokens", help="API tokens for machine clients (Authorization: Bearer ...).")


@api_tokens.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES), default=SCOPES, show_default=True,
              help="What the token may do (repeat for several).")
@click.option("--expires-days", type=click.IntRange(1, 730), default=None, help="Refuse the token after N days.")
@click.option("--brand", "brand_id", default=None, help="A brand's own client: it may file disputes for that brand.")
def create_token_command(name: str, scopes: tuple[str, ...], expires_days: int | None, brand_id: str | None) -> None:
    """Create a client NAME and print its token (shown this once only)."""
    try:
        client, token = create_token(name, scopes=scopes, expires_days=expires_days, brand_id=brand_id)
    except ApiTokenError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(_("created API client %(id)s (%(name)s); its token, shown only now:", id=client.id, name=client.name),
               err=True)
    click.echo(token)


@api_tokens.command("list")
def list_tokens_command() -> None:
    """List clients: id, name, token prefix, created, status."""
    clients = list_clients()
    if not clients:
        click.echo(_("no API clients yet: flask --app app api-tokens create NAME"), err=True)
    for client in clients:
        status = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}" if client.revoked_at else "active"
        click.echo(f"{client.id}\t{client.name}\t{client.token_prefix}…\t{client.created_at:%Y-%m-%d %H:%M}\t{status}")


@api_tokens.command("revoke")
@click.argument("client_id", type=int)
def revoke_token_command(client_id: int) -> None:
    """Revoke client CLIENT_ID's token at once (requests with it get 401)."""
    try:
        client = revoke_token(client_id)
    except (ApiTokenError, NotFound) as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(_("revoked API client %(id)s (%(name)s, %(prefix)s…)", id=client.id, name=client.name,
                 prefix=client.token_prefix))


def register(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(api_tokens)
