"""What every command shares: the data folder (opened on demand) and one way to fail."""

from __future__ import annotations

import os
from pathlib import Path

import click

from fieldreg import db, keyring
from fieldreg.errors import DomainError


class Context:
    """What every command needs: the data folder, created and migrated on first use."""

    def __init__(self, data: Path):
        self.data = data
        self._opened: list = []

    def open(self):
        """Open the data folder's database (creating and migrating it if new)."""
        db.unlock_inherited_from_environment(self.data)
        # A key held only verifies itself: one derived from FIELDREG_PASSPHRASE is checked
        # against the database first (unlock), so that a wrong one is said in one line.
        if keyring.is_new(self.data) or not keyring.held(self.data / db.DB_NAME):
            self.unlock()
        database = db.connect(db.prepare(self.data))
        self._opened.append(database)
        return database

    def close(self) -> None:
        """Close every connection a command opened (the last one checkpoints the WAL)."""
        while self._opened:
            self._opened.pop().close()

    def unlock(self) -> None:
        """Unlock the folder with FIELDREG_PASSPHRASE, else ask for the passphrase."""
        new = keyring.is_new(self.data)
        passphrase = os.environ.get(keyring.ENV_PASSPHRASE)
        where = "FIELDREG_PASSPHRASE" if passphrase else "the passphrase typed"
        if not passphrase:
            if new:
                click.echo(
                    f"{self.data} is new: choose the passphrase that will encrypt it "
                    f"(at least {keyring.MIN_PASSPHRASE} characters).",
                    err=True,
                )
            else:
                click.echo(
                    f"The data in {self.data} is encrypted: type its passphrase "
                    "(or set FIELDREG_PASSPHRASE).",
                    err=True,
                )
            passphrase = click.prompt(
                "Passphrase", hide_input=True, confirmation_prompt=new, err=True
            )
        try:
            db.unlock(self.data, passphrase)
        except keyring.WrongPassphrase as exc:
            if new:
                raise click.ClickException(f"Cannot set up {self.data}: {exc}.") from exc
            raise click.ClickException(
                f"Cannot unlock {self.data}: {where} is not its passphrase."
            ) from exc


class FieldRegGroup(click.Group):
    """The command group: a refused domain operation becomes a plain message, in one place."""

    def invoke(self, ctx: click.Context):
        """Run the command; turn refusals into a one-line error and exit status 1."""
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        except keyring.WrongPassphrase as exc:
            raise click.ClickException(
                f"The passphrase does not open this station: {exc}."
            ) from None
        except db.DatabaseError as exc:
            if "not a database" not in str(exc):
                raise
            raise click.ClickException(
                "The passphrase does not open this station's data folder "
                "(check FIELDREG_PASSPHRASE, or type it when asked)."
            ) from None
