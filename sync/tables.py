"""Which tables sync, and how: the one allow-list that apply and the canonical dump read.

A ``record`` table merges per field (ops ``upsert`` and ``delete``); an ``append`` table
holds facts in time, inserted once and never changed (op ``append``). Other parts of the
program add their tables with :func:`register`, called from their own ``register()``.

Per table: ``local`` columns are this site's bookkeeping and never travel; ``quiet`` columns
travel and merge like any other (the later version wins) but are bookkeeping, never a
conflict for a person to review (``updated_at``: two edits of different fields both set it);
``hq_only`` tables are written by HQ alone (a station's change to one is refused at HQ);
``open_columns`` of a record may be set by any station holding it, not only its owner (they
follow facts: a person's presence follows the movements any station records), to text (or
null), and to one of its ``open_values`` where the column has them; ``about``
names the record a fact is about, ``(table, column)``: the owner of a person may erase the
facts about them (sync.authority); ``shared`` columns are all HQ sends of it to a station
that does not own it (``("*",)``: all of it; nothing by default; sync.need_to_know);
``concerns`` names, for a fact or record that acts on others (a tracing decision closes two
cases; a photo belongs to a case), ``(column, table, ...)``: the records it names, of which
the station that creates it must own at least one.
An append table with an ``hlc`` column gets there the clock of the change that recorded the
fact, on every site (what orders facts: never a time a client sent).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KINDS = ("record", "append")


Route = Callable[[Any, str, str, dict, str], bool]


@dataclass(frozen=True)
class Synced:
    """How one table syncs; ``local`` columns are this site's bookkeeping and never travel."""

    name: str
    kind: str
    local: frozenset[str] = field(default_factory=frozenset)
    quiet: frozenset[str] = field(default_factory=frozenset)
    hq_only: bool = False
    open_columns: frozenset[str] = field(default_factory=frozenset)
    about: tuple[str, str] | None = None
    shared: frozenset[str] = field(default_factory=frozenset)
    # route(db, table, record_id, data, station) -> True: the station needs the row whole
    # although it does not own it (e.g. a tracing match found across two stations).
    route: Route | None = None
    # ((column, table, ...), ...): a station's fact must name a record it owns (authority).
    concerns: tuple[tuple[str, ...], ...] = ()
    # ((column, (value, ...)), ...): what another station may set an open column to.
    open_values: tuple[tuple[str, tuple[str, ...]], ...] = ()


SYNCED: dict[str, Synced] = {}
BOOKKEEPING = ("created_at", "updated_at")


