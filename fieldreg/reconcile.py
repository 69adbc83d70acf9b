"""The reconciliation: expected, boarded and arrived, and every difference as names.

For a vehicle (or a convoy: the set of its vehicles) B is who boarded it and A who arrived on
it (scanned off, or registered at reception as having come on it). People are counted once
per deduplication cluster (fieldreg.clusters): a person registered at two stations after one
trip is one person; two records of one person on one vehicle are "counted twice". Then

    arrived - boarded = |arrived without boarding (anywhere)| + |came, boarded another vehicle|
                      - |boarded, never arrived (anywhere)| - |went, arrived on another vehicle|

holds by construction, so every difference is a list of names and ``unexplained`` is 0
unless the data is inconsistent. The manifest count (``expected``) has no names: its gap to
the boarded count is given as a number (import the manifest as a list to see names).
Across stations (at HQ), fieldreg/transit.py: in transit (boarded, not arrived anywhere) and
overdue (boarded more than N hours ago, not arrived anywhere).

At HQ a boarded person with no arrival on any vehicle who was found at a station after the
boarding through another record of their cluster (fieldreg/found_arrivals.py) has arrived:
they count in ``arrived`` (``arrived_elsewhere`` says how many of those came so) and are named
in their own list, "arrived elsewhere (found by deduplication)", never among the boarded and
not arrived. The equation above still holds: they are in both ``boarded`` and ``arrived``.
At a station (no clusters) nothing is found this way.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlite_utils import Database

from fieldreg import boarding, clusters, convoys, found_arrivals, stats
from fieldreg.db import rows as db_rows

LISTS = (
    "boarded_not_arrived", "arrived_without_boarding", "on_two_vehicles", "counted_twice",
    "unknown_tags", "arrived_elsewhere",
)  # fmt: skip
SHOWN = 500  # names per list on a page; exports carry them all


@dataclass
class Trips:
    """Every boarding and arrival known here, keyed by person (cluster) or unknown code."""

    vehicles: dict[str, dict]
    facts: dict[str, dict[str, dict[str, set]]] = field(default_factory=dict)
    where: dict[str, dict[str, set]] = field(default_factory=dict)
    last_board: dict[str, str] = field(default_factory=dict)
    records: dict[str, set] = field(default_factory=dict)
    clustered: bool = False
    elsewhere: dict[str, dict] = field(default_factory=dict)

    def add(self, vehicle_id: str, kind: str, key: str, record: str, at: str) -> None:
        """Note that ``key`` (as record ``record``) boarded or arrived on a vehicle at ``at``."""
        self.facts.setdefault(vehicle_id, {"board": {}, "arrive": {}})
        self.facts[vehicle_id][kind].setdefault(key, set()).add(record)
        self.where.setdefault(key, {"board": set(), "arrive": set()})[kind].add(vehicle_id)
        self.records.setdefault(key, set()).add(record)
        if kind == "board" and at > self.last_board.get(key, ""):
            self.last_board[key] = at

    def arrived(self, key: str) -> bool:
        """Say whether ``key`` arrived anywhere: off a vehicle, or found by deduplication."""
        return bool(self.where[key]["arrive"]) or key in self.elsewhere

    def people(self, vehicle_ids, kind: str) -> dict[str, set]:
        """Return who boarded (or arrived on) any of these vehicles, with their records."""
        found: dict[str, set] = defaultdict(set)
        for vehicle_id in vehicle_ids:
            for key, held in self.facts.get(vehicle_id, {}).get(kind, {}).items():
                found[key] |= held
        return found


def _resolved(db: Database, unknown: set[str]) -> dict[str, list[str]]:
    """Return the people each scanned code names now (codes scanned before their record came)."""
    found: dict[str, list[str]] = defaultdict(list)
    for start in range(0, len(unknown), 500):
        chunk = sorted(unknown)[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in db_rows(
            db,
            f"select code, id from people where deleted = 0 and code in ({marks}) union all "
            "select h.code, p.id from households h join people p on p.household_id = h.id "
            f"where p.deleted = 0 and h.code in ({marks}) union all "
            "select c.code, p.id from codes c join people p on p.id = c.record_id or "
            f"p.household_id = c.record_id where p.deleted = 0 and c.code in ({marks})",
            chunk * 3,
        ):
            found[row["code"]].append(row["id"])
    return found


def load(db: Database, period: stats.Period | None = None) -> Trips:
    """Read every scan and every registration linked to a vehicle."""
    found = clusters.person_clusters(db)
    trips = Trips(convoys.all_vehicles(db), clustered=found is not None)
    cond, params = _period(period, "at")
    scans = db_rows(
        db,
        f"select vehicle_id, kind, person_id, code, at, station from convoy_scans where 1{cond}",
        params,
    )
    codes = _resolved(db, {row["code"] for row in scans if not row["person_id"]})
    own = _registered_at(db, period.station if period else None, scans, codes)
    for row in scans:
        ids = [row["person_id"]] if row["person_id"] else codes.get(row["code"])
        for pid in ids or [None]:
            if own is not None and (own(pid) if pid else row["station"] != period.station):
                continue
            key = clusters.cluster_of(found, pid) if pid else "code:" + row["code"]
            trips.add(row["vehicle_id"], row["kind"], key, pid or row["code"], row["at"])
    cond, params = _period(period, "h.arrived_at")
    if period and period.station is not None:
        cond, params = cond + " and h.station = ?", [*params, period.station]
    for row in db_rows(
        db,
        "select h.arrival_vehicle_id vid, p.id, h.arrived_at at from households h join people p "
        "on p.household_id = h.id where h.arrival_vehicle_id is not null and p.deleted = 0 "
        f"and h.deleted = 0{cond}",
        params,
    ):
        trips.add(row["vid"], "arrive", clusters.cluster_of(found, row["id"]), row["id"],
                  row["at"] or "")  # fmt: skip
    if trips.clustered:
        waiting = {
            k: trips.last_board[k]
            for k, seen in trips.where.items()
            if seen["board"] and not seen["arrive"] and not k.startswith("code:")
        }
        on_board = {r for k in waiting for r in trips.records[k]}
        trips.elsewhere = found_arrivals.find(db, waiting, set(found.values()), on_board,
                                              period.until if period else None)  # fmt: skip
    return trips


def _registered_at(db: Database, station: str | None, scans: list, codes: dict):
    """Return a test telling a person registered elsewhere than ``station`` (None: no test).

    A station's convoy figures count its own people (and the unknown tags scanned there),
    never the shared copies of other stations' people it holds."""
    if station is None:
        return None
    ids = list({row["person_id"] for row in scans if row["person_id"]}
               | {pid for found in codes.values() for pid in found})  # fmt: skip
    here: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = (
            "select p.id from people p join households h on h.id = p.household_id "
            f"where h.station = ? and p.id in ({marks})"
        )
        here.update(row["id"] for row in db_rows(db, sql, [station, *chunk]))
    return lambda pid: pid not in here


