"""Station figures: counts, sex and age breakdown (SADD), transport, destinations, movements.

``station_stats`` answers the dashboard, ``GET /api/v1/stats``, the situation report and HQ
(over all stations). Figures owned by other areas (triage from the medical tent, unique
people from deduplication, HQ's last sync per station) come from *providers*: functions the
owning module registers through ``fieldreg.wiring``. A provider that answers None means "no
data here": the figure is left out rather than shown as a made-up zero; a provider nobody
registered is an error (``registry.NotWired``), never a silent gap.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlite_utils import Database

from fieldreg import medical, movements, tallies
from fieldreg.db import file_of as db_file
from fieldreg.db import setting
from fieldreg.registry import Registry
from fieldreg.schemas.records import SEXES, VULNERABILITIES

AGE_GROUPS = (
    ("0-4", 0, 4),
    ("5-11", 5, 11),
    ("12-17", 12, 17),
    ("18-59", 18, 59),
    ("60+", 60, 200),
)
AGE_LABELS = tuple(label for label, _low, _high in AGE_GROUPS) + ("unknown",)
# Children alone come first: they are what a coordinator must act on before anything else.
VULNERABILITY_ORDER = VULNERABILITIES
HOURS_SHOWN = 24


@dataclass(frozen=True)
class Period:
    """A half-open range of arrival times [since, until); None means unbounded. ``station``
    keeps what was registered at that station only (None: every station, as at HQ)."""

    since: str | None = None
    until: str | None = None
    station: str | None = None

    def where(self, alias: str = "h") -> tuple[str, list[str]]:
        """Return an SQL condition on the household's arrival time (and station), and its
        parameters."""
        clauses, params = [], []
        if self.station is not None:
            clauses.append(f"{alias}.station = ?")
            params.append(self.station)
        if self.since:
            clauses.append(f"{alias}.arrived_at >= ?")
            params.append(self.since)
        if self.until:
            clauses.append(f"{alias}.arrived_at < ?")
            params.append(self.until)
        return (" and " + " and ".join(clauses)) if clauses else "", params


Provider = Callable[[Database, Period], dict | None]
# Registered by the areas that own the data (each answers None when it has nothing yet):
#   "unique"       deduplication: {"people": n, "households": n, "overlap": {station: n}}
#   "review_queue" deduplication: {"open": n}
#   "last_sync"    sync at HQ: {station: iso time of its last sync}
#   "convoys"      convoys: vehicles expected, in transit, arrived; people per vehicle type
#   "tracing"      family tracing: children alone registered, open, matched, reunified
#   "unique_figures"  HQ after dedup: wounded, vulnerabilities, children alone in unique people
PROVIDERS = Registry(
    "figure",
    names=("unique", "review_queue", "last_sync", "convoys", "tracing", "unique_figures"),
)


def provide(name: str, provider: Provider) -> None:
    """Register the function that provides a figure."""
    PROVIDERS.add(name, provider)


def provided(db: Database, name: str, period: Period) -> dict | None:
    """Ask the registered provider for a figure (None: it has no data yet)."""
    return PROVIDERS.get(name)(db, period)


def age_group(age: int | None) -> str:
    """Return the SADD age group of an age in years."""
    if age is None:
        return "unknown"
    for label, low, high in AGE_GROUPS:
        if low <= age <= high:
            return label
    return "unknown"


AGE_SQL = (
    "coalesce(p.age_years, "
    "cast((julianday('now') - julianday(p.date_of_birth)) / 365.25 as integer))"
)
PEOPLE = "from people p join households h on h.id = p.household_id where p.deleted = 0"
HOUSEHOLDS = "from households h where h.deleted = 0"


AGE_GROUP_SQL = (
    "case when age is null then 'unknown' "
    + " ".join(
        f"when age between {low} and {high} then '{label}'" for label, low, high in AGE_GROUPS
    )
    + " else 'unknown' end"
)


def station_stats(db: Database, period: Period | None = None) -> dict:
    """Return the station's figures, as on the dashboard and in /api/v1/stats: those of the
    people and households registered here, never the shared copies of other stations' people
    it holds for search (HQ's first day: K7M counted P4R's 6 among its own 8)."""
    period = period or Period()
    own = period.station if period.station is not None else setting(db, "station_code")
    return _figures(db, replace(period, station=own or ""))


def _figures(db: Database, period: Period) -> dict:
    """Return the figures of a period and station (every station: ``period.station`` None).

    Without a time range they come from the running tallies (``fieldreg.tallies``); for one
    they are counted from the records of the households that arrived in it.
    """
    if period.since or period.until:
        parts = _counted(db, period)
    else:
        parts = tallies.read(db, AGE_GROUPS, period.station)
    groups = parts.groups
    people = sum(n for *_keys, n in groups)
    by_status = _tally((status, n) for status, _sex, _dest, n in groups)
    return {
        "station": setting(db, "station_code"),
        "station_name": setting(db, "station_name") or "",
        "since": period.since,
        "until": period.until,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "households": parts.households,
        "people": people,
        "present": by_status.get("present", 0),
        "departed": people - by_status.get("present", 0),
        "by_status": by_status,
        "departed_by_destination": (
            departed_by_destination(db, period)
            if period.since or period.until
            else _departed_tallied(db, people - by_status.get("present", 0), period.station)
        ),
        "by_sex": _tally((sex, n) for _status, sex, _dest, n in groups),
        "by_age_group": _sadd(parts.ages),
        "by_transport": _tally(parts.by_transport.items()),
        "by_destination": _tally(parts.by_destination.items()),
        # Flags on people and households together (the key's meaning since the first wave),
        # then people flagged (each once) and households flagged under the household's needs.
        "vulnerabilities": ordered(
            Counter(parts.vulnerabilities) + Counter(parts.household_vulnerabilities)
        ),
        "person_vulnerabilities": ordered(parts.vulnerabilities),
        "household_vulnerabilities": ordered(parts.household_vulnerabilities),
        "arrivals_per_hour": _per_hour(parts),
        "triage": medical.counts(db, period.station),
        "tracing": provided(db, "tracing", period),
        **movements.counts(db, period.station),
        "convoys": provided(db, "convoys", period),
    }


def _counted(db: Database, period: Period) -> tallies.Parts:
    """Count the figures' pieces from the records of households that arrived in a period."""
    cond, params = period.where()
    groups = _people_groups(db, period)
    kinds = db.execute(
        f"select h.transport, h.destination_kind, count(*) {HOUSEHOLDS}{cond} group by 1, 2",
        params,
    ).fetchall()
    latest = next(db.query(f"select max(h.arrived_at) m {HOUSEHOLDS}{cond}", params))["m"]
    # Two lookups on the arrival index (min and max in one query would scan the table).
    earliest = next(db.query(f"select min(h.arrived_at) m {HOUSEHOLDS}{cond}", params))["m"]
    hours = db.execute(
        f"select substr(h.arrived_at, 1, 13), count(*) {PEOPLE}{cond} "
        "and h.arrived_at is not null group by 1",
        params,
    ).fetchall()
    return tallies.Parts(
        groups=[(status, sex, None, n) for status, sex, _age, n in groups],
        ages=[(age, sex, n) for _status, sex, age, n in groups],
        households=sum(n for *_keys, n in kinds),
        by_transport=tallies._sum((t, n) for t, _d, n in kinds),
        by_destination=tallies._sum((d, n) for _t, d, n in kinds),
        vulnerabilities=vulnerabilities(db, period, "person"),
        household_vulnerabilities=vulnerabilities(db, period, "household"),
        hours=dict(hours),
        latest=latest[:13] if latest else None,
        earliest=earliest[:13] if earliest else None,
    )


