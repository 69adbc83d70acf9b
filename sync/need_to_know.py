"""What HQ sends a station: everything about what it owns, little about anyone else.

```
 a change HQ holds, about ...            the station pulling it receives
 ────────────────────────────            ───────────────────────────────
 a record the station owns               the change as it is
 a fact about a person it owns           the change as it is
 another station's record                only the table's ``shared`` columns: for people
                                         names, sex, age, codes, status, household (what
                                         search and the duplicate warning need); for a
                                         household its code, station and status; never a
                                         phone, a note, an origin or a destination
 a fact about another station's person   nothing: the change with empty content (triage
                                         notes, conditions, referrals, movements)
 a table shared whole (``"*"``)          the change as it is (HQ's decisions: ownership,
                                         deduplication links; no personal data)
 a row the table's ``route`` sends to it  the change as it is (a tracing match found across
                                         stations goes whole to both, with its cases)
```
A change is never left out, only emptied: a station applies each site's changes in
gapless order, so every ``(site, seq)`` must arrive. An emptied change of a fact inserts
nothing (its required columns are missing). Ownership is HQ's current view
(sync.authority.owner_of): a record handed over to a station comes to it whole from then on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from sync import authority, tables
from sync.changelog import Change

ALL = "*"


def _owner(db: Any, cache: dict, tbl: str, record_id: str | None) -> str | None:
    """Return a record's owner, asking the database once per record."""
    if not record_id:
        return None
    key = (tbl, record_id)
    if key not in cache:
        cache[key] = authority.owner_of(db, tbl, record_id)
    return cache[key]


def redactor(db: Any, station: str) -> Callable[[Change], Change]:
    """Return the function that cuts a change down to what ``station`` needs to know."""
    cache: dict[tuple[str, str], str | None] = {}

    def redact(change: Change) -> Change:
        """Return the change whole if it is about the station's own, else cut down."""
        entry = tables.get(change.tbl)
        if ALL in entry.shared:
            return change
        if entry.route is not None and entry.route(
            db, change.tbl, change.record_id, change.data, station
        ):
            return change
        if entry.kind == "record":
            mine = _owner(db, cache, change.tbl, change.record_id) == station
        elif entry.about is not None:
            table, column = entry.about
            mine = _owner(db, cache, table, change.data.get(column)) == station
        else:
            mine = False
        return change if mine else cut(change, entry.shared)

    return redact


def cut(change: Change, keep: frozenset[str]) -> Change:
    """Return the change holding only the ``keep`` columns (of its data and its ``prev``)."""
    data = {k: v for k, v in change.data.items() if k in keep}
    prev = {k: v for k, v in (change.prev or {}).items() if k in keep} or None
    return dataclasses.replace(change, data=data, prev=prev)


def station_view(db: Any, station: str) -> tables.View:
    """Return what ``station`` should hold of a row here (for tables.canonical_hash)."""
    cache: dict[tuple[str, str], str | None] = {}
    defaults: dict[str, dict[str, Any]] = {}

    def view(name: str, row: dict[str, Any]) -> dict[str, Any] | None:
        """Return the row as the station holds it, or None if it holds none of it."""
        entry = tables.get(name)
        if ALL in entry.shared:
            return row
        if entry.route is not None and entry.route(db, name, row["id"], row, station):
            return row
        if entry.kind == "record":
            mine = _owner(db, cache, name, row["id"]) == station
        elif entry.about is not None:
            mine = _owner(db, cache, entry.about[0], row.get(entry.about[1])) == station
        else:
            mine = False
        if mine:
            return row
        if entry.kind == "append":
            return None  # an emptied fact inserts nothing
        if name not in defaults:
            defaults[name] = _defaults(db, name)
        return {k: v if k in entry.shared else defaults[name].get(k) for k, v in row.items()}

    return view


def _defaults(db: Any, name: str) -> dict[str, Any]:
    """Return each column's default value in a table (None where it has none)."""
    found = {}
    for column, info in tables.columns(db, name).items():
        default = info["default"]
        found[column] = db.execute(f"select {default}").fetchone()[0] if default else None
    return found
