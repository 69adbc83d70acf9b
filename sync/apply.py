"""Apply changes received from another site: idempotent, gap-safe, the same result everywhere.

- ``(site, seq)`` is applied at most once: a change at or below the site's applied head is
  a duplicate; one beyond ``head + 1`` is held in ``sync_pending`` until the gap fills.
- ``record`` tables merge per field: the higher version ``(hlc, site)`` wins; when the two
  values differ and the winner did not overwrite the loser knowingly (its ``prev``), the
  loser is kept in ``sync_conflicts`` (never for bookkeeping columns, tables.is_quiet).
- A tombstone (``delete``) wins over every update, earlier or later: the row becomes what
  the delete carries (the deleter's row as it left it, see changelog.record), columns it
  does not carry return to their default, and ``deleted`` becomes 1.
- ``append`` tables insert a row once and never change it.
Columns are checked against the local table (unknown ones are kept in the log, not applied).
Call inside one write transaction: an error leaves nothing applied.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from typing import Any

from sync import changelog, hlc, store, tables
from sync.changelog import Change, version_key


class Refused(ValueError):
    """A batch that cannot be applied (unknown table, wrong op, bad clock); nothing changed."""


@dataclass
class Result:
    """What one application did."""

    applied: int = 0
    duplicates: int = 0
    held: int = 0
    conflicts: int = 0
    skipped: int = 0
    heads: dict[str, int] = field(default_factory=dict)
    touched: set[tuple[str, str]] = field(default_factory=set)
    created: dict[tuple[str, str], tuple[int, dict]] = field(default_factory=dict)
    _columns: dict[str, dict] = field(default_factory=dict, repr=False)
    _recv: int = 0

    def columns(self, db: Any, tbl: str) -> dict[str, dict]:
        """Return a table's columns, read once per application."""
        if tbl not in self._columns:
            self._columns[tbl] = tables.columns(db, tbl)
        return self._columns[tbl]


def applied_head(db: Any, site: str) -> int:
    """Return the highest seq of ``site`` applied here (all below it are applied too)."""
    return db.execute(
        "select coalesce(max(seq), 0) from changes where site = ?", [site]
    ).fetchone()[0]


def check(change: Change) -> None:
    """Refuse a change for a table that does not sync here or with the wrong op."""
    try:
        kind = tables.get(change.tbl).kind
    except KeyError:
        raise Refused(f"table {change.tbl!r} does not sync here") from None
    fits = ("append", "delete") if kind == "append" else ("upsert", "delete")
    if change.op not in fits or change.op not in changelog.OPS:
        raise Refused(f"op {change.op!r} does not fit table {change.tbl!r}")
    try:
        hlc.Timestamp.parse(change.hlc)
    except ValueError:
        raise Refused(f"bad clock reading {change.hlc!r}") from None
    if not isinstance(change.seq, int) or change.seq < 1 or not isinstance(change.data, dict):
        raise Refused("malformed change")
    if change.prev is not None and not isinstance(change.prev, dict):
        raise Refused("malformed change")


def apply_changes(db: Any, changes: list[Change], local_site: str) -> Result:
    """Apply a batch of received changes; call inside one write transaction."""
    for change in changes:
        check(change)
    result = Result()
    waiting: dict[str, bool] = {}
    # Received order is kept (HQ's storage order is causal); seq order is enforced per site.
    for change in changes:
        if change.site == local_site:
            result.duplicates += 1
            continue
        if change.site not in result.heads:
            result.heads[change.site] = applied_head(db, change.site)
        head = result.heads[change.site]
        if change.seq <= head:
            result.duplicates += 1
        elif change.seq == head + 1:
            _apply_one(db, change, result)
            result.heads[change.site] = change.seq
            if change.site not in waiting:
                waiting[change.site] = _has_pending(db, change.site)
            if waiting[change.site]:
                _drain(db, change.site, result)
        else:
            _hold(db, change)
            waiting[change.site] = True
    result.held = db.execute("select count(*) from sync_pending").fetchone()[0]
    _observe(db, changes)
    return result


