"""Boarding and arrival by scan: who got on which vehicle, who got off where.

A scan is a fact in time (``convoy_scans``, synced with op ``append``), one row per person: a
household tag scanned at the door means every member is there; a person's own tag means that
person. A code this site does not know yet (a person registered at another station whose
record has not arrived by sync, a pre-printed tag bound nowhere) is kept as it was scanned,
with no person, and shown in the reconciliation until its record arrives.

    scan(code, board|arrive)
      already on this vehicle (this side)   -> 409 already_scanned, nothing written
      on another vehicle already            -> written, answered "warning" with that vehicle
      unknown code                          -> written without a person, answered "unknown"
      otherwise                             -> written, answered "ok"

A tablet that scans offline sends each scan later through its outbox with a ``client_id``:
the same ``client_id`` again answers what was written the first time, never twice.
People registered at a reception station without a tag are linked to the vehicle they came
on through their household (``arrival.vehicle_id``): they count as arrived on it.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlite_utils import Database

from fieldreg import audit, codes, committer, convoys, records, subject, tags
from fieldreg.db import insert_row, write
from fieldreg.db import rows as db_rows
from fieldreg.errors import Conflict, InvalidCode
from sync import changelog, tables

PERSON_SQL = (
    "select p.id, p.code, p.given_name, p.father_name, p.family_name from people p "
    "where p.deleted = 0 and "
)


def display_name(person: dict) -> str:
    """Write a person's name as the registrar reads it: given, father's, family."""
    parts = (person.get("given_name"), person.get("father_name"), person.get("family_name"))
    return " ".join(part for part in parts if part) or "—"


def resolve(db: Database, code: str) -> tuple[str, list[dict]]:
    """Return what a code names here: ("household"|"person"|"unknown", the people)."""
    _code, kind, record_id = tags.lookup(db, code)
    if kind == "household" and record_id:
        return "household", db_rows(db, PERSON_SQL + "p.household_id = ? order by p.position",
                                    [record_id])  # fmt: skip
    if kind == "person" and record_id:
        return "person", db_rows(db, PERSON_SQL + "p.id = ?", [record_id])
    found = db_rows(db, PERSON_SQL + "p.code = ?", [code])
    if found:
        return "person", found
    members = db_rows(
        db,
        PERSON_SQL + "p.household_id in (select id from households where code = ? and "
        "deleted = 0) order by p.position",
        [code],
    )
    return ("household", members) if members else ("unknown", [])


def scan(db: Database, vehicle_id: str, data: dict, actor: str | None, may_change_closed: bool):
    """Record a boarding or arrival scan (group-committed); return what it did."""
    return committer.run(db, _scan, vehicle_id, data, actor, may_change_closed)


def _scan(db: Database, vehicle_id: str, data: dict, actor, may_change_closed: bool) -> dict:
    with write(db):
        return _scan_in(db, vehicle_id, data, actor, may_change_closed)


def _scan_in(db: Database, vehicle_id: str, data: dict, actor, may_change_closed: bool) -> dict:
    client_id = str(data["client_id"]) if data.get("client_id") else None
    vehicle = convoys.vehicle_row(db, vehicle_id)
    code = codes.parse(data["code"])
    if code is None:
        raise InvalidCode(
            "Not a valid code.", {"code": ["Not a valid code (check the typing)."]}, "invalid_code"
        )
    if client_id and (done := _replay(db, vehicle, data["kind"], code, client_id)):
        return done
    convoys.check_open(vehicle, data["kind"], may_change_closed)
    record_kind, people = resolve(db, code)
    on_board = _scanned_here(db, vehicle_id, data["kind"], code, people)
    fresh = [p for p in people if p["id"] not in on_board]
    if (people and not fresh) or (not people and None in on_board):
        names = ", ".join(display_name(p) for p in people) or code
        raise Conflict(
            f"Already scanned on this vehicle: {names}.",
            {"code": ["Already scanned on this vehicle."]},
            "already_scanned",
        )
    at = _when(data.get("at"))
    for person in fresh or [None]:
        _insert(db, vehicle_id, data["kind"], person, code, record_kind, at, actor, client_id)
    audit.log(db, actor, data["kind"], "vehicles", vehicle_id, code)
    return _answer(db, vehicle, data["kind"], code, record_kind, fresh, people)


def _when(value) -> str:
    """Return the scan's time in UTC: the tablet's (it may have been offline), else now."""
    if not value:
        return tags.now()
    value = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return min(value.isoformat(timespec="seconds"), tags.now())


def _scanned_here(db: Database, vehicle_id: str, kind: str, code: str, people: list) -> set:
    """Return who of these people (None: the unknown code itself) is already scanned here."""
    rows = db_rows(
        db,
        "select person_id from convoy_scans where vehicle_id = ? and kind = ? and "
        "(person_id in (select value from json_each(?)) or (person_id is null and code = ?))",
        [vehicle_id, kind, _json_ids(people), code],
    )
    return {row["person_id"] for row in rows}


def _json_ids(people: list[dict]) -> str:
    return json.dumps([p["id"] for p in people])


def _insert(db, vehicle_id, kind, person, code, record_kind, at, actor, client_id) -> None:
    """Write one scan row with its change-log entry (op append)."""
    row = {
        "id": records.new_id(),
        "vehicle_id": vehicle_id,
        "kind": kind,
        "person_id": person["id"] if person else None,
        "code": person["code"] if person else code,
        "via": code if record_kind == "household" else None,
        "at": at,
        "station": changelog.site_of(db),
        "actor": actor,
        "device": audit.current_device.get(),
        "client_id": client_id,
    }
    insert_row(db, "convoy_scans", row)
    changelog.record(db, "convoy_scans", row["id"], "append", row)


def _replay(db: Database, vehicle: dict, kind: str, code: str, client_id: str) -> dict | None:
    """Answer a scan delivered again (same client_id) with what it wrote the first time."""
    rows = db_rows(
        db,
        "select s.person_id, s.code, p.given_name, p.father_name, p.family_name "
        "from convoy_scans s left join people p on p.id = s.person_id where s.client_id = ?",
        [client_id],
    )
    if not rows:
        return None
    added = [{**row, "id": row["person_id"]} for row in rows if row["person_id"]]
    record_kind = "unknown" if not added else "household" if len(rows) > 1 else "person"
    answer = _answer(db, vehicle, kind, code, record_kind, added, added)
    return {**answer, "replayed": True}


def _answer(db, vehicle, kind, code, record_kind, fresh, people) -> dict:
    """Say what a scan did, and where else these people are scanned."""
    elsewhere = _elsewhere(db, vehicle["id"], kind, [p["id"] for p in fresh])
    already = [p for p in people if p not in fresh]
    status = "unknown" if record_kind == "unknown" else "warning" if elsewhere else "ok"
    return {
        "status": status,
        "message": _message(status, fresh, elsewhere, code),
        "code": code,
        "kind": kind,
        "record_kind": record_kind,
        "added": [_shown(p) for p in fresh],
        "already": [_shown(p) for p in already],
        "elsewhere": elsewhere,
        "counts": counts(db, vehicle),
        "replayed": False,
    }


def _shown(person: dict) -> dict:
    return {"code": person["code"], "name": display_name(person)}


def _message(status: str, fresh: list, elsewhere: list, code: str) -> str:
    if status == "unknown":
        return f"Unknown tag {code}: recorded; it is matched when its record arrives."
    names = ", ".join(display_name(p) for p in fresh)
    if status == "warning":
        where = ", ".join(sorted({e["vehicle"] for e in elsewhere}))
        return f"{names}: recorded, but also scanned on {where}."
    return f"{names}: recorded."


def _elsewhere(db: Database, vehicle_id: str, kind: str, person_ids: list[str]) -> list[dict]:
    """Return these people's scans of the same kind on other vehicles."""
    if not person_ids:
        return []
    rows = db_rows(
        db,
        "select distinct s.person_id, s.code, v.id vid, v.label, v.plate, v.kind vkind "
        "from convoy_scans s join vehicles v on v.id = s.vehicle_id where s.kind = ? and "
        "s.vehicle_id != ? and s.person_id in (select value from json_each(?))",
        [kind, vehicle_id, json.dumps(person_ids)],
    )
    return [
        {
            "code": row["code"],
            "name": "",
            "vehicle": convoys.vehicle_name(
                {
                    "id": row["vid"],
                    "label": row["label"],
                    "plate": row["plate"],
                    "kind": row["vkind"],
                }  # fmt: skip
            ),
        }
        for row in rows
    ]


