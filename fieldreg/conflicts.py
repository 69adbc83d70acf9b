"""What sync shows people: the station's sync state, HQ's stations, and the conflicts table.

Resolving a conflict is a write like any other: choosing the losing value writes it again
(recorded in the change log, so it syncs and wins everywhere); keeping the current value
only closes the conflict here. Either is a decision about the record, so only a role that
may write that record may take it (``WRITE_PERMISSION``; checked by the page), and at a
station only for records it owns (sync.authority).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from sqlite_utils import Database

from fieldreg import audit, search_index
from fieldreg.db import write
from fieldreg.errors import Conflict, Forbidden, NotFound
from sync import changelog, client, store, tables


def status(db: Database) -> dict:
    """Return the station's sync state for the coordinator's panel."""
    cred = client.credential(db)
    return {
        "joined": bool(cred),
        "hq": cred["hq"] if cred else None,
        "hq_url": cred["hq_url"] if cred else None,
        "last_ok": store.setting(db, "sync_last_ok") or None,
        "last_error": store.setting(db, "sync_last_error") or None,
        "pending": client.pending(db) if cred else None,
        "acked": int(store.setting(db, "sync_acked", "0")),
        "open_conflicts": open_count(db),
    }


def stations(db: Database) -> list[dict]:
    """List HQ's stations with their last sync, path, records received and open conflicts."""
    rows = list(db.query("select * from sync_stations order by code"))
    counts = dict(
        db.execute(
            "select substr(kept_version, -3), count(*) from sync_conflicts "
            "where resolved_at is null group by 1"
        ).fetchall()
    )
    lost = dict(
        db.execute(
            "select substr(lost_version, -3), count(*) from sync_conflicts "
            "where resolved_at is null group by 1"
        ).fetchall()
    )
    for row in rows:
        row["conflicts"] = counts.get(row["code"], 0) + lost.get(row["code"], 0)
        row["held"] = db.execute(
            "select count(*) from sync_pending where site = ?", [row["code"]]
        ).fetchone()[0]
    return rows


# The permission (fieldreg.access.PERMISSIONS) a role needs to write each synced record table.
WRITE_PERMISSION = {
    "households": "household:update",
    "people": "household:update",
    "convoys": "convoys:manage",
    "vehicles": "convoys:manage",
    "tracing_cases": "tracing:decide",  # child protection edits and closes cases
}
# The permission a role needs to see a conflict's values at all: they are the record's own
# (a tracing case's account of a lost child is not for analysts; issue 13). A table not
# named here shows its conflicts to no role that is checked.
READ_PERMISSION = {
    "households": "household:read",
    "people": "person:read",
    "convoys": "convoys:read",
    "vehicles": "convoys:read",
    "record_owners": "sync:owners",
    **dict.fromkeys(("tracing_cases", "tracing_photos", "tracing_matches"), "tracing:read"),
}


def open_count(db: Database) -> int:
    """Count conflicts nobody has resolved yet."""
    return db.execute("select count(*) from sync_conflicts where resolved_at is null").fetchone()[0]


def open_conflicts(
    db: Database, limit: int = 200, may: Callable[[str], bool] | None = None
) -> list[dict]:
    """Return unresolved conflicts, oldest first, with values decoded (and ``may_resolve``);
    with ``may``, only those of records the caller may read."""
    readable = [t for t, needed in READ_PERMISSION.items() if may is None or may(needed)]
    where = "" if may is None else f" and tbl in ({', '.join('?' * len(readable))})"
    rows = list(
        db.query(
            f"select * from sync_conflicts where resolved_at is null{where} order by id limit ?",
            [*(readable if may is not None else []), limit],
        )
    )
    for row in rows:
        row["kept"] = _value(row["kept_value"])
        row["lost"] = _value(row["lost_value"])
        row["code"] = _code_of(db, row["tbl"], row["record_id"])
        needed = WRITE_PERMISSION.get(row["tbl"])
        row["may_resolve"] = needed is not None and (may is None or may(needed))
    return rows


def _value(text: str | None):
    return None if text is None else json.loads(text)


def _code_of(db: Database, tbl: str, record_id: str) -> str | None:
    if "code" not in tables.columns(db, tbl):
        return None
    row = db.execute(f"select code from [{tbl}] where id = ?", [record_id]).fetchone()
    return row[0] if row else None


def resolve(
    db: Database,
    conflict_id: int,
    choice: str,
    actor: str | None,
    may: Callable[[str], bool] | None = None,
) -> dict:
    """Close a conflict keeping the current value, or by writing the losing value back.

    ``may(permission)`` tells whether the caller's role holds a permission (the web layer's
    fieldreg.access): resolving needs the permission to write the conflict's record.
    """
    if choice not in ("kept", "lost"):
        raise Conflict("Choose the current value or the other one.")
    with write(db):
        rows = list(db.query("select * from sync_conflicts where id = ?", [conflict_id]))
        if not rows:
            raise NotFound("No such conflict.")
        row = rows[0]
        needed = WRITE_PERMISSION.get(row["tbl"])
        if may is not None and (needed is None or not may(needed)):
            raise Forbidden("Your role may not change this record, so it may not resolve this.")
        if row["resolved_at"]:
            raise Conflict("This conflict was already resolved.", code="conflict_resolved")
        if choice == "lost":
            _write_back(db, row)
        db.execute(
            "update sync_conflicts set resolved_at = ?, resolved_by = ?, resolution = ? "
            "where id = ?",
            [dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), actor, choice, conflict_id],
        )
        audit.log(db, actor, f"conflict_{choice}", row["tbl"], row["record_id"], row["field"])
    return row


def _write_back(db: Database, row: dict) -> None:
    """Write the losing value again as a new change, so it wins on every replica."""
    tbl, record_id, name = row["tbl"], row["record_id"], row["field"]
    if tables.get(tbl).kind != "record" or name not in tables.columns(db, tbl):
        raise Conflict("This value cannot be written back.")
    _versions, deleted = changelog.meta(db, tbl, record_id)
    if deleted:
        raise Conflict("The record was deleted; nothing to restore.")
    value = _value(row["lost_value"])
    db.execute(f"update [{tbl}] set [{name}] = ? where id = ?", [value, record_id])
    changelog.record(db, tbl, record_id, "upsert", {name: value})
    if tbl == "people":
        person = next(db.query("select * from people where id = ?", [record_id]))
        search_index.index_person(db, person)
