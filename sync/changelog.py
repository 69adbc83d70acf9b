"""The change log: every write on a site, recorded in the same transaction as the write.

Each entry is ``(site, seq, hlc, tbl, record_id, op, data)``: ``seq`` counts this site's
writes without gaps, ``hlc`` orders writes across sites, ``op`` is ``upsert`` (the fields
in ``data`` were set), ``append`` (a fact in time, such as a triage entry) or ``delete``
(a tombstone). Sync ships these entries; nothing else about a record needs to travel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sync import hlc

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


def _setting(db: Any, key: str) -> str | None:
    rows = list(db.query("select value from settings where key = ?", [key]))
    return rows[0]["value"] if rows else None


def site_of(db: Any) -> str:
    """Return this site's id (its station code)."""
    site = _setting(db, "station_code")
    if not site:
        raise RuntimeError("the site has no station code yet")
    return site


def next_timestamp(db: Any) -> hlc.Timestamp:
    """Advance this site's persisted clock for a local event and return the reading."""
    raw = _setting(db, "hlc")
    now = hlc.tick(hlc.Timestamp.parse(raw) if raw else hlc.ZERO)
    _store_clock(db, now)
    return now


def _store_clock(db: Any, stamp: hlc.Timestamp) -> None:
    db.execute(
        "insert into settings (key, value) values ('hlc', ?) "
        "on conflict(key) do update set value = excluded.value",
        [str(stamp)],
    )


def record(db: Any, tbl: str, record_id: str, op: str, data: dict[str, Any]) -> Change:
    """Append a local write to the change log; call inside the write's transaction."""
    return record_many(db, [(tbl, record_id, op, data)])[0]


def record_many(db: Any, entries: list[tuple[str, str, str, dict[str, Any]]]) -> list[Change]:
    """Append several local writes ``(tbl, record_id, op, data)`` in order, in one go."""
    for _tbl, _id, op, _data in entries:
        if op not in OPS:
            raise ValueError(f"unknown op {op!r}")
    site = site_of(db)
    row = list(db.query("select coalesce(max(seq), 0) as seq from changes where site = ?", [site]))
    raw = _setting(db, "hlc")
    stamp = hlc.Timestamp.parse(raw) if raw else hlc.ZERO
    made = []
    for offset, (tbl, record_id, op, data) in enumerate(entries, start=1):
        stamp = hlc.tick(stamp)
        made.append(Change(site, row[0]["seq"] + offset, str(stamp), tbl, record_id, op, data))
    db.conn.executemany(
        "insert into changes (site, seq, hlc, tbl, record_id, op, data) values (?,?,?,?,?,?,?)",
        [
            (
                c.site,
                c.seq,
                c.hlc,
                c.tbl,
                c.record_id,
                c.op,
                json.dumps(c.data, ensure_ascii=False, sort_keys=True, default=str),
            )
            for c in made
        ],
    )
    _store_clock(db, stamp)
    return made


def changes_since(db: Any, site: str, after_seq: int, limit: int = 1000) -> list[Change]:
    """Return the site's changes with ``seq`` above ``after_seq``, in order."""
    rows = db.query(
        "select * from changes where site = ? and seq > ? order by seq limit ?",
        [site, after_seq, limit],
    )
    return [
        Change(
            r["site"], r["seq"], r["hlc"], r["tbl"], r["record_id"], r["op"], json.loads(r["data"])
        )
        for r in rows
    ]
