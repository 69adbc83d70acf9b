"""Station figures: counts, sex and age breakdown (SADD), transport, destinations."""

from __future__ import annotations

import json
from collections import Counter

from sqlite_utils import Database

from fieldreg import medical, movements
from fieldreg.db import setting

AGE_GROUPS = (
    ("0-4", 0, 4),
    ("5-11", 5, 11),
    ("12-17", 12, 17),
    ("18-59", 18, 59),
    ("60+", 60, 200),
)


def age_group(age: int | None) -> str:
    """Return the SADD age group of an age in years."""
    if age is None:
        return "unknown"
    for label, low, high in AGE_GROUPS:
        if low <= age <= high:
            return label
    return "unknown"


AGE_SQL = (
    "coalesce(age_years, cast((julianday('now') - julianday(date_of_birth)) / 365.25 as integer))"
)


def station_stats(db: Database) -> dict:
    """Return the station's figures, as on the dashboard and in /api/v1/stats."""
    one = lambda sql: next(db.query(sql))["n"]  # noqa: E731
    by_group: dict[str, dict[str, int]] = {}
    for row in db.query(f"select sex, {AGE_SQL} as age from people where deleted = 0"):
        group = by_group.setdefault(age_group(row["age"]), {})
        group[row["sex"] or "unknown"] = group.get(row["sex"] or "unknown", 0) + 1
    vulnerabilities: Counter[str] = Counter()
    for row in db.query(
        "select vulnerabilities from households where deleted = 0 and vulnerabilities != '[]' "
        "union all select vulnerabilities from people where deleted = 0 and vulnerabilities != '[]'"
    ):
        vulnerabilities.update(json.loads(row["vulnerabilities"]))
    return {
        "station": setting(db, "station_code"),
        "households": one("select count(*) n from households where deleted = 0"),
        "people": one("select count(*) n from people where deleted = 0"),
        "present": one("select count(*) n from people where deleted = 0 and status = 'present'"),
        "by_sex": _count(db, "select sex k, count(*) n from people where deleted = 0 group by sex"),
        "by_age_group": by_group,
        "by_transport": _count(
            db, "select transport k, count(*) n from households where deleted = 0 group by 1"
        ),
        "by_destination": _count(
            db, "select destination_kind k, count(*) n from households where deleted = 0 group by 1"
        ),
        "vulnerabilities": dict(vulnerabilities),
        "arrivals_per_hour": list(
            db.query(
                "select substr(h.arrived_at, 1, 13) as hour, count(*) as people "
                "from people p join households h on h.id = p.household_id "
                "where p.deleted = 0 group by 1 order by 1 desc limit 48"
            )
        ),
        "triage": medical.counts(db),
        **movements.counts(db),
    }


def _count(db: Database, sql: str) -> dict[str, int]:
    return {(row["k"] or "unknown"): row["n"] for row in db.query(sql)}