def _in_period(period: Period) -> tuple[str, list[str]]:
    """Return a condition on ``p`` (people) for arrivals in the period, and its parameters."""
    cond, params = period.where()
    if not cond:
        return "", []
    return f" and p.household_id in (select h.id from households h where 1{cond})", params


def _people_groups(db: Database, period: Period) -> list[tuple]:
    """Count people by (status, sex, age group) in one pass."""
    cond, params = _in_period(period)
    sql = (
        f"select status, sex, {AGE_GROUP_SQL}, count(*) from ("
        f"select p.status, p.sex, {AGE_SQL} as age from people p where p.deleted = 0{cond}"
        ") group by 1, 2, 3"
    )
    return db.execute(sql, params).fetchall()


def departed_by_destination(db: Database, period: Period) -> dict[str, int]:
    """Count the people away by where they actually went: the kind of their latest movement.

    Not the destination given at registration (issue 14): a person sent to hospital counts
    under hospital, and someone marked away with no movement recorded under unknown.
    """
    cond, params = _in_period(period)
    sql = (
        "select coalesce((select m.destination_kind from movements m where m.person_id = p.id "
        "order by m.at desc, m.id desc limit 1), 'unknown') k, count(*) n "
        f"from people p where p.deleted = 0 and p.status != 'present'{cond} group by 1"
    )
    return _tally(db.execute(sql, params).fetchall())


def _departed_tallied(db: Database, away: int, station: str | None) -> dict[str, int]:
    """Count the people away by their latest movement's kind, from the running figures.

    The same figure as ``departed_by_destination``: someone away with no movement recorded
    counts under unknown.
    """
    moved = tallies.departures(db, station)
    unknown = away - sum(moved.values())
    return _tally([*moved.items(), ("unknown", unknown)])


def _tally(pairs) -> dict[str, int]:
    """Sum ``(key, n)`` pairs into a dict, biggest first, NULL as 'unknown'."""
    counts: Counter[str] = Counter()
    for key, n in pairs:
        counts[key or "unknown"] += n
    return {key: n for key, n in counts.most_common() if n}


def _sadd(ages: list[tuple]) -> dict[str, dict[str, int]]:
    """People by age group and sex: every age group in order, the sexes present in it."""
    table: dict[str, Counter[str]] = {label: Counter() for label in AGE_LABELS}
    for age, sex, n in ages:
        table[age][sex if sex in SEXES else "unknown"] += n
    if not +table["unknown"]:
        del table["unknown"]
    return {label: dict(+counts) for label, counts in table.items()}


