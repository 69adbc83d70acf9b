"""Data subject rights and retention: show everything held about a person, erase a person.

What is held about a person is collected from the parts other areas hold (triage, movements),
each registered by ``fieldreg.wiring`` with ``provider("triage", collect, erase)``; every
declared part must be registered before a person is shown or erased. Erasure purges the personal
fields, the search keys and the personal content of past change-log entries, and records a
``delete`` tombstone so that sync cannot bring the person back. Retention erases closed
records (departed or transferred) untouched for longer than the configured number of days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from fieldreg import audit, records
from fieldreg.db import write
from fieldreg.errors import NotFound
from fieldreg.registry import Registry
from sync import changelog

Collect = Callable[[Database, dict], Any]
Erase = Callable[[Database, dict], None]
# The parts of a person's record other areas hold; each must be registered (fieldreg.wiring).
PARTS = Registry("what is held about a person", names=("triage", "movements", "boarding"))
PERSON_PURGED = {
    "given_name": None,
    "father_name": None,
    "mother_name": None,
    "family_name": None,
    "sex": None,
    "age_years": None,
    "age_estimated": 0,
    "date_of_birth": None,
    "relationship": None,
    "vulnerabilities": "[]",
    "status": "erased",
    "deleted": 1,
}
HOUSEHOLD_PURGED = {
    **{c: None for c in ("client_id", "client_hash", "transport", "vehicle_ref")},
    "arrival_vehicle_id": None,
    **{c: None for c in ("origin_district", "origin_neighbourhood", "phone", "phone_norm")},
    **{c: None for c in ("destination_kind", "destination_name", "destination_place", "notes")},
    "vulnerabilities": "[]",
    "status": "erased",
    "deleted": 1,
}
CLOSED = ("departed", "transferred")


def provider(name: str, collect: Collect, erase: Erase | None = None) -> None:
    """Register a part of what is held about a person (and how to erase it)."""
    PARTS.add(name, (collect, erase))


def parts() -> list[tuple[str, Collect, Erase | None]]:
    """Return every declared part as (name, collect, erase); raise NotWired if one is missing."""
    return [(name, *PARTS.get(name)) for name in PARTS.names]


def _person(db: Database, code: str) -> dict:
    rows = list(db.query("select * from people where code = ? and deleted = 0", [code]))
    if not rows:
        raise NotFound("No person has this code.")
    return rows[0]


def _audit_about(db: Database, person: dict) -> list[dict]:
    return list(
        db.query(
            "select at, actor, action, tbl, record_id, address, device from audit "
            "where record_id in (?, ?) order by id",
            [person["id"], person["household_id"]],
        )
    )


def everything(db: Database, code: str, actor: str | None) -> dict:
    """Collect everything held about a person, and audit that it was shown."""
    person = _person(db, code)
    person_view = records.get_person(db, code)
    household = records.get_household(db, person_view["household_code"])
    held: dict[str, Any] = {
        "person": person_view,
        "household": household,
        "audit": _audit_about(db, person),
        "other": {name: collect(db, person) for name, collect, _erase in parts()},
    }
    with write(db):
        audit.log(db, actor, "subject_access", "people", person["id"])
    return held


def _redact_changes(db: Database, record_id: str) -> None:
    """Empty the payload of every past change about this record (or naming its id)."""
    db.execute(
        "update changes set data = '{}' where op != 'delete' and "
        "(record_id = ? or instr(data, ?) > 0)",
        [record_id, record_id],
    )


def _erase_person_row(db: Database, person: dict, actor: str | None, why: str) -> None:
    for _name, _collect, erase in parts():
        if erase:
            erase(db, person)
    db.table("people").update(person["id"], PERSON_PURGED)
    db.execute("delete from people_search where person_id = ?", [person["id"]])
    _redact_changes(db, person["id"])
    changelog.record(db, "people", person["id"], "delete", {"reason": why})
    audit.log(db, actor, "erase", "people", person["id"], why)


def _erase_household_if_empty(db: Database, household_id: str, actor: str | None, why: str):
    left = list(
        db.query("select 1 from people where household_id = ? and deleted = 0", [household_id])
    )
    if left:
        return
    db.table("households").update(household_id, HOUSEHOLD_PURGED)
    _redact_changes(db, household_id)
    changelog.record(db, "households", household_id, "delete", {"reason": why})
    audit.log(db, actor, "erase", "households", household_id, why)


def erase_person(db: Database, code: str, actor: str | None, why: str = "request") -> str:
    """Erase a person (and their household once it has nobody left); return the person id."""
    with write(db):
        person = _person(db, code)
        _erase_person_row(db, person, actor, why)
        _erase_household_if_empty(db, person["household_id"], actor, why)
    return person["id"]


def purge_closed(db: Database, days: int, now: dt.datetime | None = None) -> int:
    """Erase people whose person or household is closed and untouched for ``days``."""
    if days <= 0:
        return 0
    cutoff = ((now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)).isoformat()
    marks = ",".join("?" * len(CLOSED))
    rows = list(
        db.query(
            "select p.* from people p join households h on h.id = p.household_id "
            f"where p.deleted = 0 and ((p.status in ({marks}) and p.updated_at < ?) "
            f"or (h.status in ({marks}) and h.updated_at < ?))",
            [*CLOSED, cutoff, *CLOSED, cutoff],
        )
    )
    with write(db):
        for person in rows:
            _erase_person_row(db, person, "retention", f"retention {days} days")
        for household_id in sorted({p["household_id"] for p in rows}):
            _erase_household_if_empty(db, household_id, "retention", f"retention {days} days")
    return len(rows)
