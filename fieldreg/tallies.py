"""Running figures: what the dashboard counts, kept up to date as each write is applied.

Recounting a million people on every dashboard refresh takes seconds; these tallies take
milliseconds. Triggers (migrations ``m120_tallies``, ``m121_dedup_counts`` and
``m122_latest_entries``) add or take away each row's share in the transaction of the write
itself, whatever wrote it (a registration, a movement, sync's apply, an erasure), so a tally
can never be ahead of or behind the records:

    tally_people           non-deleted people by station, status, sex, destination (if away)
    tally_ages             non-deleted people by age in years (or date of birth) and sex
    tally_birth_years      those known by a valid birth date, by year of birth and sex
    tally_hours            non-deleted households and people by hour of arrival
    tally_households       non-deleted households by station, transport, destination
    tally_vulnerabilities  flags on non-deleted people and households
    tally_clusters         HQ: non-deleted people by dedup cluster
    tally_homes            HQ: non-deleted clustered people by household cluster
    tally_cluster_stations HQ: non-deleted clustered people by cluster and station
    tally_overlap          HQ: people of clusters registered at two stations or more
    tally_triage           non-deleted people by their latest triage category, and whether
                           they wait for care (present, queued category, referral waiting)
    tally_departures       non-deleted people away, by the destination of their latest move
    tally_totals           people_deleted; unique_people and unique_households (clusters and
                           household clusters counting someone, kept by triggers on the two)

An empty string in a key stands for NULL. ``recount`` rebuilds every tally from the records
(the ``recount`` command) and says which had drifted; a test holds the triggers to it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlite_utils import Database

from fieldreg.db import write

TABLES = {
    "tally_people": ("station", "status", "sex", "dest"),
    "tally_ages": ("age", "dob", "sex"),
    "tally_birth_years": ("year", "sex"),
    "tally_hours": ("hour",),
    "tally_households": ("station", "transport", "dest"),
    "tally_vulnerabilities": ("name",),
    "tally_clusters": ("cluster_id",),
    "tally_homes": ("home",),
    "tally_cluster_stations": ("cluster_id", "station"),
    "tally_overlap": ("station",),
    "tally_triage": ("category", "waiting"),
    "tally_departures": ("dest",),
    "tally_totals": ("name",),
}
# The same counts from the records themselves (kept equal to the fill in m120_tallies).
RECOUNT = """
    insert into tally_people (station, status, sex, dest, n)
      select coalesce(h.station, ''), coalesce(p.status, ''), coalesce(p.sex, ''),
             case when p.status = 'present' then '' else coalesce(h.destination_kind, '') end,
             count(*)
      from people p left join households h on h.id = p.household_id where p.deleted = 0
      group by 1, 2, 3, 4;
    insert into tally_ages (age, dob, sex, n)
      select coalesce(age_years, -1),
             case when age_years is null then coalesce(date(date_of_birth), '') else '' end,
             coalesce(sex, ''), count(*) from people where deleted = 0 group by 1, 2, 3;
    insert into tally_birth_years (year, sex, n)
      select substr(date(date_of_birth), 1, 4), coalesce(sex, ''), count(*) from people
      where deleted = 0 and age_years is null and date(date_of_birth) is not null group by 1, 2;
    insert into tally_hours (hour, households, people)
      select hour, sum(households), sum(people) from (
        select coalesce(substr(arrived_at, 1, 13), '') hour, 1 households, 0 people
        from households where deleted = 0
        union all
        select coalesce(substr(h.arrived_at, 1, 13), ''), 0, 1
        from people p left join households h on h.id = p.household_id where p.deleted = 0
      ) group by 1;
    insert into tally_households (station, transport, dest, n)
      select coalesce(station, ''), coalesce(transport, ''), coalesce(destination_kind, ''),
             count(*) from households where deleted = 0 group by 1, 2, 3;
    insert into tally_vulnerabilities (name, n)
      select j.value, count(*) from (
        select vulnerabilities v from households where deleted = 0
        union all select vulnerabilities from people where deleted = 0
      ) t join json_each(case when json_type(t.v) = 'array' then t.v else '[]' end) j
      where j.type = 'text' group by 1;
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
    insert into tally_triage (category, waiting, n)
      select e.category, (p.status = 'present' and e.category in ('immediate', 'delayed',
             'minor', 'expectant') and coalesce(case when json_valid(e.referral) then
             json_extract(e.referral, '$.status') end, 'waiting') = 'waiting'), count(*)
      from triage e join people p on p.id = e.person_id where p.deleted = 0 and e.id = (
        select id from triage where person_id = e.person_id order by at desc, id desc limit 1
      ) group by 1, 2;
    insert into tally_departures (dest, n)
      select coalesce(e.destination_kind, ''), count(*) from movements e
      join people p on p.id = e.person_id where p.deleted = 0 and p.status != 'present'
      and e.id = (select id from movements where person_id = e.person_id
                  order by at desc, id desc limit 1) group by 1;
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
    vulnerabilities: dict[str, int] = field(default_factory=dict)
    hours: dict[str, int] = field(default_factory=dict)  # people by arrival hour
    latest: str | None = None  # the latest and earliest arrival, to the hour
    earliest: str | None = None