def vulnerabilities(db: Database, period: Period, kind: str = "person") -> dict[str, int]:
    """Count the people (or households, kind "household") of a period flagged with each
    vulnerability on their own record."""
    cond, params = period.where()
    column, rows = ("p.vulnerabilities", PEOPLE) if kind == "person" else (
        "h.vulnerabilities", HOUSEHOLDS)  # fmt: skip
    counts: Counter[str] = Counter()
    for row in db.query(f"select {column} v {rows} and {column} != '[]'{cond}", params):
        counts.update(flag for flag in json.loads(row["v"]) if isinstance(flag, str))
    return dict(counts)


def ordered(counts: dict[str, int]) -> dict[str, int]:
    """Return vulnerability counts in the dashboard's order, leaving out zeros."""
    return {k: counts[k] for k in VULNERABILITY_ORDER if counts.get(k)}


def _per_hour(parts: tallies.Parts) -> list[dict]:
    """Return people arrived per hour (at most the last 24 hours), empty hours as 0."""
    if not parts.latest:
        return []
    last = dt.datetime.fromisoformat(parts.latest + ":00")
    first = dt.datetime.fromisoformat(parts.earliest + ":00")
    shown = min(HOURS_SHOWN, int((last - first).total_seconds() // 3600) + 1)
    hours = [(last - dt.timedelta(hours=n)).strftime("%Y-%m-%dT%H") for n in range(shown)]
    return [{"hour": hour, "people": parts.hours.get(hour, 0)} for hour in reversed(hours)]


def hq_stats(db: Database, period: Period | None = None) -> dict:
    """Return HQ's figures: raw and unique totals, each station's share, the review queue."""
    period = period or Period()
    stations = _stations(db, period)
    for code, last_sync in (provided(db, "last_sync", period) or {}).items():
        stations.setdefault(code, {"station": code, "households": 0, "people": 0})
        stations[code]["last_sync"] = last_sync
    figures = _figures(db, replace(period, station=None))
    unique = provided(db, "unique", period)
    return {
        **figures,
        "raw": {"people": figures["people"], "households": figures["households"]},
        # Until deduplication has run, unique totals are unknown, not equal to the raw ones.
        "unique": unique,
        "unique_people": unique["people"] if unique else None,
        "unique_households": unique["households"] if unique else None,
        # Where the count could still move until the undecided pairs are reviewed.
        "unique_people_low": unique["people_low"] if unique else None,
        "unique_people_high": unique["people_high"] if unique else None,
        "undecided_pairs": unique["undecided"] if unique else None,
        "stations": list(stations.values()),
        "review_queue": provided(db, "review_queue", period),
        # Figures about people in unique people (clusters), beside the registrations above.
        "unique_figures": provided(db, "unique_figures", period),
    }


def _stations(db: Database, period: Period) -> dict[str, dict]:
    """Return each station's households, people, first and last arrival (by station code)."""
    if period.since or period.until:
        cond, params = period.where()
        return {
            row["station"]: {**row, "last_sync": None}
            for row in db.query(
                "select h.station, count(distinct h.id) households, count(p.id) people, "
                "min(h.arrived_at) first_arrival, max(h.arrived_at) last_arrival from "
                "households h left join people p on p.household_id = h.id and p.deleted = 0 "
                f"where h.deleted = 0{cond} group by h.station order by h.station",
                params,
            )
        }
    found = {}
    for code, counts in sorted(tallies.stations(db).items()):
        # Each end is one step along the (station, arrival) index.
        ends = [
            db.execute(
                "select arrived_at from households where station = ? and deleted = 0 and "
                f"arrived_at is not null order by arrived_at {order} limit 1",
                [code],
            ).fetchone()
            for order in ("asc", "desc")
        ]
        found[code] = {"station": code, **counts, "first_arrival": ends[0] and ends[0][0],
                       "last_arrival": ends[1] and ends[1][0], "last_sync": None}  # fmt: skip
    return found


_recent: dict[tuple, tuple[float, dict]] = {}
_computing: set[tuple] = set()
_recent_mutex = threading.Lock()
RECENT_KEPT = 32


def figures(db: Database, role: str, period: Period | None = None, max_age: float = 0) -> dict:
    """Return the figures this instance shows: HQ's over all stations, or the station's.

    Dashboards refresh on every tablet and coordinator's screen at once; while registrations
    pour in, figures computed less than ``max_age`` seconds ago are answered again (their
    ``generated_at`` tells when), and while one request renews them the others are answered
    the previous ones: a busy station computes them at most once per interval, one at a time.
    """
    period = period or Period()
    key = (db_file(db), role, period.since, period.until)
    now = time.monotonic()
    with _recent_mutex:
        found = _recent.get(key)
        if found and max_age and (now - found[0] < max_age or key in _computing):
            return found[1]
        _computing.add(key)
    try:
        made = hq_stats(db, period) if role == "hq" else station_stats(db, period)
    finally:
        with _recent_mutex:
            _computing.discard(key)
    with _recent_mutex:
        if len(_recent) >= RECENT_KEPT:
            _recent.clear()
        _recent[key] = (now, made)
    return made
