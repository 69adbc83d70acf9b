"""The data on disk: backups, restore, the passphrase, exports."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from fieldreg import db, keyring
from fieldreg.cli.context import Context


@click.group("backup")
def backup_group() -> None:
    """Back up the database (automatic backups run inside `serve`)."""


@backup_group.command("now")
@click.pass_obj
def backup_now(obj: Context) -> None:
    """Write a checked backup now, into FIELDREG_BACKUP_DIR (default DATA/backups)."""
    from fieldreg import backup, create_app

    app = create_app({"DATA": str(obj.data)})
    folder, _minutes, keep = backup.settings(app.config)
    attempt = backup.run(app.config["DATABASE"], folder, keep)
    if not attempt["ok"]:
        raise click.ClickException(attempt["error"])
    click.echo(f"Backup written and checked: {attempt['path']}")


@backup_group.command("list")
@click.pass_obj
def backup_list(obj: Context) -> None:
    """List the backups in the backup folder, oldest first."""
    from fieldreg import backup, create_app

    app = create_app({"DATA": str(obj.data)})
    folder = backup.settings(app.config)[0]
    station = db.setting(obj.open(), "station_code")
    for path in backup.listing(folder, station):
        click.echo(f"{path}\t{path.stat().st_size}")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--skip-codes",
    default=1000,
    show_default=True,
    type=int,
    help="Codes left unissued after the restore, for tags printed after the backup.",
)
@click.pass_obj
def restore(obj: Context, file: Path, skip_codes: int) -> None:
    """Replace the database with a backup FILE (the server must be stopped)."""
    from fieldreg.lock import FolderInUse
    from fieldreg.restore import RestoreRefused, bring_salt
    from fieldreg.restore import restore as do_restore

    data = obj.data
    if bring_salt(data, file):
        click.echo(f"Took the salt kept beside {file.name}: give this station's passphrase.")
    if not keyring.is_unlocked(data):
        obj.unlock()
    try:
        done = do_restore(data, file, skip_codes)
    except FolderInUse as exc:
        raise click.ClickException(f"{exc} Restore refused.") from exc
    except RestoreRefused as exc:
        raise click.ClickException(exc.message) from exc
    if done["replaced"]:
        click.echo(f"The replaced database was kept as {done['replaced']}")
    click.echo(f"Restored {file} into {data}; new codes start after {done['code_seq']}.")


@click.command()
@click.pass_obj
def rekey(obj: Context) -> None:
    """Change the passphrase: re-encrypt the database under a new one (and a new salt).

    The current passphrase comes from FIELDREG_PASSPHRASE or a prompt, the new one from
    FIELDREG_NEW_PASSPHRASE or a prompt. Stop the server first.
    """
    old = os.environ.get(keyring.ENV_PASSPHRASE) or click.prompt(
        "Current passphrase", hide_input=True, err=True
    )
    new = os.environ.get("FIELDREG_NEW_PASSPHRASE") or click.prompt(
        "New passphrase", hide_input=True, confirmation_prompt=True, err=True
    )
    try:
        db.rekey(obj.data, old, new)
    except keyring.WrongPassphrase as exc:
        raise click.ClickException(f"Passphrase not changed: {exc}.") from exc
    database = db.connect(obj.data / db.DB_NAME)
    with db.write(database):
        from fieldreg import audit

        audit.log(database, "cli", "rekey")
    click.echo("Passphrase changed. Give the new one to whoever unlocks this station.")


@click.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx", "pfif"]), default="csv", show_default=True
)
@click.option(
    "--kind",
    default="people",
    show_default=True,
    help="csv: households, people, triage or movements (xlsx has every kind).",
)
@click.option("--hxl", is_flag=True, help="Add a row of HXL hashtags under the header.")
@click.option(
    "--pseudonymise",
    "partner",
    metavar="PARTNER",
    help="For a partner: no names or phones, ids replaced by the partner's pseudonyms.",
)
@click.option(
    "--medical",
    is_flag=True,
    help="Include medical detail (conditions, notes, referrals): only for medical staff.",
)
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def export_cmd(
    obj: Context, fmt: str, kind: str, hxl: bool, partner: str | None, medical: bool, out: Path
):
    """Export people (or households, triage, movements) as CSV, XLSX or PFIF 1.4 XML to OUT."""
    from fieldreg import exports

    progress, chunks = exports.stream(
        obj.open(), fmt, kind, hxl, partner, actor="cli", medical=medical
    )
    label = f"Exporting {progress.total} rows"
    with click.progressbar(length=max(progress.total, 1), label=label, file=sys.stderr) as bar:
        size = exports.write_chunks(out, _moving(chunks, progress, bar))
    click.echo(f"Wrote {out} ({size} bytes, {progress.done} rows).")


def _moving(chunks, progress, bar):
    """Pass an export's chunks through, moving the progress bar to the rows written."""
    for chunk in chunks:
        yield chunk
        bar.update(progress.done - bar.pos)
