"""Who may write what: the authority rule HQ enforces on every change a station sends.

```
 a change from station S                     HQ takes it when
 ───────────────────────                     ────────────────
 append: a fact in time (triage, movement)   the fact's id is new, or S recorded it
 a new fact or record acting on records      also: S owns one of the records it names
 (a decision closes cases; a case's photo)   (``concerns``)
 upsert creating a record                    always: the creating site owns the record
                                             (a record or fact S creates names S as its
                                             ``station``, if it has one), unless its id
                                             already names a record of another table
 upsert of an existing record                S owns the record; a non-owner may set only
                                             the columns that follow facts (a person's
                                             presence follows movements, and its time),
                                             to values they may hold
 delete: erase a record                      S owns the record
 delete: erase a fact                        S recorded it, or S owns what it is about
 anything in an hq_only table                never (ownership, deduplication decisions)
```
The owner of a record is the station HQ handed it to (a row of ``record_owners`` for that
table and id, written by HQ only and synced like any record), else the site whose change
created it (the first change about it, in that table, in the log): ownership belongs to
(table, id), never to an id alone. HQ itself may write everything. A station applies the
same rule to its own writes before they are recorded (:func:`guard_local`), so an honest
station never makes a change HQ would refuse; HQ refuses a batch holding one (nothing of it
applied).
"""

from __future__ import annotations

import json
from typing import Any

from sync import store, tables

OWNERS = "record_owners"
Write = tuple[str, str, str, dict]  # (table, record id, op, data): a change's what, not its who


class NotOwner(ValueError):
    """A write of a record (or fact) that belongs to another station; nothing was applied.

    ``seq`` is the sending station's number of the change refused (None for a local write),
    so that the station can show it and an admin can set it aside (sync.repair).
    """

    def __init__(self, message: str, seq: int | None = None):
        super().__init__(message)
        self.seq = seq


def owner_of(db: Any, tbl: str, record_id: str) -> str | None:
    """Return the site that owns a record or fact here, or None if it is not known here."""
    # Ownership is a property of (table, id): a record of another table that happens to share
    # the id (a vehicle whose client-made id names a handed-over person) owns nothing here.
    row = db.execute(
        "select owner from record_owners where id = ? and tbl = ?", [record_id, tbl]
    ).fetchone()
    if row is not None:
        return row[0]
    row = db.execute(
        "select site from changes where tbl = ? and record_id = ? order by recv limit 1",
        [tbl, record_id],
    ).fetchone()
    return row[0] if row else None


def senders(db: Any, tbl: str, record_ids: list[str]) -> dict[str, str]:
    """Return, by id, the site whose change first wrote each record or fact here.

    At HQ this is proven: HQ takes a station's change only under that station's own
    credential and signature, stamped with its code. What the change says of its author
    (an ``actor``, a ``found_by``) is that station's word only.
    """
    found: dict[str, str] = {}
    ids = list(dict.fromkeys(i for i in record_ids if i))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = db.execute(
            "select record_id, site from changes where tbl = ? and record_id in "
            f"({','.join('?' * len(chunk))}) order by recv desc",
            [tbl, *chunk],
        ).fetchall()
        found.update(dict(rows))  # the earliest (last in this order) wins
    return found


def other_table(db: Any, tbl: str, record_id: str) -> str | None:
    """Return another synced record table that holds a record with this id (None: none does).

    An id names one record here, whatever its table: a client may choose the ids it creates
    (idempotent retries), so a new record whose id another table already holds is refused.
    """
    rows = db.execute(
        "select tbl from sync_meta where record_id = ? and tbl != ?", [record_id, tbl]
    ).fetchall()
    for (other,) in rows:
        if other in tables.SYNCED and tables.SYNCED[other].kind == "record":
            return other
    return None


def _subject_owner(db: Any, entry: tables.Synced, record_id: str) -> str | None:
    """Return the owner of the record a fact is about (its ``about`` column), if known."""
    if entry.about is None:
        return None
    table, column = entry.about
    row = db.execute(f"select [{column}] from [{entry.name}] where id = ?", [record_id]).fetchone()
    return owner_of(db, table, row[0]) if row and row[0] else None


