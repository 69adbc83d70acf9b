"""The change log: every write on a site, recorded in the same transaction as the write.

Each entry is ``(site, seq, hlc, tbl, record_id, op, data)``: ``seq`` counts this site's
writes without gaps (a station restored from a backup skips the numbers of changes only HQ
holds, and goes on above everything HQ acknowledged: :func:`next_seq`), ``hlc`` orders
writes across sites, ``op`` is ``upsert`` (the fields in ``data`` were set), ``append`` (a
fact in time, such as a triage entry) or ``delete`` (a tombstone, carrying the row as the
deleter left it, ``deleted`` set to 1 here and everywhere). Sync ships these entries;
nothing else about a record needs to travel.

Two more columns serve sync: ``recv`` numbers entries in the order this site stored them
(its own and received ones alike: what a pull pages through), and ``prev`` holds, for an
upsert, the versions of the fields it overwrote (so a receiver can tell a sequential
correction from a concurrent edit). A version is ``"<hlc>@<site>"``; ``sync_meta`` keeps
the current version of every field of every synced record, and its tombstone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sync import authority, hlc, tables
from sync.store import put_setting, setting

OPS = ("upsert", "append", "delete")


@dataclass(frozen=True)
class Change:
    """One entry of the change log."""

    site: str
    seq: int
    hlc: str
    tbl: str
    record_id: str
    op: str
    data: dict[str, Any]
    prev: dict[str, str] | None = None

    @property
    def version(self) -> str:
        """Return this change's version, ``"<hlc>@<site>"``."""
        return f"{self.hlc}@{self.site}"


def site_of(db: Any) -> str:
    """Return this site's id (its station code)."""
    site = setting(db, "station_code")
    if not site:
        raise RuntimeError("the site has no station code yet")
    return site


def next_timestamp(db: Any) -> hlc.Timestamp:
    """Advance this site's persisted clock for a local event and return the reading."""
    raw = setting(db, "hlc")
    now = hlc.tick(hlc.Timestamp.parse(raw) if raw else hlc.ZERO)
    _store_clock(db, now)
    return now


def _store_clock(db: Any, stamp: hlc.Timestamp) -> None:
    put_setting(db, "hlc", str(stamp))


def version_key(version: str) -> tuple[hlc.Timestamp, str]:
    """Return the sort key of a version: (clock, site), higher wins, compared as clocks.

    A reading that is not a well-formed clock (stored before readings were checked) sorts
    below every real one, so it can never win against a later edit.
    """
    stamp, _, site = version.partition("@")  # pragma: no mutate (one "@": rpartition alike)
    try:
        return hlc.Timestamp.parse(stamp), site
    except ValueError:
        return hlc.ZERO, site


def meta(db: Any, tbl: str, record_id: str) -> tuple[dict[str, str], str | None]:
    """Return a record's field versions and its tombstone version (or None)."""
    row = db.execute(
        "select versions, deleted from sync_meta where tbl = ? and record_id = ?", [tbl, record_id]
    ).fetchone()
    return (json.loads(row[0]), row[1]) if row else ({}, None)


def save_meta(
    db: Any, tbl: str, record_id: str, versions: dict[str, str], deleted: str | None
) -> None:
    """Store a record's field versions and tombstone."""
    db.conn.execute(
        "insert into sync_meta (tbl, record_id, versions, deleted) values (?,?,?,?) "
        "on conflict(tbl, record_id) do update set versions = excluded.versions, "
        "deleted = excluded.deleted",
        [tbl, record_id, json.dumps(versions, sort_keys=True), deleted],
    )


def next_recv(db: Any) -> int:
    """Return the next number in this site's storage order of changes."""
    return db.execute("select coalesce(max(recv), 0) + 1 from changes").fetchone()[0]


def store(db: Any, change: Change) -> None:
    """Write a change (local or received) into the log, numbered in storage order."""
    db.execute(
        "insert into changes (site, seq, hlc, tbl, record_id, op, data, prev, recv) "
        "values (?,?,?,?,?,?,?,?,?)",
        as_row(change, next_recv(db)),
    )


def record(db: Any, tbl: str, record_id: str, op: str, data: dict[str, Any]) -> Change:
    """Append a local write to the change log; call inside the write's transaction."""
    return record_many(db, [(tbl, record_id, op, data)])[0]


