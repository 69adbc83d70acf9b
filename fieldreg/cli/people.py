"""Users and API tokens."""

from __future__ import annotations

import click

from fieldreg import auth
from fieldreg.cli.context import Context
from fieldreg.config import ROLES


@click.group()
def users() -> None:
    """Manage users."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option(
    "--pin",
    prompt="PIN",
    hide_input=True,
    confirmation_prompt=True,
    help="4 to 12 digits (coordinators and admins: at least 6); no repeated digit, run or "
    "common PIN. Asked without echo when not given (give it only in scripts).",
)
@click.pass_obj
def users_add(obj: Context, name: str, role: str, pin: str) -> None:
    """Add a user with a role and a PIN."""
    auth.add_user(obj.open(), name, role, pin, actor="cli")
    click.echo(f"User {name} ({role}) added.")


@users.command("list")
@click.pass_obj
def users_list(obj: Context) -> None:
    """List users, their roles, and who is disabled or locked out by failed logins."""
    database = obj.open()
    for user in auth.list_users(database):
        flag = "\tdisabled" if user["disabled"] else ""
        until = auth.locked_until(database, user["username"])
        if until and not user["disabled"]:
            when = until[:16].replace("T", " ")
            flag = f"\tlocked until {when} UTC (users unlock {user['username']})"
        click.echo(f"{user['username']}\t{user['role']}{flag}")


@users.command("unlock")
@click.argument("name")
@click.pass_obj
def users_unlock(obj: Context, name: str) -> None:
    """Let a user locked out by failed logins try again (and every device with them)."""
    from fieldreg import throttle

    database = obj.open()
    found = [u for u in auth.list_users(database) if u["username"].lower() == name.lower()]
    if not found:
        raise click.ClickException(f"No user {name}.")
    auth.unlock_user(database, found[0]["id"], actor="cli")
    throttle.clear(database)
    click.echo(f"User {name} unlocked.")


@click.group()
def tokens() -> None:
    """Manage API tokens."""


@tokens.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="What the token may do, as a user of this role (no default: choose the least).",
)
@click.pass_obj
def tokens_create(obj: Context, name: str, role: str) -> None:
    """Create an API token of a role; the token is printed on the last line, once."""
    secret = auth.create_token(obj.open(), name, role, actor="cli")
    click.echo(f"Token {name} ({role}). Keep it secret; it is not shown again:")
    click.echo(secret)


@tokens.command("list")
@click.pass_obj
def tokens_list(obj: Context) -> None:
    """List API tokens: id, name, role, created, revoked (never the secret)."""
    for token in auth.list_tokens(obj.open()):
        revoked = f"\trevoked {token['revoked_at']}" if token["revoked_at"] else ""
        click.echo(
            f"{token['id']}\t{token['name']}\t{token['role']}\t{token['created_at']}{revoked}"
        )


@tokens.command("revoke")
@click.argument("token_id")
@click.pass_obj
def tokens_revoke(obj: Context, token_id: str) -> None:
    """Revoke an API token by its id (from `tokens list`)."""
    auth.revoke_token(obj.open(), token_id, actor="cli")
    click.echo("Token revoked.")
