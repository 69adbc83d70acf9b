"""Family tracing: match now, exchange PFIF files with tracing partners."""

from __future__ import annotations

from pathlib import Path

import click

from fieldreg.cli.context import Context


@click.group("tracing")
def tracing_group() -> None:
    """Family tracing: matching, PFIF exchange with tracing partners."""


@tracing_group.command("match")
@click.pass_obj
def tracing_match_cmd(obj: Context) -> None:
    """Match open tracing cases against what changed since the last run; print proposals."""
    from fieldreg import tracing_match

    made = tracing_match.refresh(obj.open())
    click.echo(f"{made} new possible matches.")


@tracing_group.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def tracing_export(obj: Context, out: Path) -> None:
    """Write the open cases with consent to share as PFIF 1.4 (for a tracing partner)."""
    from fieldreg import tracing_pfif

    out.write_bytes(tracing_pfif.export(obj.open(), "cli"))
    click.echo(f"PFIF written: {out}")


@tracing_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.pass_obj
def tracing_import(obj: Context, file: Path) -> None:
    """Take a tracing partner's PFIF file as enquiries, then match them."""
    from fieldreg import tracing_match, tracing_pfif

    db = obj.open()
    counts = tracing_pfif.import_file(db, file.read_bytes(), "cli")
    tracing_match.refresh(db)
    click.echo(f"{counts['imported']} new, {counts['updated']} updated, "
               f"{counts['skipped']} skipped.")  # fmt: skip