def _owns_one(db: Any, site: str, entry: tables.Synced, data: dict, made: dict | None) -> bool:
    """Tell whether a fact names at least one record ``site`` owns (its ``concerns``)."""
    for column, *names in entry.concerns:
        record_id = data.get(column)
        for tbl in names if isinstance(record_id, str) else ():
            owner = (made or {}).get((tbl, record_id)) or owner_of(db, tbl, record_id)
            if owner == site:
                return True
    return False


def _odd_value(entry: tables.Synced, data: dict) -> str | None:
    """Say which value of an open column another station may not set (None: all may be)."""
    allowed = dict(entry.open_values)
    for column, value in data.items():
        if column in allowed and value not in allowed[column]:
            return f"{column} cannot be {str(value)[:40]!r}"
        if not isinstance(value, str | None):
            return f"{column} takes text"
    return None


def refusal(db: Any, site: str, write: Write, made: dict | None = None) -> str | None:
    """Return why ``site`` may not make ``write`` (None when it may).

    ``made`` maps the records created earlier in the same batch to their creator.
    """
    tbl, record_id, op, data = write
    entry = tables.get(tbl)
    what = f"{op} of {tbl} {record_id}"
    if entry.hq_only:
        return f"{what}: only HQ writes {tbl}"
    key = (tbl, record_id)
    owner = (made or {}).get(key) or owner_of(db, tbl, record_id)
    if owner is None and entry.concerns and not _owns_one(db, site, entry, data, made):
        return f"{what}: it names no record of {site}"
    if owner is None and op != "delete" and data.get("station", site) != site:
        return f"{what}: it names {data['station']} as its station"
    if owner is None and op == "upsert" and (other := other_table(db, tbl, record_id)):
        return f"{what}: its id already names a record of {other}"
    if owner is None or owner == site:
        if made is not None and owner is None:
            made[key] = site
        return None
    if op == "upsert" and set(data) <= entry.open_columns:
        bad = _odd_value(entry, data)  # a presence status that follows a fact it recorded
        return f"{what}: {bad}" if bad else None
    if op == "delete" and entry.kind == "append":
        if _subject_owner(db, entry, record_id) == site:
            return None  # the owner of a person erases every fact about them
    return f"{what}: the record belongs to {owner}"


def check_batch(db: Any, sender: str, changes: list, head: int) -> None:
    """Refuse (NotOwner) a station's batch of changes holding any it may not make.

    Changes numbered at or below ``head`` (already applied here) are repeats and pass.
    """
    made: dict[tuple[str, str], str] = {}
    first_table: dict[str, str] = {}  # record id -> the table the batch first upserts it in
    for change in changes:
        if change.seq <= head:
            continue
        write = (change.tbl, change.record_id, change.op, change.data)
        why = refusal(db, sender, write, made)
        if not why and change.op == "upsert":
            first = first_table.setdefault(change.record_id, change.tbl)
            if first != change.tbl:
                why = f"upsert of {change.tbl} {change.record_id}: its id names a {first} record"
        if why:
            raise NotOwner(f"station {sender} cannot write this: {why}", change.seq)


def hq_of(db: Any) -> str | None:
    """Return the HQ this site syncs with (None at HQ, or before the station joined)."""
    raw = store.setting(db, "sync_credential")
    return json.loads(raw).get("hq") if raw else None


def may_write(db: Any, tbl: str, record_id: str) -> bool:
    """Tell whether this site may edit or erase a record (HQ: always; a station: its own)."""
    if hq_of(db) is None:
        return True
    site = store.setting(db, "station_code")
    return refusal(db, site, (tbl, record_id, "delete", {})) is None


def guard_local(db: Any, site: str, writes: list[Write]) -> None:
    """Refuse, at a station, a local write HQ would refuse (HQ may write everything)."""
    if hq_of(db) is None:
        return
    for write in writes:
        entry = tables.get(write[0])
        # A fact is anyone's to add, except in HQ's tables or one naming others' records.
        if write[2] == "append" and not entry.concerns and not entry.hq_only:
            continue
        why = refusal(db, site, write)
        if why:
            raise NotOwner(f"This station cannot write this ({why}); HQ can hand it over.")