def counts(db: Database, vehicle: dict) -> dict:
    """Return a vehicle's expected, boarded and arrived people (scans and registrations)."""
    found = {"board": 0, "arrive": 0}
    for row in db_rows(
        db,
        "select kind, count(distinct coalesce(person_id, code)) n from convoy_scans "
        "where vehicle_id = ? group by kind",
        [vehicle["id"]],
    ):
        found[row["kind"]] = row["n"]
    registered = db_rows(
        db,
        "select count(*) n from people p join households h on h.id = p.household_id where "
        "h.arrival_vehicle_id = ? and p.deleted = 0 and p.id not in (select person_id from "
        "convoy_scans where vehicle_id = ? and kind = 'arrive' and person_id is not null)",
        [vehicle["id"], vehicle["id"]],
    )[0]["n"]
    return {
        "expected": vehicle.get("expected"),
        "boarded": found["board"],
        "arrived": found["arrive"] + registered,
    }


def scanned_codes(db: Database, vehicle_id: str, kind: str) -> list[str]:
    """Return the codes scanned on a vehicle (people's and households'), for a tablet's page."""
    rows = db_rows(
        db,
        "select code from convoy_scans where vehicle_id = ? and kind = ? union "
        "select via from convoy_scans where vehicle_id = ? and kind = ? and via is not null",
        [vehicle_id, kind, vehicle_id, kind],
    )
    return sorted(row["code"] for row in rows)


