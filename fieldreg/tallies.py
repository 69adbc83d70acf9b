"""Running figures: what the dashboard counts, kept up to date as each write is applied.

Recounting a million people on every dashboard refresh takes seconds; these tallies take
milliseconds. Triggers (migrations ``m120_tallies``, ``m121_dedup_counts``,
``m122_latest_entries`` and ``m340_tallies_by_station``) add or take away each row's share
in the transaction of the write itself, whatever wrote it (a registration, a movement,
sync's apply, an erasure), so a tally can never be ahead of or behind the records:

    tally_people           non-deleted people by station, status, sex, destination (if away)
    tally_ages             non-deleted people by station, age in years (or date of birth), sex
    tally_birth_years      those known by a valid birth date, by station, year of birth, sex
    tally_hours            non-deleted households and people by station and hour of arrival
    tally_households       non-deleted households by station, transport, destination
    tally_vulnerabilities  non-deleted people ("person") and households ("household") by
                           station and vulnerability flagged on their own record
    tally_clusters         HQ: non-deleted people by dedup cluster
    tally_homes            HQ: non-deleted clustered people by household cluster
    tally_cluster_stations HQ: non-deleted clustered people by cluster and station
    tally_overlap          HQ: people of clusters registered at two stations or more
    tally_triage           non-deleted people by station, their latest triage category, and
                           whether they wait (present, queued category, referral waiting)
    tally_departures       non-deleted people away, by station and their latest move's place
    tally_totals           people_deleted; unique_people and unique_households (clusters and
                           household clusters counting someone, kept by triggers on the two)

The station is that of the person's (or household's) registration: a station's figures read
its own share (it holds other stations' people as shared copies, for search), HQ's the sum.
An empty string in a key stands for NULL. ``recount`` rebuilds every tally from the records
(the ``recount`` command) and says which had drifted; a test holds the triggers to it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlite_utils import Database

from fieldreg.db import write
from fieldreg.migrations import M340_FILL

TABLES = {
    "tally_people": ("station", "status", "sex", "dest"),
    "tally_ages": ("station", "age", "dob", "sex"),
    "tally_birth_years": ("station", "year", "sex"),
    "tally_hours": ("station", "hour"),
    "tally_households": ("station", "transport", "dest"),
    "tally_vulnerabilities": ("station", "kind", "name"),
    "tally_clusters": ("cluster_id",),
    "tally_homes": ("home",),
    "tally_cluster_stations": ("cluster_id", "station"),
    "tally_overlap": ("station",),
    "tally_triage": ("station", "category", "waiting"),
    "tally_departures": ("station", "dest"),
    "tally_totals": ("name",),
}
# The same counts from the records themselves (the fills of the migrations that made them).
RECOUNT = f"""
    insert into tally_people (station, status, sex, dest, n)
      select coalesce(h.station, ''), coalesce(p.status, ''), coalesce(p.sex, ''),
             case when p.status = 'present' then '' else coalesce(h.destination_kind, '') end,
             count(*)
      from people p left join households h on h.id = p.household_id where p.deleted = 0
      group by 1, 2, 3, 4;
    insert into tally_households (station, transport, dest, n)
      select coalesce(station, ''), coalesce(transport, ''), coalesce(destination_kind, ''),
             count(*) from households where deleted = 0 group by 1, 2, 3;
    {M340_FILL}
    insert into tally_totals (name, n)
      select 'people_deleted', count(*) from people where deleted != 0;
    insert into tally_clusters (cluster_id, n)
      select c.cluster_id, count(*) from dedup_clusters c join people p on p.id = c.person_id
      where p.deleted = 0 group by 1;
    insert into tally_homes (home, n)
      select coalesce(c.household_cluster_id, p.household_id), count(*) from dedup_clusters c
      join people p on p.id = c.person_id where p.deleted = 0 group by 1;
    insert into tally_cluster_stations (cluster_id, station, n)
      select c.cluster_id, coalesce(h.station, ''), count(*) from dedup_clusters c
      join people p on p.id = c.person_id left join households h on h.id = p.household_id
      where p.deleted = 0 group by 1, 2;
    delete from tally_overlap;
    insert into tally_overlap (station, n)
      select station, sum(n) from tally_cluster_stations where cluster_id in (
        select cluster_id from tally_cluster_stations where n > 0 group by 1 having count(*) > 1
      ) group by 1;
    delete from tally_totals where name in ('unique_people', 'unique_households');
    insert into tally_totals (name, n) select 'unique_people', count(*) from tally_clusters
      where n > 0;
    insert into tally_totals (name, n) select 'unique_households', count(*) from tally_homes
      where n > 0;