def restore_own(db: Any, changes: list[Change]) -> Result:
    """Apply this site's own changes that only HQ still holds (after a restore), in order.

    Their (site, seq) numbers are free here, and each is applied as a received change
    would be: the same field versions and tombstones decide.
    """
    for change in changes:
        check(change)
    result = Result()
    for change in sorted(changes, key=lambda c: c.seq):
        taken = db.execute(
            "select 1 from changes where site = ? and seq = ?", [change.site, change.seq]
        ).fetchone()
        if taken:
            result.duplicates += 1
            continue
        _apply_one(db, change, result)
    return result


def _hold(db: Any, change: Change) -> None:
    db.execute(
        "insert or ignore into sync_pending (site, seq, hlc, tbl, record_id, op, data, prev) "
        "values (?,?,?,?,?,?,?,?)",
        # The changes row without its position (cut off, so any stand-in for it is alike).
        list(changelog.as_row(change, 0)[:8]),  # pragma: no mutate
    )


def _drain(db: Any, site: str, result: Result) -> None:
    """Apply held changes of ``site`` that now follow its head, and drop stale ones."""
    head = result.heads[site]
    while True:
        row = next(
            db.query("select * from sync_pending where site = ? and seq = ?", [site, head + 1]),
            None,
        )
        if row is None:
            break
        _apply_one(db, changelog.from_row(row), result)
        head += 1
    result.heads[site] = head
    db.execute("delete from sync_pending where site = ? and seq <= ?", [site, head])


def _has_pending(db: Any, site: str) -> bool:
    return (
        db.execute("select 1 from sync_pending where site = ? limit 1", [site]).fetchone()
        is not None
    )


def _observe(db: Any, changes: list[Change]) -> None:
    """Move this site's clock past every received timestamp."""
    if not changes:
        return
    latest = max(hlc.Timestamp.parse(c.hlc) for c in changes)
    raw = store.setting(db, "hlc")
    last = hlc.Timestamp.parse(raw) if raw else hlc.ZERO
    try:
        now = hlc.observe(last, latest)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    store.put_setting(db, "hlc", str(now))


def _apply_one(db: Any, change: Change, result: Result) -> None:
    result._recv = result._recv or changelog.next_recv(db)
    db.conn.execute(changelog.INSERT, changelog.as_row(change, result._recv))
    result._recv += 1
    result.applied += 1
    if change.op == "append":
        _append(db, change, result)
    elif change.op == "delete":
        _delete(db, change, result)
    else:
        _upsert(db, change, result)


def _append(db: Any, change: Change, result: Result) -> None:
    if changelog.meta(db, change.tbl, change.record_id)[1]:
        return  # erased: a late or repeated copy must not bring it back
    cols = result.columns(db, change.tbl)
    row = {k: v for k, v in change.data.items() if k in cols}
    row["id"] = change.record_id
    if "hlc" in cols:  # the clock the recording station stamped, never one the data claims
        row["hlc"] = change.hlc
    names = ", ".join(f"[{k}]" for k in row)
    marks = ", ".join("?" for _ in row)
    db.execute(
        f"insert or ignore into [{change.tbl}] ({names}) values ({marks})", list(row.values())
    )
    result.touched.add((change.tbl, change.record_id))


def _upsert(db: Any, change: Change, result: Result) -> None:
    versions, deleted = changelog.meta(db, change.tbl, change.record_id)
    if deleted:
        return  # a tombstone is final: a late update cannot bring the record back
    cols = result.columns(db, change.tbl)
    if not versions and _create(db, change, cols, result):
        return
    current = current_row(db, change.tbl, change.record_id)
    mine, prev = change.version, change.prev or {}
    quiet = functools.partial(tables.is_quiet, change.tbl)
    wins: dict[str, Any] = {}
    for name, value in change.data.items():
        if name not in cols or name == "id":
            continue
        held = versions.get(name)
        old = current.get(name) if current else None
        if held is None or version_key(mine) > version_key(held):
            wins[name], versions[name] = value, mine
            if held is not None and current is not None:
                _settle(db, change, name, value, old, held, prev.get(name) == held, result)
        elif current is not None and old != value and held != mine and not quiet(name):
            _conflict(db, change.tbl, change.record_id, name, (old, held), (value, mine))
            result.conflicts += 1
    if wins:
        _write_row(db, change, current, wins, result)
    changelog.save_meta(db, change.tbl, change.record_id, versions, None)