def record_many(
    db: Any, entries: list[tuple[str, str, str, dict[str, Any]]], fresh: bool = False
) -> list[Change]:
    """Append several local writes ``(tbl, record_id, op, data)`` in order, in one go.

    ``fresh`` says every upsert creates its record from plain column values (a registration):
    there are no field versions to read or overwrite, so they are inserted in one statement.
    """
    for _tbl, _id, op, _data in entries:
        if op not in OPS:
            raise ValueError(f"unknown op {op!r}")
    site = site_of(db)
    # New records belong to no one yet, so the guard would pass them all (a saving, not a rule:
    # make mutate cannot tell the guard skipped from the guard run).
    if not fresh:  # pragma: no mutate
        authority.guard_local(db, site, entries)
    seq = next_seq(db, site) - 1
    raw = setting(db, "hlc")
    stamp = hlc.Timestamp.parse(raw) if raw else hlc.ZERO
    made, new_meta = [], []
    for tbl, record_id, op, data in entries:
        stamp, seq = hlc.tick(stamp), seq + 1
        change = Change(site, seq, str(stamp), tbl, record_id, op, data)
        # A new row's columns are plain JSON values already; the quick path stores what _local
        # would for a new record, so make mutate cannot tell which of the two ran.
        if fresh and op == "upsert":  # pragma: no mutate
            versions = dict.fromkeys(sorted(change.data), change.version)
            new_meta.append((tbl, record_id, json.dumps(versions)))
            made.append(change)
        else:
            made.append(_local(db, change))
    if new_meta:
        db.conn.executemany(
            "insert into sync_meta (tbl, record_id, versions, deleted) values (?,?,?,null)",
            new_meta,
        )
    recv = next_recv(db)
    db.conn.executemany(INSERT, [as_row(c, recv + i) for i, c in enumerate(made)])
    _store_clock(db, stamp)
    return made


def next_seq(db: Any, site: str) -> int:
    """Return the number of this site's next change: above its own and above HQ's ack.

    After a restore from a backup, HQ may hold changes of this site numbered beyond the
    backup; once HQ acknowledged them (``sync_acked``), new changes go after them.
    """
    own = db.execute("select coalesce(max(seq), 0) from changes where site = ?", [site])
    acked = setting(db, "sync_acked")
    return max(own.fetchone()[0], int(acked or 0)) + 1


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """Return data as it reads back from JSON (dates become text)."""
    return json.loads(json.dumps(data, default=str))


def _local(db: Any, change: Change) -> Change:
    """Keep field versions and tombstones of a local write; return it as it is stored."""
    tbl, record_id, mine = change.tbl, change.record_id, change.version
    data = _plain(change.data)
    prev = None
    if change.op == "upsert":
        versions, deleted = meta(db, tbl, record_id)
        prev = {k: versions[k] for k in data if k in versions} or None
        versions.update(dict.fromkeys(data, mine))
        save_meta(db, tbl, record_id, versions, deleted)
    elif change.op == "delete":
        # A record's tombstone carries the row as the deleter leaves it, so every site ends
        # equal; an erased fact (append table) is simply gone and carries nothing of it.
        if tables.get(tbl).kind == "record":
            data = {**tables.snapshot(db, tbl, record_id), **data}
        tables.tombstone_row(db, tbl, record_id, data)
        versions, _deleted = meta(db, tbl, record_id)
        save_meta(db, tbl, record_id, versions, mine)
    return Change(change.site, change.seq, change.hlc, tbl, record_id, change.op, data, prev)


INSERT = (
    "insert into changes (site, seq, hlc, tbl, record_id, op, data, prev, recv) "
    "values (?,?,?,?,?,?,?,?,?)"
)


def as_row(change: Change, recv: int) -> tuple:
    """Return the ``changes`` row of a change stored at position ``recv``."""
    return (
        change.site,
        change.seq,
        change.hlc,
        change.tbl,
        change.record_id,
        change.op,
        json.dumps(change.data, ensure_ascii=False, sort_keys=True, default=str),
        json.dumps(change.prev, sort_keys=True) if change.prev else None,
        recv,
    )


def from_row(r: Any) -> Change:
    """Build a Change from a ``changes`` row (a mapping)."""
    prev = r.get("prev")
    return Change(
        r["site"],
        r["seq"],
        r["hlc"],
        r["tbl"],
        r["record_id"],
        r["op"],
        json.loads(r["data"]),
        json.loads(prev) if prev else None,
    )


def changes_since(db: Any, site: str, after_seq: int, limit: int = 1000) -> list[Change]:
    """Return the site's changes with ``seq`` above ``after_seq``, in order."""
    rows = db.query(
        "select * from changes where site = ? and seq > ? order by seq limit ?",
        [site, after_seq, limit],
    )
    return [from_row(r) for r in rows]


def stored_after(db: Any, recv: int, exclude_site: str, limit: int = 1000) -> list[tuple]:
    """Return ``(recv, change)`` pairs stored after ``recv``, except those of one site."""
    rows = db.query(
        "select * from changes where recv > ? and site != ? order by recv limit ?",
        [recv, exclude_site, limit],
    )
    return [(r["recv"], from_row(r)) for r in rows]