def _period(period: stats.Period | None, column: str) -> tuple[str, list]:
    """Return ``" and ..."`` conditions on a time column for a period (nothing without one)."""
    clauses, params = "", []
    if period and period.since:
        clauses += f" and {column} >= ?"
        params.append(period.since)
    if period and period.until:
        clauses += f" and {column} < ?"
        params.append(period.until)
    return clauses, params


def differences(trips: Trips, vehicle_ids: list[str]) -> dict:
    """Reconcile a set of vehicles: counts, the named differences, the explanation."""
    inside = set(vehicle_ids)
    boarded, arrived = trips.people(inside, "board"), trips.people(inside, "arrive")
    went = [k for k in boarded if k not in arrived and trips.where[k]["arrive"]]
    came = [k for k in arrived if k not in boarded and trips.where[k]["board"]]
    elsewhere = [k for k in boarded if k in trips.elsewhere]
    lists = {
        "boarded_not_arrived": [k for k in boarded if not trips.arrived(k)],
        "arrived_without_boarding": [k for k in arrived if not trips.where[k]["board"]],
        "on_two_vehicles": [
            k for k in {**boarded, **arrived}
            if len(trips.where[k]["board"] | trips.where[k]["arrive"]) > 1
        ],
        "counted_twice": [
            k for k in {**boarded, **arrived}
            if len(boarded.get(k, set()) | arrived.get(k, set())) > 1
        ],
        "unknown_tags": [k for k in {**boarded, **arrived} if k.startswith("code:")],
        "arrived_elsewhere": elsewhere,
    }  # fmt: skip
    gap = len(arrived) + len(elsewhere) - len(boarded)
    named = len(lists["arrived_without_boarding"]) + len(came)
    named -= len(lists["boarded_not_arrived"]) + len(went)
    expected = [trips.vehicles[v]["expected"] for v in vehicle_ids if v in trips.vehicles]
    manifest = sum(n for n in expected if n is not None) if any(
        n is not None for n in expected) else None  # fmt: skip
    return {
        "expected": manifest,
        "boarded": len(boarded),
        "arrived": len(arrived) + len(elsewhere),
        "arrived_on_vehicle": len(arrived),
        "arrived_elsewhere": len(elsewhere),
        "clustered": trips.clustered,
        "boarded_records": sum(len(held) for held in boarded.values()),
        "arrived_records": sum(len(held) for held in arrived.values()),
        "lists": lists,
        "explanation": {
            "arrived_minus_boarded": gap,
            "arrived_without_boarding": len(lists["arrived_without_boarding"]),
            "came_from_other_vehicles": len(came),
            "boarded_not_arrived": len(lists["boarded_not_arrived"]),
            "went_to_other_vehicles": len(went),
            "unexplained": gap - named,
            "expected_minus_boarded": None if manifest is None else manifest - len(boarded),
        },
    }


def vehicle(db: Database, vehicle_id: str, limit: int | None = SHOWN) -> dict:
    """Reconcile one vehicle, with names."""
    row = convoys.get_vehicle(db, vehicle_id)
    trips = load(db)
    found = differences(trips, [vehicle_id])
    return {"id": vehicle_id, "label": row["name"], **_named(db, trips, found, limit)}


