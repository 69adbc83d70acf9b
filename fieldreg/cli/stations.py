"""Sync with HQ: stations (at HQ), joining, syncing over the network or by USB bundle."""

from __future__ import annotations

from pathlib import Path

import click

from fieldreg import keyring
from fieldreg.cli.context import Context


@click.group()
def stations() -> None:
    """Stations that sync to this HQ."""


@stations.command("add")
@click.argument("code")
@click.option("--name", default="", help="Station name.")
@click.option(
    "--url",
    envvar="FIELDREG_HQ_URL",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="The address stations use to reach this HQ (put in the credential).",
)
@click.pass_obj
def stations_add(obj: Context, code: str, name: str, url: str) -> None:
    """Register a station; its credential is printed on the last line, once."""
    from fieldreg import syncing

    credential = syncing.add_station(obj.open(), code, name, url)
    click.echo(f"Station {code.upper()} registered. Give it this credential (secret, shown once):")
    click.echo(credential)


@stations.command("list")
@click.pass_obj
def stations_list(obj: Context) -> None:
    """List registered stations and their last sync."""
    from fieldreg import conflicts

    for row in conflicts.stations(obj.open()):
        click.echo(
            f"{row['code']}\t{row['last_sync_at'] or '-'}\t{row['last_path'] or '-'}"
            f"\t{row['received']}"
        )


@stations.command("hand-over")
@click.argument("code")
@click.argument("station")
@click.pass_obj
def stations_hand_over(obj: Context, code: str, station: str) -> None:
    """HQ: make STATION the owner of the household (and its members) or person CODE."""
    from fieldreg import ownership

    done = ownership.hand_over(obj.open(), code, station, "cli")
    click.echo(
        f"{done['code']}: {done['records']} records now belong to {done['owner']} "
        f"({done['handed']} handed over); it receives them whole at its next sync."
    )


@click.command()
@click.argument("credential")
@click.pass_obj
def join(obj: Context, credential: str) -> None:
    """Store the credential HQ printed for this station."""
    from fieldreg import syncing

    cred = syncing.join(obj.open(), credential)
    click.echo(f"Station {cred['station']} joined HQ {cred['hq']} at {cred['hq_url']}.")


@click.command()
@click.option("--hq", "url", help="HQ address (overrides the one in the credential).")
@click.pass_obj
def sync(obj: Context, url: str | None) -> None:
    """Push this station's changes to HQ, then pull what HQ has for it."""
    from fieldreg import syncing

    report = syncing.run_sync(obj.open(), url)
    click.echo(
        f"Sync done: {report.pushed} sent (HQ has up to {report.acked}), {report.pulled} received."
    )


@click.group()
def bundle() -> None:
    """Carry sync on a USB stick: encrypted, signed files."""


@bundle.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--for", "for_station", help="HQ only: write what HQ has for this station.")
@click.pass_obj
def bundle_export(obj: Context, file: Path, for_station: str | None) -> None:
    """Write the changes the other side has not acknowledged into FILE."""
    from fieldreg import bundles

    data, count = bundles.export_bundle(obj.open(), for_station)
    partial = file.with_name(file.name + ".part")
    keyring.write_private(partial, data)  # a bundle is encrypted; still the owner's only
    partial.replace(file)
    click.echo(f"Bundle written: {file} ({count} changes, {len(data)} bytes).")


@bundle.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.pass_obj
def bundle_import(obj: Context, file: Path) -> None:
    """Check and apply a bundle; a damaged or foreign file is refused and changes nothing."""
    from fieldreg import bundles

    outcome = bundles.import_bundle(obj.open(), file.read_bytes())
    click.echo(
        f"Bundle from {outcome['from']} applied: {outcome['changes']} changes in the file, "
        f"{outcome['applied']} new."
    )
    if outcome.get("restamped"):
        click.echo(
            f"{outcome['restamped']} changes were stamped by a clock far ahead of HQ's and now "
            "carry HQ's time: set this laptop's clock right."
        )


@click.group()
def refused() -> None:
    """Changes HQ refused: list them, set one aside (kept for audit) so the rest push."""


@refused.command("list")
@click.option("--set-aside", "show_set_aside", is_flag=True, help="List those set aside.")
@click.pass_obj
def refused_list(obj: Context, show_set_aside: bool) -> None:
    """List this station's changes HQ refused, with HQ's reason (or those set aside)."""
    from fieldreg import quarantine

    db = obj.open()
    if show_set_aside:
        for row in quarantine.quarantined(db):
            click.echo(
                f"{row['seq']}\t{row['op']} {row['tbl']} {row['record_id']}"
                f"\tset aside {row['set_aside_at']} by {row['set_aside_by'] or '-'}"
                f"\t{row['reason']}"
            )
        return
    found = quarantine.refused(db)
    for row in found:
        click.echo(f"{row['seq']}\t{row['op']} {row['tbl']} {row['record_id']}\t{row['reason']}")
    if not found:
        click.echo("HQ refused none of this station's changes.")


@refused.command("set-aside")
@click.argument("seq", type=int)
@click.option("--by", "actor", default="cli", show_default=True, help="Who sets it aside.")
@click.pass_obj
def refused_set_aside(obj: Context, seq: int, actor: str) -> None:
    """Move refused change SEQ into the quarantine (kept for audit); the later ones push."""
    from fieldreg import quarantine

    done = quarantine.set_aside(obj.open(), seq, actor)
    click.echo(
        f"Change {seq} ({done['op']} {done['tbl']} {done['record_id']}) set aside; "
        "the later changes go to HQ at the next sync."
    )
