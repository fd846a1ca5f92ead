"""`flask api-tokens create|list|revoke`: tokens for machine clients of the JSON API."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.services.api_tokens import ApiTokenError, create_token, list_clients, revoke_token
from models import NotFound, db

api_tokens = AppGroup("api-tokens", help="API tokens for machine clients (Authorization: Bearer ...).")


@api_tokens.command("create")
@click.argument("name")
def create_command(name: str) -> None:
    """Create a client NAME and print its token (shown this once only)."""
    try:
        client, token = create_token(name)
    except ApiTokenError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created API client {client.id} ({client.name}); its token, shown only now:", err=True)
    click.echo(token)


@api_tokens.command("list")
def list_command() -> None:
    """List clients: id, name, token prefix, created, status."""
    clients = list_clients()
    if not clients:
        click.echo("no API clients yet: flask --app app api-tokens create NAME", err=True)
    for client in clients:
        status = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}" if client.revoked_at else "active"
        click.echo(f"{client.id}\t{client.name}\t{client.token_prefix}…\t{client.created_at:%Y-%m-%d %H:%M}\t{status}")


@api_tokens.command("revoke")
@click.argument("client_id", type=int)
def revoke_command(client_id: int) -> None:
    """Revoke client CLIENT_ID's token at once (requests with it get 401)."""
    try:
        client = revoke_token(client_id)
    except (ApiTokenError, NotFound) as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"revoked API client {client.id} ({client.name}, {client.token_prefix}…)")


def register(app: Flask) -> None:
    app.cli.add_command(api_tokens)
