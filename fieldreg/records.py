"""Households and people: the only writers of their tables, each write also in the change log."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

import uuid6
from sqlite_utils import Database

from fieldreg import audit, committer, search_index, tags
from fieldreg.db import insert_row, insert_rows, setting, update_row, write
from fieldreg.db import rows as db_rows
from fieldreg.errors import Conflict, DomainError, NotFound
from fieldreg.schemas.records import MAX_MEMBERS
from sync import authority, changelog, names

HOUSEHOLD_NESTED = {
    "arrival": {
        "at": "arrived_at",
        "transport": "transport",
        "vehicle_ref": "vehicle_ref",
        "vehicle_id": "arrival_vehicle_id",
    },
    "origin": {"district": "origin_district", "neighbourhood": "origin_neighbourhood"},
    "destination": {
        "kind": "destination_kind",
        "name": "destination_name",
        "place": "destination_place",
    },
}
HOUSEHOLD_PLAIN = ("phone", "consent_share", "notes")
PERSON_FIELDS = (
    "given_name",
    "father_name",
    "mother_name",
    "family_name",
    "sex",
    "age_years",
    "age_estimated",
    "date_of_birth",
    "relationship",
)


def new_id() -> str:
    """Make a record id: a UUIDv7, sortable by creation time, unique without coordination."""
    return str(uuid6.uuid7())


def _plain(value: Any) -> Any:
    """Turn dates and booleans into what SQLite and JSON store."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def household_columns(data: dict) -> dict:
    """Flatten a loaded household (its nested arrival, origin, destination) into columns."""
    row: dict[str, Any] = {}
    for part, mapping in HOUSEHOLD_NESTED.items():
        for key, column in mapping.items():
            if key in data.get(part, {}):
                row[column] = _plain(data[part][key])
    for key in HOUSEHOLD_PLAIN:
        if key in data:
            row[key] = _plain(data[key])
    if "phone" in row:
        row["phone_norm"] = names.normalize_phone(row["phone"]) or None
    if "vulnerabilities" in data:
        row["vulnerabilities"] = json.dumps(sorted(set(data["vulnerabilities"])))
    return row


def person_columns(data: dict) -> dict:
    """Pick the stored columns of a loaded person."""
    row = {key: _plain(data[key]) for key in PERSON_FIELDS if key in data}
    if "vulnerabilities" in data:
        row["vulnerabilities"] = json.dumps(sorted(set(data["vulnerabilities"])))
    return row


def _hash(data: dict) -> str:
    """Fingerprint a request body, to tell a faithful retry from a different record."""
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _existing_for_client(db: Database, client_id: str, digest: str) -> dict | None:
    """Return the household already made for this client id, or raise on different content."""
    rows = db_rows(db, "select * from households where client_id = ?", [client_id])
    if not rows:
        return None
    if rows[0]["client_hash"] != digest:
        raise Conflict(
            "This client id was already used for a different household.",
            {"client_id": ["Already used with other content."]},
            code="client_id_reused",
        )
    return rows[0]


def create_household(db: Database, data: dict, actor: str | None) -> tuple[dict, bool]:
    """Register a household with its members; return it and whether it is new.

    Committed together with the registrations other tablets send at the same moment
    (fieldreg.committer): one fsync for all of them, each answered once on disk.
    """
    return committer.run(db, _create_household, data, actor)


def _create_household(db: Database, data: dict, actor: str | None) -> tuple[dict, bool]:
    client_id = str(data["client_id"]) if data.get("client_id") else None
    digest = _hash(data)
    with write(db):
        if client_id and (existing := _existing_for_client(db, client_id, digest)):
            return get_household(db, existing["code"]), False
        hh_id, stamp, members = new_id(), tags.now(), data["members"]
        person_ids = [str(m["id"]) if m.get("id") else new_id() for m in members]
        _refuse_taken_ids(db, [str(m["id"]) for m in members if m.get("id")], person_ids)
        pairs = zip(person_ids, members, strict=True)
        wanted = [("household", hh_id, data.get("tag_code"), data.get("device_code"))]
        wanted += [("person", pid, m.get("tag_code"), m.get("device_code")) for pid, m in pairs]
        device_id = str(data["device_id"]) if data.get("device_id") else None
        hh_code, *person_codes = _codes(db, wanted, device_id)
        row = {
            **household_columns(data),
            "id": hh_id,
            "code": hh_code,
            "client_id": client_id,
            "client_hash": digest if client_id else None,
            "station": setting(db, "station_code"),
            "created_at": stamp,
            "updated_at": stamp,
            "created_by": actor,
        }
        row.setdefault("arrived_at", stamp)
        insert_row(db, "households", row)
        people = _insert_people(
            db, hh_id, members, list(zip(person_ids, person_codes, strict=True)), 0
        )
        changes = [("households", hh_id, "upsert", _synced(row))]
        changes += [("people", person["id"], "upsert", person) for person in people]
        changelog.record_many(db, changes, fresh=True)
        audit.log(db, actor, "create", "households", hh_id)
    return household_view({**HOUSEHOLD_DEFAULTS, **row}, people), True


