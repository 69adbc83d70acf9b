"""Data subject rights and retention: show everything held about a person, erase a person.

What is held about a person is collected from the parts other areas hold (triage, movements,
deduplication), each registered by ``fieldreg.wiring`` with
``provider("triage", collect, erase, forget)``; every declared part must be registered before
a person is shown or erased.

Erasure is the same on every path (the erase page, ``DELETE /api/v1/people/CODE``, retention
inside ``serve``, ``purge``): each part erases what it holds (with tombstones that sync), the
personal fields are purged, and ``_scrub`` removes every other trace but the tombstone: the
search keys (the full-text index deletes securely, migration m100), the payloads of past
change-log entries naming the person, held sync changes and sync conflicts about them. A
``delete`` tombstone is recorded so that sync erases the person at HQ and at the other
stations and cannot bring them back. Where that tombstone arrives (``forget_erased``, called
after every sync apply), each part forgets what it holds there and the same scrub runs,
recording nothing new: the erasing site's own tombstones travel. Retention erases closed
records (departed or transferred) untouched for longer than the configured number of days.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from fieldreg import audit, records, search_index
from fieldreg.db import write
from fieldreg.errors import NotFound
from fieldreg.registry import Registry
from sync import authority, changelog, tables

Collect = Callable[[Database, dict], Any]
Erase = Callable[[Database, dict], None]
# The parts of a person's record other areas hold; each must be registered (fieldreg.wiring).
PARTS = Registry(
    "what is held about a person",
    names=("triage", "movements", "boarding", "dedup", "tracing"),
)
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


def provider(
    name: str, collect: Collect, erase: Erase | None = None, forget: Erase | None = None
) -> None:
    """Register a part held about a person: show it, erase it, forget it when erased elsewhere."""
    PARTS.add(name, (collect, erase, forget))


def parts() -> list[tuple[str, Collect, Erase | None, Erase | None]]:
    """Return every declared part as (name, collect, erase, forget); raise NotWired if missing."""
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
        "other": {name: collect(db, person) for name, collect, *_erasers in parts()},
    }
    with write(db):
        audit.log(db, actor, "subject_access", "people", person["id"])
    return held


def _redact_changes(db: Database, tbl: str, ids: list[str]) -> None:
    """Empty the payload of every past change about these records or naming their ids."""
    wanted = json.dumps(ids)
    db.execute(
        "update changes set data = '{}' where op != 'delete' and tbl = ? and "
        "record_id in (select value from json_each(?))",
        [tbl, wanted],
    )
    # Facts about a record (triage, movements, decisions) name it by id in their payload.
    others = [name for name in tables.SYNCED if name not in ("people", "households")]
    marks = ",".join("?" * len(others))
    db.execute(
        f"update changes set data = '{{}}' where op != 'delete' and tbl in ({marks}) and "
        "exists (select 1 from json_each(changes.data) field "
        "where field.value in (select value from json_each(?)))",
        [*others, wanted],
    )
    # Changes held for a gap name them too; emptied, they apply as nothing (a tombstone wins).
    db.execute(
        "update sync_pending set data = '{}' where op != 'delete' and tbl = ? and "
        "record_id in (select value from json_each(?))",
        [tbl, wanted],
    )
    # A change set aside (kept for audit) keeps no payload of an erased person either.
    db.execute(
        "update sync_quarantine set data = '{}' where (tbl = ? and record_id in "
        "(select value from json_each(?))) or exists (select 1 from json_each("
        "sync_quarantine.data) field where field.value in (select value from json_each(?)))",
        [tbl, wanted, wanted],
    )
    db.execute(
        "delete from sync_conflicts where tbl = ? and "
        "record_id in (select value from json_each(?))",
        [tbl, wanted],
    )


def _scrub(db: Database, person_ids: list[str]) -> None:
    """Remove every trace of erased people but their tombstones (and of emptied households)."""
    if not person_ids:
        return
    search_index.erase_keys(db, person_ids)
    _redact_changes(db, "people", person_ids)
    marks = ",".join("?" * len(person_ids))
    emptied = [
        row["id"]
        for row in db.query(
            f"select distinct h.id from households h join people p on p.household_id = h.id "
            f"where p.id in ({marks}) and h.deleted = 1",
            person_ids,
        )
    ]
    if emptied:
        _redact_changes(db, "households", emptied)


def _erase_person_row(db: Database, person: dict, actor: str | None, why: str) -> None:
    """Erase each part held about a person, purge their fields, record the tombstone."""
    for _name, _collect, erase, _forget in parts():
        if erase:
            erase(db, person)
    db.table("people").update(person["id"], PERSON_PURGED)
    changelog.record(db, "people", person["id"], "delete", {"reason": why})
    audit.log(db, actor, "erase", "people", person["id"], why)


def _erase_household_if_empty(db: Database, household_id: str, actor: str | None, why: str):
    """Erase a household nobody is left in (purged fields and a tombstone)."""
    left = list(
        db.query("select 1 from people where household_id = ? and deleted = 0", [household_id])
    )
    if left:
        return
    db.table("households").update(household_id, HOUSEHOLD_PURGED)
    changelog.record(db, "households", household_id, "delete", {"reason": why})
    audit.log(db, actor, "erase", "households", household_id, why)


def erase_person(db: Database, code: str, actor: str | None, why: str = "request") -> str:
    """Erase a person (and their household once it has nobody left); return the person id."""
    with write(db):
        person = _person(db, code)
        _erase_person_row(db, person, actor, why)
        _erase_household_if_empty(db, person["household_id"], actor, why)
        _scrub(db, [person["id"]])
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
    # Another station's people are its own to keep or erase (sync authority, issue 13): its
    # erasure reaches this station through sync.
    rows = [p for p in rows if authority.may_write(db, "people", p["id"])]
    with write(db):
        for person in rows:
            _erase_person_row(db, person, "retention", f"retention {days} days")
        for household_id in sorted({p["household_id"] for p in rows}):
            if authority.may_write(db, "households", household_id):
                _erase_household_if_empty(db, household_id, "retention", f"retention {days} days")
        _scrub(db, [p["id"] for p in rows])
    return len(rows)


def erased_among(
    db: Database, touched: set[tuple[str, str]], created: dict | None = None
) -> tuple[list[str], list[str]]:
    """Return the erased people and households a sync apply touched (or facts naming them)."""
    # ``created`` (the apply's new rows, {(tbl, id): (rowid, row)}) are checked by one scan of
    # the newest rows rather than one lookup each: a batch is mostly new registrations.
    created = created or {}
    by_table: dict[str, list[str]] = {}
    for key in touched:
        if key not in created:
            by_table.setdefault(key[0], []).append(key[1])
    people = set(by_table.pop("people", ()))
    households = by_table.pop("households", [])
    for name, ids in by_table.items():
        if "person_id" in tables.columns(db, name):
            people.update(
                row["person_id"]
                for row in db.query(
                    f"select t.person_id from json_each(?) j join [{name}] t on t.id = j.value",
                    [json.dumps(ids)],
                )
            )
    new = {tbl: min(rowid for (t, _), (rowid, _row) in created.items() if t == tbl)
           for tbl in {t for t, _ in created} & {"people", "households"}}  # fmt: skip
    return (
        _deleted(db, "people", people, new.get("people")),
        _deleted(db, "households", households, new.get("households")),
    )


def _deleted(db: Database, tbl: str, ids, newer_than: int | None = None) -> list[str]:
    """Return which of these records (and of the rows from ``newer_than`` on) are erased."""
    found = []
    if ids:
        ids = list(ids)
        found = [
            row[0]
            for row in db.execute(
                f"select id from [{tbl}] where deleted = 1 and id in ({','.join('?' * len(ids))})",
                ids,
            )
        ]
    if newer_than is not None:
        rows = db.execute(f"select id from [{tbl}] where rowid >= ? and deleted = 1", [newer_than])
        found += [row[0] for row in rows]
    return found


def forget_erased(db: Database, person_ids: list[str], household_ids: list[str] = ()) -> None:
    """Forget what this site holds about people erased elsewhere; call inside the apply."""
    if not person_ids and not household_ids:
        return
    people = db.query(
        "select * from people where id in (select value from json_each(?))",
        [json.dumps(person_ids)],
    )
    for person in list(people):
        for _name, _collect, _erase, forget in parts():
            if forget:
                forget(db, person)
    _scrub(db, person_ids)
    if household_ids:
        _redact_changes(db, "households", list(household_ids))
