"""The ``convoy`` commands: list convoys, sign a convoy's count, check a signed count."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.group()
def convoy() -> None:
    """Convoys: list them, sign a convoy's final count, check a signed count."""


def _convoy_id(database, ref: str) -> str:
    """Find a convoy by id or by its reference."""
    sql = "select id from convoys where deleted = 0 and (id = ? or reference = ?)"
    rows = list(database.query(sql, [ref, ref]))
    if len(rows) != 1:
        raise click.ClickException(f"No single convoy has the id or reference {ref!r}.")
    return rows[0]["id"]


@convoy.command("list")
@click.pass_obj
def convoy_list(obj) -> None:
    """List the convoys known here: reference, vehicles, people boarded and arrived."""
    from fieldreg import convoys, reconcile

    database = obj.open()
    trips = reconcile.load(database)
    for row in convoys.list_convoys(database):
        ids = [v["id"] for v in convoys.vehicles_of(database, row["id"])]
        found = reconcile.differences(trips, ids)
        click.echo(f"{row['reference']}\t{row['id']}\t{len(ids)} vehicles\t"
                   f"{found['boarded']} boarded\t{found['arrived']} arrived")  # fmt: skip


@convoy.command("sign")
@click.argument("ref")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def convoy_sign(obj, ref: str, out: Path) -> None:
    """Write convoy REF's count (id or reference), signed with this site's key, to OUT."""
    from fieldreg import statements

    database = obj.open()
    signed = statements.sign(database, _convoy_id(database, ref), "cli")
    out.write_text(json.dumps(signed, ensure_ascii=False, indent=1), encoding="utf-8")
    totals = signed["statement"]["totals"]
    click.echo(f"Signed {out}: {totals['boarded']} boarded, {totals['arrived']} arrived; "
               f"key fingerprint {signed['fingerprint']}.")  # fmt: skip


@convoy.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--key", help="The signer's public key or fingerprint, as they gave it to you.")
def convoy_verify(file: Path, key: str | None) -> None:
    """Check a signed convoy count: intact, and signed by the key it names (or --key)."""
    from fieldreg import statements

    checked = statements.verify(file.read_bytes(), key)
    click.echo(checked["message"])
    if checked["fingerprint"]:
        click.echo(f"Signer: station {checked['signer']}, key fingerprint {checked['fingerprint']}")
    if checked["valid"]:
        totals = checked["statement"]["totals"]
        click.echo(f"Convoy {checked['statement']['convoy']['reference']}: "
                   f"{totals['boarded']} boarded, {totals['arrived']} arrived.")  # fmt: skip
    sys.exit(0 if checked["valid"] else 1)