def _held(db: Database, person: dict) -> list[dict]:
    """Return the person's boarding and arrival scans, for 'everything held about a person'."""
    return db_rows(
        db,
        "select s.kind, s.at, s.code, s.station, s.actor, v.label, v.plate, v.kind vehicle_kind "
        "from convoy_scans s left join vehicles v on v.id = s.vehicle_id "
        "where s.person_id = ? or (s.person_id is null and s.code = ?) order by s.at",
        [person["id"], person["code"]],
    )


def _erase(db: Database, person: dict) -> None:
    """Delete the person's scans, each with a tombstone that syncs, and empty their past log."""
    where = "person_id = ? or (person_id is null and code = ?)"
    params = [person["id"], person["code"]]
    for row in db_rows(db, f"select id from convoy_scans where {where}", params):
        # A scan kept by code alone does not name the person's id: subject's redaction of the
        # change log would miss it.
        db.execute("update changes set data = '{}' where tbl = 'convoy_scans' and "
                   "record_id = ? and op != 'delete'", [row["id"]])  # fmt: skip
        changelog.record(db, "convoy_scans", row["id"], "delete", {"reason": "erased"})
    db.execute(f"delete from convoy_scans where {where}", params)


def _forget(db: Database, person: dict) -> None:
    """Delete the scans of a person erased elsewhere (the eraser's tombstones travel)."""
    db.execute(
        "delete from convoy_scans where person_id = ? or (person_id is null and code = ?)",
        [person["id"], person["code"]],
    )


def register() -> None:
    """Contribute the scans table to sync and to what is held about (and erased of) a person."""
    # Codes and ids only (names travel with people): every station reconciles every vehicle.
    tables.register("convoy_scans", "append", about=("people", "person_id"), shared=tables.ALL)
    subject.provider("boarding", _held, _erase, _forget)
