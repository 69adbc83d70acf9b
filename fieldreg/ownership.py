"""Hand a record over to another station (HQ only), under the sync authority rule.

A record belongs to the station that created it: only that station and HQ may correct or
erase it (sync/authority.py). People move: a family registered at one gathering point is
re-registered, or cared for, at another. HQ then hands the household (with its members) or
one person over, and the new station owns it from then on. The handover is a row of
``record_owners`` (written by HQ alone, synced like any record), and HQ writes the record's
current fields again, so the new owner, which held only what search needs, receives it whole.
Facts recorded before (triage, movements) stay at HQ and at the stations that own them.
"""

from __future__ import annotations

from sqlite_utils import Database

from fieldreg import audit, codes, tags
from fieldreg.db import write
from fieldreg.errors import Conflict, DomainError, Forbidden, NotFound
from sync import authority, changelog, client, tables


def _targets(db: Database, code: str) -> list[tuple[str, str]]:
    """Return ``(table, id)`` of the household with this code and its members, or the person."""
    household = db.execute(
        "select id from households where code = ? and deleted = 0", [code]
    ).fetchone()
    if household:
        members = db.execute(
            "select id from people where household_id = ? and deleted = 0 order by position",
            [household[0]],
        ).fetchall()
        return [("households", household[0]), *(("people", m[0]) for m in members)]
    person = db.execute("select id from people where code = ? and deleted = 0", [code]).fetchone()
    if person:
        return [("people", person[0])]
    raise NotFound("No household or person has this code.")


def claim_id(db: Database, tbl: str, record_id: str) -> bool:
    """Tell whether a client-made id names this site's own record of ``tbl`` (a retry).

    Refuse (409 ``duplicate_id``) an id another table already holds, or a record of ``tbl``
    another station owns: a client that chose an id never adopts someone else's record.
    """
    other = authority.other_table(db, tbl, record_id)
    owner = authority.owner_of(db, tbl, record_id)
    if other is None and owner in (None, changelog.site_of(db)):
        return owner is not None
    held = other or f"{tbl} of station {owner}"
    raise Conflict(f"This id already names a record ({held}).", {"id": ["Already used."]},
                   code="duplicate_id")  # fmt: skip


def _check_station(db: Database, station: str) -> str:
    """Return the station code if HQ knows it (or it is HQ's own), else refuse."""
    station = (station or "").strip().upper()
    if station == changelog.site_of(db):
        return station
    if not db.execute("select 1 from sync_stations where code = ?", [station]).fetchone():
        raise DomainError(f"No station {station} is registered here.", {"station": ["Unknown."]})
    return station


def hand_over(db: Database, code: str, station: str, actor: str | None) -> dict:
    """Make ``station`` the owner of a household (and its members) or of a person."""
    if client.credential(db):
        raise Forbidden("Only HQ hands records over to another station.")
    code = codes.parse(code) or code
    with write(db):
        station = _check_station(db, station)
        targets = _targets(db, code)
        handed = []
        for tbl, record_id in targets:
            previous = authority.owner_of(db, tbl, record_id)
            if previous != station:
                _hand_one(db, tbl, record_id, station, previous, actor)
                handed.append(record_id)
    return {"code": code, "owner": station, "records": len(targets), "handed": len(handed)}


def _hand_one(db, tbl: str, record_id: str, station: str, previous: str | None, actor) -> None:
    """Record one handover, and write the record's fields again for its new owner."""
    held = db.execute("select tbl from record_owners where id = ?", [record_id]).fetchone()
    if held and held[0] != tbl:  # one row per id: never hand over a record of another table
        raise Conflict(
            f"The id of {tbl} {record_id} also names a record of {held[0]} handed over before.",
            code="duplicate_id",
        )
    row = {
        "id": record_id,
        "tbl": tbl,
        "owner": station,
        "previous": previous,
        "at": tags.now(),
        "actor": actor,
    }
    db.execute(
        "insert into record_owners (id, tbl, owner, previous, at, actor) "
        "values (:id, :tbl, :owner, :previous, :at, :actor) on conflict(id) do update set "
        "owner = excluded.owner, previous = excluded.previous, at = excluded.at, "
        "actor = excluded.actor",
        row,
    )
    changelog.record(db, authority.OWNERS, record_id, "upsert", row)
    fields = {k: v for k, v in tables.snapshot(db, tbl, record_id).items() if k != "id"}
    changelog.record(db, tbl, record_id, "upsert", fields)
    audit.log(db, actor, "hand_over", tbl, record_id, f"{previous} -> {station}")
