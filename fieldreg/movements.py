"""Movements: who left the station, to where and how, and who came back.

Each movement is a fact in time, one row per person moved (a household's departure is a
row for each member still present), synced with op ``append``. The person's ``status``
(present, departed, transferred) and the household's follow it, synced with op ``upsert``.
A household is present while any member is. Arrival is the registration itself.
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from fieldreg import audit, committer, medical, provenance, records, subject, tags, tallies
from fieldreg.db import insert_row, update_row, write
from fieldreg.errors import Conflict
from sync import changelog, tables

LEFT = ("departed", "transferred")


def move_person(db: Database, code: str, data: dict, actor: str | None) -> dict:
    """Record that one person left, was transferred, or came back (group-committed)."""
    return committer.run(db, _move_person, code, data, actor)


def _move_person(db: Database, code: str, data: dict, actor: str | None) -> dict:
    with write(db):
        person = records.get_person(db, code)
        household = records.get_household(db, person["household_code"])
        member = next(m for m in household["members"] if m["id"] == person["id"])
        if data["kind"] in LEFT and member["status"] != "present":
            raise Conflict(
                "This person has already left the station.", {"kind": ["Left."]}, "already_left"
            )
        if data["kind"] == "returned" and member["status"] == "present":
            raise Conflict(
                "This person is at the station.", {"kind": ["Already present."]}, "already_present"
            )
        return _move(db, household, [member], data, actor)


def move_household(db: Database, code: str, data: dict, actor: str | None) -> dict:
    """Record that a household (its members still here, or those away) left or came back."""
    return committer.run(db, _move_household, code, data, actor)


def _move_household(db: Database, code: str, data: dict, actor: str | None) -> dict:
    with write(db):
        household = records.get_household(db, code)
        members = household["members"]
        if data["kind"] in LEFT:
            targets = [m for m in members if m["status"] == "present"]
            message = "Everyone in this household has already left the station."
            code = "already_left"
        else:
            targets = [m for m in members if m["status"] != "present"]
            message = "Everyone in this household is at the station."
            code = "already_present"
        if not targets:
            raise Conflict(message, {"kind": [message]}, code)
        return _move(db, household, targets, data, actor)


def _move(db: Database, household: dict, targets: list[dict], data: dict, actor) -> dict:
    """Append a movement for each target, then update their and the household's status."""
    stamp = tags.now()
    status = "present" if data["kind"] == "returned" else data["kind"]
    moved = []
    for member in targets:
        row = _row(db, household["id"], member, data, actor, stamp)
        insert_row(db, "movements", row)
        changelog.record(db, "movements", row["id"], "append", row)
        changes = {"status": status, "updated_at": stamp}
        update_row(db, "people", member["id"], changes)
        changelog.record(db, "people", member["id"], "upsert", changes)
        audit.log(db, actor, "movement", "people", member["id"], data["kind"])
        moved.append(view(row, member["code"]))
    household = records.get_household(db, household["code"])
    _settle_household(db, household, stamp)
    household = records.get_household(db, household["code"])
    return {
        "movements": moved,
        "status": household["status"],
        "people": {m["code"]: m["status"] for m in household["members"]},
    }


def _row(db: Database, household_id: str, member: dict, data: dict, actor, stamp: str) -> dict:
    """Build one movement row; a transfer without a destination goes to the referral's hospital."""
    destination = dict(data.get("destination") or {})
    if data["kind"] == "transferred":
        referral = medical.current_referral(db, member["id"]) or {}
        destination.setdefault("name", referral.get("hospital"))
        if destination.get("kind", "unknown") == "unknown":
            destination["kind"] = "hospital"
    at = data.get("at")
    if at is not None:  # stored in UTC like every other time, so that text order is time order
        at = at.astimezone(dt.UTC) if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return {
        "id": records.new_id(),
        "household_id": household_id,
        "person_id": member["id"],
        "kind": data["kind"],
        "destination_kind": destination.get("kind") if data["kind"] != "returned" else None,
        "destination_name": destination.get("name"),
        "destination_place": destination.get("place"),
        "transport": data.get("transport"),
        "note": data.get("note"),
        "actor": actor,
        "at": at.isoformat(timespec="seconds") if at else stamp,
    }


def _settle_household(db: Database, household: dict, stamp: str) -> None:
    """Set the household's status from its members': present while anyone is."""
    statuses = {m["status"] for m in household["members"]}
    if "present" in statuses:
        status = "present"
    else:
        status = "transferred" if statuses == {"transferred"} else "departed"
    if status != household["status"]:
        changes = {"status": status, "updated_at": stamp}
        db.table("households").update(household["id"], changes)
        changelog.record(db, "households", household["id"], "upsert", changes)


def view(row: dict, person_code: str) -> dict:
    """Shape a movement row like MovementSchema."""
    return {
        **{k: row[k] for k in ("id", "kind", "transport", "note", "actor")},
        "at": dt.datetime.fromisoformat(row["at"]),
        "person_code": person_code,
        "destination": {
            "kind": row["destination_kind"],
            "name": row["destination_name"],
            "place": row["destination_place"],
        },
    }


def history(db: Database, household_id: str, person_id: str | None = None) -> list[dict]:
    """Return the movements of a household (or of one of its members), newest first."""
    sql = (
        "select m.*, p.code person_code from movements m join people p on p.id = m.person_id "
        "where m.household_id = ?"
    )
    params = [household_id]
    if person_id:
        sql += " and m.person_id = ?"
        params.append(person_id)
    rows = db.query(sql + " order by m.at desc, m.id desc", params)
    return provenance.mark(db, "movements", [view(r, r["person_code"]) for r in rows])


def counts(db: Database, station: str | None = None) -> dict:
    """Return presence and departures by destination of the people registered at a station
    (None: every station), for the figures."""
    presence = {"present": 0, "departed": 0, "transferred": 0, **tallies.statuses(db, station)}
    # Where each person who is away went: their latest movement (running figures).
    departures = {dest or "unknown": n for dest, n in tallies.departures(db, station).items()}
    return {"presence": presence, "departures_by_destination": departures}


def _held(db: Database, person: dict) -> list[dict]:
    """Return the person's movements, for 'everything held about a person'."""
    moves = history(db, person["household_id"], person["id"])
    return [{**m, "at": m["at"].isoformat()} for m in moves]


def _erase(db: Database, person: dict) -> None:
    """Delete the person's movements, each with a tombstone that syncs."""
    for row in db.query("select id from movements where person_id = ?", [person["id"]]):
        changelog.record(db, "movements", row["id"], "delete", {"reason": "erased"})
    db.execute("delete from movements where person_id = ?", [person["id"]])


def _forget(db: Database, person: dict) -> None:
    """Delete the movements of a person erased elsewhere (the eraser's tombstones travel)."""
    db.execute("delete from movements where person_id = ?", [person["id"]])


def register() -> None:
    """Contribute the movements table to sync and to what is held about (and erased of) a person."""
    tables.register("movements", "append", about=("people", "person_id"))
    subject.provider("movements", _held, _erase, _forget)