def _null(value: str) -> str | None:
    """Turn a key's empty string back into the NULL it stands for."""
    return value if value != "" else None


def read(db: Database, age_groups: tuple) -> Parts:
    """Return the figures' pieces from the tallies (milliseconds, whatever the size)."""
    groups = [
        (_null(r[0]), _null(r[1]), _null(r[2]), r[3])
        for r in db.execute(
            "select status, sex, dest, sum(n) from tally_people where n != 0 group by 1, 2, 3"
        )
    ]
    ages = _ages(db, age_groups)
    kinds = db.execute(
        "select transport, dest, sum(n) from tally_households where n != 0 group by 1, 2"
    ).fetchall()
    hours = db.execute(
        "select hour, households, people from tally_hours where hour != '' "
        "and (households != 0 or people != 0) order by hour"
    ).fetchall()
    arrived = [hour for hour, households, _people in hours if households]
    return Parts(
        groups=groups,
        ages=ages,
        households=sum(n for *_keys, n in kinds),
        by_transport=_sum((_null(t), n) for t, _d, n in kinds),
        by_destination=_sum((_null(d), n) for _t, d, n in kinds),
        vulnerabilities=dict(db.execute("select name, n from tally_vulnerabilities where n != 0")),
        hours={hour: people for hour, _households, people in hours if people},
        latest=arrived[-1] if arrived else None,
        earliest=arrived[0] if arrived else None,
    )


def _ages(db: Database, age_groups: tuple) -> list[tuple]:
    """Return people by (age group, sex): ages in years as given, else from the birth date.

    One is at least k years old if born on or before the day k years ago (the cutoff): those
    born in earlier years (a sum over tally_birth_years) and those born in the cutoff's year
    up to it (a range of at most a year of tally_ages' keys). No date arithmetic per row: the
    cost stays flat however many birth dates there are.
    """
    counts: Counter = Counter()
    for age, sex, n in db.execute(
        "select age, sex, sum(n) from tally_ages where age >= 0 and n != 0 group by 1, 2"
    ):
        label = next((g for g, low, high in age_groups if low <= age <= high), "unknown")
        counts[label, sex] += n
    at_least = {k: _born_by(db, k) for _g, low, high in age_groups for k in (low, high + 1)}
    dated: Counter = Counter()
    for label, low, high in age_groups:
        for sex in set(at_least[low]) | set(at_least[high + 1]):
            dated[label, sex] += at_least[low][sex] - at_least[high + 1][sex]
    known = Counter(dict(db.execute("select sex, sum(n) from tally_birth_years group by 1")))
    # Birth dates in the future, more than 200 years ago, or unreadable: age unknown.
    known.update(dict(db.execute(
        "select sex, sum(n) from tally_ages where age = -1 and dob = '' group by 1")))  # fmt: skip
    for sex, n in known.items():
        dated["unknown", sex] += n - sum(dated[g, sex] for g, _low, _high in age_groups)
    counts.update(dated)
    return [(label, _null(sex), n) for (label, sex), n in counts.items() if n]


def _born_by(db: Database, years: int) -> Counter:
    """Return, by sex, the people known by birth date who are at least ``years`` old."""
    # Ages are whole years cut toward zero, as the count from the records has them: a birth
    # date less than a year ahead makes age 0.
    back = 365.25 * years if years else -365.25
    cutoff = db.execute("select date(julianday('now') - ?)", [back]).fetchone()[0]
    found = Counter(
        dict(
            db.execute(
                "select sex, sum(n) from tally_birth_years where year < ? group by 1", [cutoff[:4]]
            )
        )
    )
    found.update(dict(db.execute(
        "select sex, sum(n) from tally_ages where age = -1 and dob >= ? and dob <= ? group by 1",
        [cutoff[:4] + "-01-01", cutoff])))  # fmt: skip
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


def statuses(db: Database) -> dict[str, int]:
    """Return non-deleted people by status (all of them, whatever the period asked)."""
    sql = "select status, sum(n) from tally_people group by 1 having sum(n) != 0"
    return dict(db.execute(sql).fetchall())


def triage(db: Database) -> list[tuple]:
    """Return (latest triage category, waiting for care or not, people)."""
    return db.execute("select category, waiting, n from tally_triage where n != 0").fetchall()


def departures(db: Database) -> dict[str, int]:
    """Return people away by the destination of their latest movement ('' for none given)."""
    return dict(db.execute("select dest, n from tally_departures where n != 0").fetchall())


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