"""


@dataclass
class Parts:
    """The pieces the figures are made of, from the tallies or counted for a period."""

    groups: list[tuple] = field(default_factory=list)  # (status, sex, dest, n)
    ages: list[tuple] = field(default_factory=list)  # (age group, sex, n)
    households: int = 0
    by_transport: dict[str, int] = field(default_factory=dict)
    by_destination: dict[str, int] = field(default_factory=dict)
    vulnerabilities: dict[str, int] = field(default_factory=dict)  # people flagged
    household_vulnerabilities: dict[str, int] = field(default_factory=dict)
    hours: dict[str, int] = field(default_factory=dict)  # people by arrival hour
    latest: str | None = None  # the latest and earliest arrival, to the hour
    earliest: str | None = None


def _null(value: str) -> str | None:
    """Turn a key's empty string back into the NULL it stands for."""
    return value if value != "" else None


def _at(station: str | None) -> tuple[str, list]:
    """Return the condition keeping one station's share of a tally (all stations: None)."""
    return (" and station = ?", [station]) if station is not None else ("", [])


def read(db: Database, age_groups: tuple, station: str | None = None) -> Parts:
    """Return the figures' pieces from the tallies (milliseconds, whatever the size): those of
    people and households registered at ``station``, or at every station (None)."""
    at, params = _at(station)
    groups = [
        (_null(r[0]), _null(r[1]), _null(r[2]), r[3])
        for r in db.execute(
            f"select status, sex, dest, sum(n) from tally_people where n != 0{at} group by 1, 2, 3",
            params,
        )
    ]
    kinds = db.execute(
        f"select transport, dest, sum(n) from tally_households where n != 0{at} group by 1, 2",
        params,
    ).fetchall()
    hours = db.execute(
        f"select hour, sum(households), sum(people) from tally_hours where hour != ''{at} "
        "group by 1 having sum(households) != 0 or sum(people) != 0 order by hour",
        params,
    ).fetchall()
    arrived = [hour for hour, households, _people in hours if households]
    return Parts(
        groups=groups,
        ages=_ages(db, age_groups, station),
        households=sum(n for *_keys, n in kinds),
        by_transport=_sum((_null(t), n) for t, _d, n in kinds),
        by_destination=_sum((_null(d), n) for _t, d, n in kinds),
        vulnerabilities=vulnerabilities(db, "person", station),
        household_vulnerabilities=vulnerabilities(db, "household", station),
        hours={hour: people for hour, _households, people in hours if people},
        latest=arrived[-1] if arrived else None,
        earliest=arrived[0] if arrived else None,
    )


def vulnerabilities(db: Database, kind: str, station: str | None = None) -> dict[str, int]:
    """Return the people (kind "person") or households flagged with each vulnerability."""
    at, params = _at(station)
    sql = (
        f"select name, sum(n) from tally_vulnerabilities where kind = ?{at} group by 1 "
        "having sum(n) != 0"
    )
    return dict(db.execute(sql, [kind, *params]).fetchall())


def _ages(db: Database, age_groups: tuple, station: str | None = None) -> list[tuple]:
    """Return people by (age group, sex): ages in years as given, else from the birth date.

    One is at least k years old if born on or before the day k years ago (the cutoff): those
    born in earlier years (a sum over tally_birth_years) and those born in the cutoff's year
    up to it (a range of at most a year of tally_ages' keys). No date arithmetic per row: the
    cost stays flat however many birth dates there are.
    """
    at, params = _at(station)
    counts: Counter = Counter()
    for age, sex, n in db.execute(
        f"select age, sex, sum(n) from tally_ages where age >= 0 and n != 0{at} group by 1, 2",
        params,
    ):
        label = next((g for g, low, high in age_groups if low <= age <= high), "unknown")
        counts[label, sex] += n
    at_least = {
        k: _born_by(db, k, station) for _g, low, high in age_groups for k in (low, high + 1)
    }
    dated: Counter = Counter()
    for label, low, high in age_groups:
        for sex in set(at_least[low]) | set(at_least[high + 1]):
            dated[label, sex] += at_least[low][sex] - at_least[high + 1][sex]
    known = Counter(
        dict(
            db.execute(f"select sex, sum(n) from tally_birth_years where 1{at} group by 1", params)
        )
    )
    # Birth dates in the future, more than 200 years ago, or unreadable: age unknown.
    known.update(dict(db.execute(
        f"select sex, sum(n) from tally_ages where age = -1 and dob = ''{at} group by 1",
        params)))  # fmt: skip
    for sex, n in known.items():
        dated["unknown", sex] += n - sum(dated[g, sex] for g, _low, _high in age_groups)
    counts.update(dated)
    return [(label, _null(sex), n) for (label, sex), n in counts.items() if n]


