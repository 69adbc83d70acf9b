"""The audit log: who saw or changed what, when, from which address. Append-only by design:
this module has no update or delete path, and nothing else writes the table.

``address`` is the connection's own address (what the server saw); ``device`` is only the
label a tablet sends (``X-Device-Id``): any client can send any label, so it never stands in
for the address.
"""

from __future__ import annotations

import contextvars
import datetime as dt

from sqlite_utils import Database

from fieldreg import committer

# Set by the web layer for each request, so domain operations need not know about HTTP.
current_device: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_device", default=None
)
current_address: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_address", default=None
)


def log(
    db: Database,
    actor: str | None,
    action: str,
    tbl: str | None = None,
    record_id: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one entry to the audit log."""
    db.execute(
        "insert into audit (at, actor, action, tbl, record_id, address, device, detail) "
        "values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            actor,
            action,
            tbl,
            record_id,
            current_address.get(),
            current_device.get(),
            detail,
        ],
    )


def entries(db: Database, limit: int = 200, **filters) -> list[dict]:
    """Return the latest audit entries, newest first, filtered by column values and a period."""
    allowed = {"actor", "action", "tbl", "record_id", "address", "device"}
    clauses = [f"{k} = ?" for k in filters if k in allowed and filters[k]]
    params = [filters[k] for k in filters if k in allowed and filters[k]]
    for key, op in (("since", ">="), ("until", "<")):
        if filters.get(key):
            clauses.append(f"at {op} ?")
            params.append(_stamp(filters[key]))
    where = ("where " + " and ".join(clauses)) if clauses else ""
    return list(db.query(f"select * from audit {where} order by id desc limit ?", [*params, limit]))


def _stamp(value) -> str:
    """Turn a datetime (naive means UTC) or ISO text into the stored form, for comparing."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC).isoformat(timespec="milliseconds")
    except OverflowError:  # 9999-12-31 at -14:00 is in year 10000 in UTC: beyond every entry
        return (dt.datetime.max if value.year > 1 else dt.datetime.min).isoformat()


def log_read(
    db: Database,
    actor: str | None,
    tbl: str | None,
    record_id: str | None,
    detail: str | None = None,
    action: str = "view",
) -> None:
    """Record that someone saw records (one record, or a search's results).

    Reads are most of the traffic and each leaves a line here: the lines of many requests are
    committed together (fieldreg.committer), so a read does not pay an fsync of its own.
    """
    committer.run(db, log, actor, action, tbl, record_id, detail)
