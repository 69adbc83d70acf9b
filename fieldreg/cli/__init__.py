"""The command line: ``python -m fieldreg --help`` (installed: ``fieldreg``).

One click group; every command reads the data folder from ``--data DIR`` given before it (or
``FIELDREG_DATA``). The commands live in modules by area and are added here, in one list:

    station    init, serve, purge, recount          people    users, tokens
    data       backup, restore, rekey, export       stations  stations, join, sync, bundle,
                                                              refused
    dedup      dedup, dedup-csv                     tracing   tracing match|export|import
    convoys    convoy list|sign|verify              doctor, launch: doctor, start
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from fieldreg import doctor, launch, wiring
from fieldreg.cli import convoys, data, dedup, people, station, stations, tracing
from fieldreg.cli.context import Context, FieldRegGroup
from fieldreg.config import default_data_dir


@click.group(cls=FieldRegGroup)
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="FIELDREG_DATA",
    default=None,
    help="Data folder (default: $FIELDREG_DATA or ./data).",
)
@click.pass_context
def cli(ctx: click.Context, data: Path | None) -> None:
    """FieldReg: register evacuees at a station, sync to HQ, deduplicate."""
    # Whatever this process writes (database, WAL, backups, bundles, keys) is the owner's only.
    os.umask(0o077)
    wiring.wire()
    ctx.obj = Context((data or default_data_dir()).resolve())
    ctx.call_on_close(ctx.obj.close)


COMMANDS = (
    station.init,
    station.serve,
    people.users,
    people.tokens,
    data.backup_group,
    data.restore,
    data.rekey,
    station.purge,
    station.recount,
    data.export_cmd,
    stations.stations,
    stations.join,
    stations.sync,
    stations.bundle,
    stations.refused,
    dedup.dedup,
    dedup.dedup_csv,
    tracing.tracing_group,
    convoys.convoy,
    doctor.doctor,
    launch.start,
)
for command in COMMANDS:
    cli.add_command(command)
