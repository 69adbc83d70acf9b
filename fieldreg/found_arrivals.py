"""Arrivals found by deduplication: a boarded person nobody scanned off, found at a station.

At HQ a person's records are linked into one cluster (fieldreg.clusters, asked here through
``cluster_members``). A person who boarded a vehicle and has no arrival on any vehicle may
still have arrived: a record of the same cluster was registered at a station after the
boarding (the registrar did not pick the vehicle, the tag stayed at home), or came back to a
station (a movement ``returned``, the one movement kind that brings a person to a station).
Scans off a vehicle need nothing here: they are already arrivals of the cluster. The
registration of a record that boarded is no sign (it was registered before its tag was
scanned); its time is the household's arrival as the registering station wrote it (synced),
never when HQ received the record. Such a
person counts as arrived, and the reconciliation names them on their own line ("arrived
elsewhere, found by deduplication") with where and when, so a vehicle's arithmetic stays
explained. Without clusters (a station, or HQ before deduplication ran) nothing is looked for.

    boarded, no arrival on any vehicle (candidates: key -> last boarding time)
      a record of the cluster registered after that time   -> found ("registered")
      a record of the cluster came back after that time    -> found ("returned")
      nothing after the last boarding                      -> still in transit / overdue
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from fieldreg import clusters
from fieldreg.db import rows as db_rows

SIGNS_SQL = (
    "select p.id, p.code, coalesce(h.arrived_at, h.created_at) at, h.station, 'registered' how "
    "from people p "
    "join households h on h.id = p.household_id where p.deleted = 0 and h.deleted = 0 "
    "and p.id in ({marks}) union all "
    "select p.id, p.code, m.at, h.station, 'returned' how from movements m "
    "join people p on p.id = m.person_id join households h on h.id = p.household_id "
    "where m.kind = 'returned' and p.deleted = 0 and p.id in ({marks})"
)


def find(
    db: Database,
    candidates: dict[str, str],
    cluster_ids: set[str],
    boarded: set[str],
    until: str | None = None,
) -> dict[str, dict]:
    """Return, per candidate (cluster or person id -> last boarding time), the first sign
    after that time that one of its records reached a station: code, station, at, how.
    ``boarded`` are the records scanned on board: their own registration is no sign."""
    members = clusters.cluster_members(db, sorted(k for k in candidates if k in cluster_ids))
    owner = {pid: key for key in candidates for pid in members.get(key) or [key]}
    limit = _instant(until) if until else None
    found: dict[str, dict] = {}
    for row in _signs(db, sorted(owner)):
        if row["how"] == "registered" and row["id"] in boarded:
            continue
        key, at = owner[row["id"]], _instant(row["at"])
        left = _instant(candidates[key])
        if at is None or left is None or at <= left or (limit and at >= limit):
            continue
        if key not in found or at < found[key]["instant"]:
            found[key] = {"code": row["code"], "station": row["station"], "at": row["at"],
                          "how": row["how"], "instant": at}  # fmt: skip
    return {key: {k: v for k, v in sign.items() if k != "instant"} for key, sign in found.items()}


def _signs(db: Database, ids: list[str]) -> list[dict]:
    """Return each registration and each return to a station of these people."""
    found = []
    for start in range(0, len(ids), 400):
        chunk = ids[start : start + 400]
        marks = ",".join("?" * len(chunk))
        found += db_rows(db, SIGNS_SQL.format(marks=marks), chunk * 2)
    return found


def _instant(text: str | None) -> dt.datetime | None:
    """Read a stored time (UTC when it names no zone); None when it is not a time."""
    try:
        value = dt.datetime.fromisoformat(text or "")
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