def _born_by(db: Database, years: int, station: str | None = None) -> Counter:
    """Return, by sex, the people known by birth date who are at least ``years`` old."""
    # Ages are whole years cut toward zero, as the count from the records has them: a birth
    # date less than a year ahead makes age 0.
    back = 365.25 * years if years else -365.25
    cutoff = db.execute("select date(julianday('now') - ?)", [back]).fetchone()[0]
    at, params = _at(station)
    found = Counter(dict(db.execute(
        f"select sex, sum(n) from tally_birth_years where year < ?{at} group by 1",
        [cutoff[:4], *params])))  # fmt: skip
    found.update(dict(db.execute(
        "select sex, sum(n) from tally_ages where age = -1 and dob >= ? and dob <= ?"
        f"{at} group by 1", [cutoff[:4] + "-01-01", cutoff, *params])))  # fmt: skip
    return found


def _sum(pairs) -> dict:
    """Sum ``(key, n)`` pairs into a dict."""
    out: dict = {}
    for key, n in pairs:
        out[key] = out.get(key, 0) + n
    return out


def stations(db: Database) -> dict[str, dict]:
    """Return each station's non-deleted households and people."""
    found: dict[str, dict] = {}
    for table, name in (("tally_households", "households"), ("tally_people", "people")):
        for code, n in db.execute(f"select station, sum(n) from {table} group by 1"):
            if n:
                found.setdefault(code, {"households": 0, "people": 0})[name] = n
    return found


def statuses(db: Database, station: str | None = None) -> dict[str, int]:
    """Return non-deleted people by status (all of them, whatever the period asked)."""
    at, params = _at(station)
    sql = f"select status, sum(n) from tally_people where 1{at} group by 1 having sum(n) != 0"
    return dict(db.execute(sql, params).fetchall())


def triage(db: Database, station: str | None = None) -> list[tuple]:
    """Return (latest triage category, waiting for care or not, people)."""
    at, params = _at(station)
    sql = f"select category, waiting, sum(n) from tally_triage where 1{at} group by 1, 2"
    return [row for row in db.execute(sql, params).fetchall() if row[2]]


def departures(db: Database, station: str | None = None) -> dict[str, int]:
    """Return people away by the destination of their latest movement ('' for none given)."""
    at, params = _at(station)
    sql = f"select dest, sum(n) from tally_departures where 1{at} group by 1 having sum(n) != 0"
    return dict(db.execute(sql, params).fetchall())


def total(db: Database, name: str) -> int:
    """Return one of tally_totals' figures (0 if never counted)."""
    row = db.execute("select n from tally_totals where name = ?", [name]).fetchone()
    return row[0] if row else 0


def snapshot(db: Database) -> dict[str, dict[tuple, tuple]]:
    """Return every tally as {table: {key: values}}, leaving out rows that count nothing."""
    out = {}
    for table, keys in TABLES.items():
        rows = db.execute(f"select * from {table}").fetchall()
        out[table] = {row[: len(keys)]: row[len(keys) :] for row in rows if any(row[len(keys) :])}
    return out


def recount(db: Database) -> list[str]:
    """Rebuild every tally from the records; return the tallies that had drifted."""
    with write(db):
        before = snapshot(db)
        for table in TABLES:
            db.execute(f"delete from {table}")
        for statement in RECOUNT.split(";"):
            if statement.strip():
                db.execute(statement)
        after = snapshot(db)
    return [table for table in TABLES if before[table] != after[table]]
