"""Running figures: what the dashboard counts, kept up to date as each write is applied.

Recounting a million people on every dashboard refresh takes seconds; these tallies take
milliseconds. Triggers (migrations ``m120_tallies``, ``m121_dedup_counts`` and
``m122_latest_entries``) add or take away each row's share in the transaction of the write
itself, whatever wrote it (a registration, a movement, sync's apply, an erasure), so a tally
can never be ahead of or behind the records:

    tally_people           non-deleted people by station, status, sex, destination (if away)
    tally_ages             non-deleted people by age in years (or date of birth) and sex
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

from dataclasses import dataclass, field

from sqlite_utils import Database

from fieldreg.db import write

TABLES = {
    "tally_people": ("station", "status", "sex", "dest"),
    "tally_ages": ("age", "dob", "sex"),
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

    A birth date's age group is a range of dates (born on or before the day one turned
    ``low``, after the day one turned ``high + 1``), found along the tally's key order: no
    date arithmetic per row, however many birth dates there are.
    """
    years = {k for _label, low, high in age_groups for k in (low, high + 1)}
    cutoff = {k: db.execute("select date(julianday('now') - 365.25 * ?)", [k]).fetchone()[0]
              for k in years}  # fmt: skip
    by_age = " ".join(f"when age between {low} and {high} then '{label}'"
                      for label, low, high in age_groups)  # fmt: skip
    by_date = " ".join(f"when dob <= '{cutoff[low]}' and dob > '{cutoff[high + 1]}' "
                       f"then '{label}'" for label, low, high in age_groups)  # fmt: skip
    rows = db.execute(
        f"select case when age >= 0 then case {by_age} else 'unknown' end "
        f"when dob = '' then 'unknown' else case {by_date} else 'unknown' end end, sex, sum(n) "
        "from tally_ages where n != 0 group by 1, 2"
    )
    return [(label, _null(sex), n) for label, sex, n in rows]


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
