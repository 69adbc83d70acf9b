"""Who is in transit, who arrived and who is overdue, across everything known here (HQ).

Boarded people (one per deduplication cluster) who have not arrived anywhere are in transit;
those who boarded more than N hours ago are overdue: the list a coordinator acts on. Arrived
means scanned off or registered as come on a vehicle, or, at HQ, found at a station through
another record of the cluster after the boarding (fieldreg/found_arrivals.py), counted apart
as ``arrived_elsewhere``. N comes from ``?hours=`` (1 to 168) or the configured default.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlite_utils import Database

from fieldreg import reconcile
from fieldreg.errors import DomainError

HOURS = (1, 168)  # overdue after: an hour to a week
HOURS_REFUSED = "Overdue after: give a number of hours from 1 to 168."


def overdue_hours(text: str | None, default: float) -> float:
    """Read ``?hours=`` (the default when absent or empty), or refuse it (400): never a
    silent fall-back that shows a list for another number of hours than was asked."""
    if text is None or not text.strip():
        return default
    try:
        hours = float(text)
    except ValueError:
        hours = math.nan
    if not HOURS[0] <= hours <= HOURS[1]:  # NaN fails too
        raise DomainError(HOURS_REFUSED, {"hours": [HOURS_REFUSED]}, "invalid_fields")
    return hours


def overview(db: Database, hours: float, now: dt.datetime | None = None) -> dict:
    """Across everything known here: boarded, arrived, in transit and overdue people."""
    trips = reconcile.load(db)
    now = now or dt.datetime.now(dt.UTC)
    cutoff = (now - dt.timedelta(hours=hours)).isoformat(timespec="seconds")
    boarded = {k for k, seen in trips.where.items() if seen["board"]}
    arrived = {k for k in trips.where if trips.arrived(k)}
    waiting = boarded - arrived
    overdue = {k for k in waiting if trips.last_board[k] < cutoff}
    people = reconcile.describe(db, waiting | set(trips.elsewhere), trips)

    def by_time(keys) -> list[dict]:
        """List these people, longest on the road first."""
        found = sorted((people[k] for k in keys), key=lambda p: p["boarded_at"])
        return [reconcile.public(p) for p in found]

    return {
        "overdue_hours": hours,
        "boarded": len(boarded),
        "arrived": len(arrived),
        "in_transit": len(waiting - overdue),
        "overdue": len(overdue),
        "arrived_without_boarding": len(arrived - boarded),
        "arrived_elsewhere": len(trips.elsewhere),
        "clustered": trips.clustered,
        "overdue_people": by_time(overdue),
        "in_transit_people": by_time(waiting - overdue),
        "arrived_elsewhere_people": by_time(trips.elsewhere),
    }
