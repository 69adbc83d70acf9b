"""Convoys and their vehicles: records that sync like households, written only here.

A convoy (reference, origin, departure point, times, destination, agency) has vehicles (kind,
plate or number, driver's phone, the manifest's passenger count). Both are ``record`` tables:
a convoy made at a departure point or at HQ reaches every reception station with the next
sync, and a vehicle made at a reception station (an unannounced one) reaches HQ. Who boarded
and who arrived is in fieldreg/boarding.py; the counts and their differences in reconcile.py.

A vehicle's boarding and its arrivals are *closed* separately (the departure point closes
boarding, the reception station its arrivals): after that only coordinators and admins
(``convoys:manage``) change it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlite_utils import Database

from fieldreg import audit, ownership, records, tags
from fieldreg.db import insert_row, setting, update_row, write
from fieldreg.db import rows as db_rows
from fieldreg.errors import Conflict, NotFound
from fieldreg.schemas import messages as M
from sync import changelog, tables

CONVOY_FIELDS = (
    "reference", "agency", "origin", "departure_point", "destination", "planned_departure",
    "departed_at", "notes",
)  # fmt: skip
VEHICLE_FIELDS = (
    "convoy_id", "kind", "label", "plate", "driver_phone", "expected", "announced", "notes",
)  # fmt: skip
CLOSED_COLUMN = {"boarding": "boarding_closed", "arrivals": "arrival_closed"}
SIDE_OF_SCAN = {"board": "boarding", "arrive": "arrivals"}


def _plain(value: Any) -> Any:
    """Store datetimes in UTC ISO text, UUIDs and booleans as text and integers."""
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return value.isoformat(timespec="seconds")
    if isinstance(value, bool):
        return int(value)
    if value is not None and not isinstance(value, int | str):
        return str(value)
    return value


def _columns(data: dict, names: tuple[str, ...]) -> dict:
    """Pick the stored columns of loaded data (only the fields that were sent)."""
    return {name: _plain(data[name]) for name in names if name in data}


def _create(db: Database, tbl: str, row: dict, actor: str | None) -> None:
    """Insert a new record with its change-log entry and audit line (inside a write)."""
    insert_row(db, tbl, row)
    changelog.record_many(db, [(tbl, row["id"], "upsert", row)], fresh=True)
    audit.log(db, actor, "create", tbl, row["id"])


def _stamped(data: dict, names: tuple[str, ...], db: Database, actor: str | None) -> dict:
    """Return a new row: the sent fields, an id (the client's if it sent one), stamps."""
    stamp = tags.now()
    return {
        **_columns(data, names),
        "id": str(data["id"]) if data.get("id") else records.new_id(),
        "station": setting(db, "station_code"),
        "created_at": stamp,
        "updated_at": stamp,
        "created_by": actor,
    }


def create_convoy(db: Database, data: dict, actor: str | None) -> dict:
    """Create a convoy; the same client-made id again answers the convoy made the first time.

    An id that names another station's convoy, or a record of another table, is refused
    (409): a client-made id is an idempotency key, never a way to adopt a record (issue 13).
    """
    with write(db):
        if data.get("id") and ownership.claim_id(db, "convoys", str(data["id"])):
            return get_convoy(db, str(data["id"]))
        row = _stamped(data, CONVOY_FIELDS, db, actor)
        _create(db, "convoys", row, actor)
    return get_convoy(db, row["id"])


def create_vehicle(db: Database, data: dict, actor: str | None) -> dict:
    """Add a vehicle to a convoy, or an unannounced one (no convoy, or announced false)."""
    with write(db):
        if data.get("id") and ownership.claim_id(db, "vehicles", str(data["id"])):
            return get_vehicle(db, str(data["id"]))
        if data.get("convoy_id"):
            convoy_row(db, str(data["convoy_id"]))
        row = _stamped(data, VEHICLE_FIELDS, db, actor)
        _create(db, "vehicles", row, actor)
    return get_vehicle(db, row["id"])


def _correct(db: Database, tbl: str, row: dict, changes: dict, actor: str | None) -> None:
    """Write the changed columns of a record, with change-log entry and audit line."""
    changes = {k: v for k, v in changes.items() if row.get(k) != v}
    if not changes:
        return
    changes["updated_at"] = tags.now()
    update_row(db, tbl, row["id"], changes)
    changelog.record(db, tbl, row["id"], "upsert", changes)
    audit.log(db, actor, "update", tbl, row["id"], ",".join(sorted(changes)))


def update_convoy(db: Database, convoy_id: str, data: dict, actor: str | None) -> dict:
    """Correct a convoy's fields; only the fields sent change."""
    with write(db):
        _correct(db, "convoys", convoy_row(db, convoy_id), _columns(data, CONVOY_FIELDS), actor)
    return get_convoy(db, convoy_id)


def update_vehicle(db: Database, vehicle_id: str, data: dict, actor: str | None) -> dict:
    """Correct a vehicle's fields (only coordinators may: the route says so)."""
    with write(db):
        row = vehicle_row(db, vehicle_id)
        if data.get("convoy_id"):
            convoy_row(db, str(data["convoy_id"]))
        _correct(db, "vehicles", row, _columns(data, VEHICLE_FIELDS), actor)
    return get_vehicle(db, vehicle_id)


def set_closed(db: Database, vehicle_id: str, side: str, closed: bool, actor: str | None) -> dict:
    """Close (or reopen) a vehicle's boarding or its arrivals."""
    column = CLOSED_COLUMN[side]
    with write(db):
        row = vehicle_row(db, vehicle_id)
        changes = {f"{column}_at": tags.now() if closed else None, f"{column}_by": actor}
        if bool(row[f"{column}_at"]) != closed:
            _correct(db, "vehicles", row, changes, actor)
    return get_vehicle(db, vehicle_id)


def check_open(vehicle: dict, scan_kind: str, may_change_closed: bool) -> None:
    """Refuse a change to a closed side of a vehicle by someone who may not make it."""
    side = SIDE_OF_SCAN[scan_kind]
    if vehicle[f"{CLOSED_COLUMN[side]}_at"] and not may_change_closed:
        said = M.BOARDING_CLOSED if side == "boarding" else M.ARRIVALS_CLOSED
        raise Conflict(str(said), {"vehicle": [str(said)]}, "vehicle_closed")


def _rows(db: Database, tbl: str, record_id: str) -> list[dict]:
    return db_rows(db, f"select * from {tbl} where id = ? and deleted = 0", [record_id])


def convoy_row(db: Database, convoy_id: str) -> dict:
    """Return a convoy's row, or raise NotFound."""
    found = _rows(db, "convoys", convoy_id)
    if not found:
        raise NotFound("No convoy has this id.")
    return found[0]


def vehicle_row(db: Database, vehicle_id: str) -> dict:
    """Return a vehicle's row, or raise NotFound."""
    found = _rows(db, "vehicles", vehicle_id)
    if not found:
        raise NotFound("No vehicle has this id.")
    return found[0]


def vehicle_view(row: dict) -> dict:
    """Shape a vehicle row like VehicleSchema (booleans as booleans)."""
    return {**row, "announced": bool(row["announced"]), "name": vehicle_name(row)}


def vehicle_name(row: dict) -> str:
    """Name a vehicle for people: its label, else its plate, else its kind and short id."""
    return row.get("label") or row.get("plate") or f"{row['kind']} {row['id'][-6:]}"


def get_vehicle(db: Database, vehicle_id: str) -> dict:
    """Return a vehicle."""
    return vehicle_view(vehicle_row(db, vehicle_id))


def get_convoy(db: Database, convoy_id: str) -> dict:
    """Return a convoy with its vehicles."""
    row = convoy_row(db, convoy_id)
    return {**row, "vehicles": vehicles_of(db, convoy_id)}


def vehicles_of(db: Database, convoy_id: str | None) -> list[dict]:
    """Return a convoy's vehicles (or those with no convoy), in the order they were added."""
    sql = "select * from vehicles where deleted = 0 and convoy_id "
    sql += "= ?" if convoy_id else "is null"
    found = db_rows(db, sql + " order by created_at, id", [convoy_id] if convoy_id else [])
    return [vehicle_view(row) for row in found]


def list_convoys(db: Database) -> list[dict]:
    """Return every convoy known here, newest first, with how many vehicles each has."""
    return db_rows(
        db,
        "select c.*, (select count(*) from vehicles v where v.convoy_id = c.id and "
        "v.deleted = 0) as vehicle_count from convoys c where c.deleted = 0 "
        "order by coalesce(c.planned_departure, c.created_at) desc, c.id desc",
    )


def all_vehicles(db: Database) -> dict[str, dict]:
    """Return every vehicle known here, by id."""
    found = db_rows(db, "select * from vehicles where deleted = 0 order by created_at, id")
    return {row["id"]: vehicle_view(row) for row in found}


# Any station may close (or reopen) a vehicle's boarding or arrivals, not only the one that
# made it (sync authority, issue 13); convoys and vehicles hold no evacuee's data, so every
# station receives them whole (need to know).
CLOSING = ("boarding_closed_at", "boarding_closed_by", "arrival_closed_at", "arrival_closed_by")


def register() -> None:
    """Contribute the convoys and vehicles tables to sync."""
    tables.register("convoys", "record", quiet=tables.BOOKKEEPING, shared=tables.ALL)
    tables.register(
        "vehicles",
        "record",
        quiet=tables.BOOKKEEPING,
        open_columns=(*CLOSING, "updated_at"),
        shared=tables.ALL,
    )