@functools.lru_cache(maxsize=256)
def _insert_sql(tbl: str, names: tuple[str, ...]) -> str:
    """Return the INSERT statement for these columns (the same few shapes repeat)."""
    marks = ", ".join("?" for _ in names)
    return f"insert into [{tbl}] ({', '.join(f'[{n}]' for n in names)}) values ({marks})"


def _create(db: Any, change: Change, cols: dict, result: Result) -> bool:
    """Insert a record seen for the first time; False if a row is there already."""
    row = {k: v for k, v in change.data.items() if k in cols}
    row["id"] = change.record_id
    try:
        cursor = db.conn.execute(_insert_sql(change.tbl, tuple(row)), list(row.values()))
    except db.conn.IntegrityError:  # the driver's own class (sqlite3 or sqlcipher3)
        return False  # a row made before sync kept versions, or an incomplete record
    versions = dict.fromkeys((k for k in row if k != "id"), change.version)
    changelog.save_meta(db, change.tbl, change.record_id, versions, None)
    result.touched.add((change.tbl, change.record_id))
    result.created[(change.tbl, change.record_id)] = (cursor.lastrowid, row)
    return True


def current_row(db: Any, tbl: str, record_id: str) -> dict | None:
    """Return a row of a synced table by id, as a dict (None if absent)."""
    cursor = db.conn.execute(f"select * from [{tbl}] where id = ?", [record_id])
    row = cursor.fetchone()
    if row is None:
        return None
    names = [d[0] for d in cursor.description]
    # One name per value always: make mutate's strict=False / None / dropped changes nothing.
    return dict(zip(names, row, strict=True))  # pragma: no mutate


def _settle(db, change, name, value, old, held, knew, result) -> None:
    """Record the value a winning write replaced, unless it replaced it knowingly."""
    if knew:
        db.execute(
            "update sync_conflicts set resolved_at = ?, resolution = 'superseded' "
            "where tbl = ? and record_id = ? and field = ? and resolved_at is null",
            [_now(), change.tbl, change.record_id, name],
        )
    elif old != value and not tables.is_quiet(change.tbl, name):
        _conflict(db, change.tbl, change.record_id, name, (value, change.version), (old, held))
        result.conflicts += 1


def _write_row(db: Any, change: Change, current: dict | None, wins: dict, result: Result) -> None:
    if current is None:
        row = {"id": change.record_id, **wins}
        names = ", ".join(f"[{k}]" for k in row)
        marks = ", ".join("?" for _ in row)
        try:
            sql = f"insert into [{change.tbl}] ({names}) values ({marks})"
            db.conn.execute(sql, list(row.values()))
        except db.conn.IntegrityError:
            result.skipped += 1  # an update whose record never arrived (e.g. redacted)
            return
    else:
        sets = ", ".join(f"[{k}] = ?" for k in wins)
        try:
            db.conn.execute(
                f"update [{change.tbl}] set {sets} where id = ?", [*wins.values(), change.record_id]
            )
        except db.conn.IntegrityError:  # e.g. a null where the record needs a value
            raise Refused(f"{change.tbl} {change.record_id}: a value it cannot hold") from None
    result.touched.add((change.tbl, change.record_id))


def _delete(db: Any, change: Change, result: Result) -> None:
    versions, deleted = changelog.meta(db, change.tbl, change.record_id)
    if deleted and version_key(deleted) >= version_key(change.version):
        return
    changelog.save_meta(db, change.tbl, change.record_id, versions, change.version)
    tables.tombstone_row(db, change.tbl, change.record_id, change.data)
    result.touched.add((change.tbl, change.record_id))


def _conflict(db: Any, tbl: str, record_id: str, name: str, kept: tuple, lost: tuple) -> None:
    db.execute(
        "insert into sync_conflicts (tbl, record_id, field, kept_value, kept_version, "
        "lost_value, lost_version, at) values (?,?,?,?,?,?,?,?)",
        [tbl, record_id, name, _text(kept[0]), kept[1], _text(lost[0]), lost[1], _now()],
    )


def _text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


transaction = store.transaction  # where callers of apply have always found it