def register(
    name: str,
    kind: str,
    local: tuple[str, ...] = (),
    quiet: tuple[str, ...] = (),
    hq_only: bool = False,
    open_columns: tuple[str, ...] = (),
    about: tuple[str, str] | None = None,
    shared: tuple[str, ...] = (),
    route: Route | None = None,
    concerns: tuple[tuple[str, ...], ...] = (),
    open_values: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> None:
    """Declare a synced table (idempotent; a second call may only repeat the first)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    entry = Synced(
        name,
        kind,
        frozenset(local),
        frozenset(quiet),
        hq_only,
        frozenset(open_columns),
        about,
        frozenset(shared),
        route,
        tuple(concerns),
        tuple(open_values),
    )
    if SYNCED.get(name, entry) != entry:
        raise ValueError(f"table {name!r} is already registered differently")
    SYNCED[name] = entry


# Present, departed, transferred: follows the movements any station records (and the time
# of that change); the only columns of another station's record a station may set.
PRESENCE = ("status", "updated_at")
# What a presence status may be (fieldreg.schemas.medical.STATUSES; sync imports no fieldreg).
PRESENCE_VALUES = (("status", ("present", "departed", "transferred")),)
ALL = ("*",)
# What search and the duplicate warning need of another station's records (need to know).
PEOPLE_SHARED = (
    *("id", "code", "household_id", "position", "status", "deleted", *BOOKKEEPING),
    *("given_name", "father_name", "mother_name", "family_name"),
    *("sex", "age_years", "age_estimated", "date_of_birth"),
)
HOUSEHOLDS_SHARED = ("id", "code", "station", "status", "deleted", *BOOKKEEPING)
register(
    "households",
    "record",
    local=("client_hash", "phone_norm"),
    quiet=BOOKKEEPING,
    open_columns=PRESENCE,
    shared=HOUSEHOLDS_SHARED,
    open_values=PRESENCE_VALUES,
)
register("people", "record", quiet=BOOKKEEPING, open_columns=PRESENCE, shared=PEOPLE_SHARED,
         open_values=PRESENCE_VALUES)  # fmt: skip
register("record_owners", "record", hq_only=True, shared=ALL)


def get(name: str) -> Synced:
    """Return a synced table's entry, or raise KeyError for a table that does not sync."""
    return SYNCED[name]


def is_quiet(name: str, column: str) -> bool:
    """Tell whether a column is bookkeeping: merged, never reported as a conflict."""
    entry = SYNCED.get(name)
    return entry is not None and column in entry.quiet


def columns(db: Any, name: str) -> dict[str, dict]:
    """Return the table's columns (PRAGMA table_info rows) by name."""
    rows = db.execute(f"pragma table_info([{name}])").fetchall()
    return {r[1]: {"notnull": bool(r[3]), "default": r[4], "pk": bool(r[5])} for r in rows}


View = Callable[[str, dict[str, Any]], dict[str, Any] | None]


def canonical_hash(db: Any, view: View | None = None) -> str:
    """Hash a sorted dump of every synced table present here, without local columns.

    ``view(table, row)`` may change a row or leave it out (None) first: what another site
    should hold of this one's data (sync.need_to_know.station_view).
    """
    digest = hashlib.sha256()
    for name in sorted(SYNCED):
        cols = [c for c in columns(db, name) if c not in SYNCED[name].local]
        if not cols:
            continue
        select = ", ".join(f"[{c}]" for c in cols)
        for values in db.execute(f"select {select} from [{name}] order by id").fetchall():
            row = dict(zip(cols, values, strict=True))
            if view is not None and (row := view(name, row)) is None:
                continue
            digest.update(json.dumps([name, *row.values()], default=str).encode())
    return digest.hexdigest()


def snapshot(db: Any, name: str, record_id: str) -> dict[str, Any]:
    """Return a row's shared columns as they stand (empty if the row is not here)."""
    cur = db.execute(f"select * from [{name}] where id = ?", [record_id])
    row = cur.fetchone()
    if row is None:
        return {}
    local = SYNCED[name].local if name in SYNCED else frozenset()
    return {d[0]: v for d, v in zip(cur.description, row, strict=True) if d[0] not in local}


def tombstone_row(db: Any, name: str, record_id: str, data: dict[str, Any]) -> None:
    """Set a row to its tombstone: ``data``'s values, defaults elsewhere, ``deleted`` = 1.

    A fact in an ``append`` table has no tombstone row: erasing it removes it (the field
    versions table remembers the deletion, so a late copy is not inserted again).
    """
    if name in SYNCED and SYNCED[name].kind == "append":
        db.execute(f"delete from [{name}] where id = ?", [record_id])
        return
    sets, params = [], []
    for column, info in columns(db, name).items():
        if info["pk"] or column == "id":
            continue
        if column == "deleted":
            sets.append("[deleted] = 1")
        elif column in data:
            sets.append(f"[{column}] = ?")
            params.append(data[column])
        elif info["default"] is not None:
            sets.append(f"[{column}] = {info['default']}")
        elif not info["notnull"]:
            sets.append(f"[{column}] = null")
    if sets:
        db.execute(f"update [{name}] set {', '.join(sets)} where id = ?", [*params, record_id])