# What the database fills in for columns a new row leaves out (migrations m001).
HOUSEHOLD_DEFAULTS = {
    **{column: None for mapping in HOUSEHOLD_NESTED.values() for column in mapping.values()},
    **dict.fromkeys(("phone", "notes"), None),
    "vulnerabilities": "[]",
    "consent_share": 0,
    "status": "present",
}
PERSON_DEFAULTS = {
    **dict.fromkeys(PERSON_FIELDS, None),
    "age_estimated": 0,
    "vulnerabilities": "[]",
    "status": "present",
}


def _synced(row: dict) -> dict:
    """Drop the columns that are local bookkeeping, not part of the shared record."""
    return {k: v for k, v in row.items() if k not in ("client_hash", "phone_norm")}


def _codes(db: Database, wanted: list[tuple], device_id: str | None) -> list[str]:
    """Give each record a code: its pre-printed tag, the code its tablet chose, or a new one.

    A tag or code refused is reported at its place: the household's own fields, or
    ``members.N`` (so that a form shows the message beside that member's tag field).
    """
    fresh = [(kind, rid) for kind, rid, tag, dev in wanted if not tag and not dev]
    issued = iter(tags.issue_for(db, fresh) if fresh else [])
    out = []
    for place, (kind, rid, tag, dev) in enumerate(wanted):
        try:
            if tag:
                out.append(tags.bind_preprinted(db, tag, kind, rid))
            elif dev:
                out.append(tags.claim_device_code(db, dev, device_id, kind, rid))
            else:
                out.append(next(issued))
        except DomainError as exc:
            raise _located(exc, place) from exc
    return out


def _located(exc: DomainError, place: int | None) -> DomainError:
    """Return the error with its fields placed at the household (0) or member ``place - 1``."""
    if place:
        exc.fields = {"members": {place - 1: exc.fields}}
    return exc


def _refuse_taken_ids(db: Database, sent: list[str], person_ids: list[str]) -> None:
    """Refuse person ids a client made that already name someone (or repeat in one request)."""
    taken = []
    if sent:
        marks = ",".join("?" for _ in sent)
        taken = db_rows(db, f"select id from people where id in ({marks})", sent)
        # An id another table holds (a vehicle's, a case's) is taken too: ids name one record.
        taken += [pid for pid in sent if authority.other_table(db, "people", pid)]
    if taken or len(set(person_ids)) != len(person_ids):
        raise Conflict(
            "A person with this id already exists.", {"members": ["Duplicate id."]}, "duplicate_id"
        )


def _insert_people(
    db: Database, hh_id: str, members: list[dict], ids: list[tuple[str, str]], first: int
) -> list[dict]:
    """Insert members (with their ``(id, code)``) and their search keys; return the rows."""
    stamp = tags.now()
    people = [
        {
            **person_columns(member),
            "id": person_id,
            "code": code,
            "household_id": hh_id,
            "position": first + position,
            "created_at": stamp,
            "updated_at": stamp,
        }
        for position, (member, (person_id, code)) in enumerate(zip(members, ids, strict=True))
    ]
    rowids = insert_rows(db, "people", people)
    search_index.index_new_people(db, [(rowids[person["id"]], person) for person in people])
    return people