def convoy(db: Database, convoy_id: str, limit: int | None = SHOWN) -> dict:
    """Reconcile a convoy (all its vehicles) and each of its vehicles, with names."""
    row = convoys.get_convoy(db, convoy_id)
    trips = load(db)
    ids = [v["id"] for v in row["vehicles"]]
    found = differences(trips, ids)
    per_vehicle = []
    for v in row["vehicles"]:
        part = differences(trips, [v["id"]])
        part.pop("lists")
        per_vehicle.append({"id": v["id"], "label": v["name"], "kind": v["kind"],
                            "announced": v["announced"], **part})  # fmt: skip
    named = _named(db, trips, found, limit)
    return {"id": convoy_id, "label": row["reference"], **named, "vehicles": per_vehicle}


def _named(db: Database, trips: Trips, found: dict, limit: int | None) -> dict:
    """Replace the keys in each list by who they are (name, code, station, vehicles)."""
    wanted = {k: v[:limit] if limit else v for k, v in found["lists"].items()}
    people = describe(db, {k for keys in wanted.values() for k in keys}, trips)
    order = lambda keys: sorted(keys, key=lambda k: people[k]["sort"])  # noqa: E731
    lists = {name: [public(people[k]) for k in order(keys)] for name, keys in wanted.items()}
    totals = {name: len(keys) for name, keys in found["lists"].items()}
    return {**found, "lists": lists, "list_sizes": totals}


def describe(db: Database, keys: set[str], trips: Trips) -> dict[str, dict]:
    """Describe each key: a person (the first of their records), or an unknown code."""
    records = {key: sorted(trips.records[key]) for key in keys}
    info = _person_rows(db, {r for held in records.values() for r in held})
    described = {}
    for key, held in records.items():
        rows = [info[r] for r in held if r in info]
        first = rows[0] if rows else {"code": key.removeprefix("code:"), "name": "", "station": ""}
        described[key] = {
            **first,
            "records": [r["code"] for r in rows] or [first["code"]],
            "boarded_on": _names(trips, trips.where[key]["board"]),
            "arrived_on": _names(trips, trips.where[key]["arrive"]),
            "boarded_at": trips.last_board.get(key),
            "found": trips.elsewhere.get(key),
            "sort": (first["name"] or "~", first["code"]),
        }
    return described


def public(person: dict) -> dict:
    """Drop the sort key from a described person."""
    return {k: v for k, v in person.items() if k != "sort"}


def _names(trips: Trips, vehicle_ids: set[str]) -> list[str]:
    return sorted(trips.vehicles[v]["name"] if v in trips.vehicles else v[-6:] for v in vehicle_ids)


def _person_rows(db: Database, ids: set[str]) -> dict[str, dict]:
    """Return name, code and station of people (by id or scanned code)."""
    found, ids = {}, sorted(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in db_rows(
            db,
            "select p.id, p.code, p.given_name, p.father_name, p.family_name, h.station "
            f"from people p join households h on h.id = p.household_id where p.id in ({marks})",
            chunk,
        ):
            found[row["id"]] = {"id": row["id"], "code": row["code"], "station": row["station"],
                                "name": boarding.display_name(row)}  # fmt: skip
    return found


def figure(db: Database, period: stats.Period) -> dict | None:
    """Provide the dashboard's convoy panel (None where no vehicle is known)."""
    if not db_rows(db, "select 1 from vehicles where deleted = 0 limit 1"):
        return None
    trips = load(db, period)
    states = {"expected": 0, "in_transit": 0, "arrived": 0}
    kinds: dict[str, dict[str, int]] = {}
    for vid, row in trips.vehicles.items():
        seen = trips.facts.get(vid, {"board": {}, "arrive": {}})
        found = [k for k in seen["board"] if k in trips.elsewhere]  # their trip ended too
        landed = seen["arrive"] or found
        state = "arrived" if landed else "in_transit" if seen["board"] else "expected"
        states[state] += 1
        tally = kinds.setdefault(row["kind"], {"vehicles": 0, "boarded": 0, "arrived": 0})
        tally["vehicles"] += 1
        tally["boarded"] += len(seen["board"])
        tally["arrived"] += len(seen["arrive"]) + len(found)
    boarded = {k for k, seen in trips.where.items() if seen["board"]}
    arrived = {k for k in trips.where if trips.arrived(k)}
    count = db_rows(db, "select count(*) n from convoys where deleted = 0")[0]["n"]
    return {
        "convoys": count,
        "vehicles": {"total": len(trips.vehicles), **states,
                     "unannounced": sum(not v["announced"] for v in trips.vehicles.values())},
        "people": {"boarded": len(boarded), "arrived": len(arrived),
                   "in_transit": len(boarded - arrived),
                   "arrived_elsewhere": len(trips.elsewhere)},
        "by_vehicle_kind": kinds,
    }  # fmt: skip


def register() -> None:
    """Contribute the convoy panel to the figures."""
    stats.provide("convoys", figure)