def add_member(db: Database, hh_code: str, member: dict, actor: str | None) -> dict:
    """Add a person to an existing household, within the cap on members."""
    with write(db):
        hh = _household_row(db, hh_code)
        count = next(db.query("select count(*) n from people where household_id = ?", [hh["id"]]))
        live = db.execute(
            "select count(*) from people where household_id = ? and deleted = 0", [hh["id"]]
        ).fetchone()[0]
        if live >= MAX_MEMBERS:  # the same cap as at registration (schemas.records)
            raise Conflict(
                f"A household has at most {MAX_MEMBERS} members.",
                {"members": [f"At most {MAX_MEMBERS}."]},
                code="household_full",
            )
        person_id = str(member["id"]) if member.get("id") else new_id()
        _refuse_taken_ids(db, [person_id], [person_id])
        (code,) = tags.codes_for(db, [("person", person_id, member.get("tag_code"))])
        (person,) = _insert_people(db, hh["id"], [member], [(person_id, code)], count["n"])
        changelog.record_many(db, [("people", person_id, "upsert", person)], fresh=True)
        audit.log(db, actor, "add_member", "people", person_id)
    return get_person(db, code)


def update_household(db: Database, code: str, data: dict, actor: str | None) -> dict:
    """Correct a household's fields; only the fields sent change."""
    with write(db):
        hh = _household_row(db, code)
        _correct(db, "households", hh, household_columns(data), actor)
    return get_household(db, hh["code"])


def update_person(db: Database, code: str, data: dict, actor: str | None) -> dict:
    """Correct a person's fields; only the fields sent change."""
    with write(db):
        person = _person_row(db, code)
        changes = person_columns(data)
        _correct(db, "people", person, changes, actor)
        if changes:
            search_index.index_person(db, {**person, **changes})
    return get_person(db, person["code"])


def _correct(db: Database, tbl: str, row: dict, changes: dict, actor: str | None) -> None:
    """Write the changed columns of a row, with its change-log entry and audit line."""
    if not changes:
        return
    changes["updated_at"] = tags.now()
    update_row(db, tbl, row["id"], changes)
    changelog.record(db, tbl, row["id"], "upsert", _synced(changes))
    audit.log(db, actor, "update", tbl, row["id"], ",".join(sorted(changes)))


def _household_row(db: Database, code: str) -> dict:
    rows = db_rows(db, "select * from households where code = ? and deleted = 0", [code])
    if not rows:
        raise NotFound("No household has this code.")
    return rows[0]


def _person_row(db: Database, code: str) -> dict:
    rows = db_rows(db, "select * from people where code = ? and deleted = 0", [code])
    if not rows:
        raise NotFound("No person has this code.")
    return rows[0]


def household_view(hh: dict, members: list[dict]) -> dict:
    """Shape a household row and its member rows like HouseholdSchema."""
    nested = {
        part: {key: hh[column] for key, column in mapping.items()}
        for part, mapping in HOUSEHOLD_NESTED.items()
    }
    if nested["arrival"]["at"]:
        nested["arrival"]["at"] = dt.datetime.fromisoformat(nested["arrival"]["at"])
    return {
        **{k: hh[k] for k in ("id", "code", "client_id", "station", "status", "created_at")},
        **{k: hh[k] for k in ("updated_at", "phone", "notes")},
        **nested,
        "consent_share": bool(hh["consent_share"]),
        "vulnerabilities": json.loads(hh["vulnerabilities"]),
        "members": [person_view({**PERSON_DEFAULTS, **m}, hh["code"]) for m in members],
    }


def person_view(person: dict, hh_code: str) -> dict:
    """Shape a person row like PersonSchema."""
    view = {k: person[k] for k in ("id", "code", "status", "created_at", "updated_at")}
    view.update({k: person[k] for k in PERSON_FIELDS})
    view["age_estimated"] = bool(person["age_estimated"])
    if view["date_of_birth"]:
        view["date_of_birth"] = dt.date.fromisoformat(view["date_of_birth"])
    view["vulnerabilities"] = json.loads(person["vulnerabilities"])
    view["household_code"] = hh_code
    return view


def get_household(db: Database, code: str) -> dict:
    """Return a household with its members, by code."""
    hh = _household_row(db, code)
    members = db_rows(
        db,
        "select * from people where household_id = ? and deleted = 0 order by position",
        [hh["id"]],
    )
    return household_view(hh, members)


def get_person(db: Database, code: str) -> dict:
    """Return a person, by code."""
    person = _person_row(db, code)
    hh = next(db.query("select code from households where id = ?", [person["household_id"]]))
    return person_view(person, hh["code"])
