"""Family tracing cases: a child who arrived alone, or an adult's enquiry "looking for".

A child's case holds what the child (or whoever brought it) could say: the names it gave,
its family's, its siblings', home, where and when it lost its family, a description, who
cares for it now, and consent (the carer's) and assent (the child's, as age allows). An
enquiry holds the person sought and is linked to the enquirer's record (or, from a partner,
the enquirer's name). Both are synced records (change log), every read and write audited.

Who sees what: caseworkers, coordinators and admins (``Viewer.sees_all``) see every case;
a registrar sees only the cases they opened here, and of those only what they entered
(tracing_entries: the fields whose current value they wrote, their own notes; never what
a caseworker added, another's notes, a photo, candidates or matches). Matching is in
tracing_match, the figures in tracing_figures, photos in tracing_photos, PFIF exchange in
tracing_pfif, how the tables sync in tracing_routes, erasing a person's cases in
tracing_erasure.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from fieldreg import (
    audit,
    provenance,
    records,
    stats,
    subject,
    tags,
    tracing_entries,
    tracing_erasure,
    tracing_figures,
    tracing_routes,
)
from fieldreg.db import insert_row, setting, update_row, write
from fieldreg.db import rows as db_rows
from fieldreg.errors import Conflict, NotFound
from fieldreg.tracing_erasure import cases_of
from sync import authority, changelog

FIELDS = ("separation", "given_name", "father_name", "mother_name", "family_name", "siblings",
          "sex", "age_years", "date_of_birth", "origin", "separated_place", "separated_on",
          "brought_by", "description", "carer", "relationship", "enquirer_name",
          "enquirer_contact", "consent_share", "consent_by", "assent")  # fmt: skip
FROM_PERSON = ("given_name", "father_name", "mother_name", "family_name", "sex", "age_years",
               "date_of_birth")  # fmt: skip
VULNERABILITY = {"unaccompanied": "unaccompanied_child", "separated": "separated_child"}
# Personal columns a case loses when it is erased (the row stays as a tombstone).
PURGED = {**dict.fromkeys(FIELDS, None), "siblings": "[]", "consent_share": 0, "assent": 0,
          "status": "erased", "deleted": 1}  # fmt: skip


@dataclass(frozen=True)
class Viewer:
    """Who is reading: caseworkers and coordinators see all cases, a registrar their own."""

    username: str | None
    sees_all: bool


def _columns(data: dict) -> dict:
    """Turn loaded case fields into stored column values."""
    row: dict[str, Any] = {}
    for key in FIELDS:
        if key in data:
            value = data[key]
            if key == "siblings":
                value = json.dumps([s for s in value or [] if s], ensure_ascii=False)
            elif isinstance(value, bool):
                value = int(value)
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            row[key] = value
    return row


def _person(db: Database, code: str) -> dict:
    """Return the person row with this code (and its household's code), or 404."""
    found = db_rows(db, "select p.*, h.code household_code from people p join households h on "
                    "h.id = p.household_id where p.code = ? and p.deleted = 0", [code])  # fmt: skip
    if not found:
        raise NotFound("No person has this code.", {"person_code": ["Unknown code."]})
    return found[0]


def open_case(db: Database, data: dict, actor: str | None) -> dict:
    """Open a case (a child alone, or an enquiry); return it as its opener sees it."""
    with write(db):
        person = _person(db, data["person_code"]) if data.get("person_code") else None
        stamp, case_id = tags.now(), records.new_id()
        row = {
            **_columns(data), "id": case_id, "kind": data["kind"], "status": "open",
            "person_id": person["id"] if person else None,
            "household_id": person["household_id"] if person else None,
            "station": setting(db, "station_code"), "created_by": actor,
            "created_at": stamp, "updated_at": stamp,
        }  # fmt: skip
        row.setdefault("siblings", "[]")
        if person and data["kind"] == "child":
            row.update({k: person[k] for k in FROM_PERSON if row.get(k) in (None, "")})
            row["separation"] = row.get("separation") or "unaccompanied"
            _flag_child(db, person, row["separation"], actor)
        elif person:
            names = (person["given_name"], person["father_name"], person["family_name"])
            row.setdefault("enquirer_name", " ".join(n for n in names if n))
        insert_row(db, "tracing_cases", row)
        (change,) = changelog.record_many(db, [("tracing_cases", case_id, "upsert", row)], True)
        tracing_entries.note(db, change, actor, [k for k in FIELDS if k in row])
        audit.log(db, actor, "tracing_open", "tracing_cases", case_id, data["kind"])
    return get_case(db, case_id, Viewer(actor, True), audited=False)


def _flag_child(db: Database, person: dict, separation: str, actor: str | None) -> None:
    """Mark the child as unaccompanied or separated on its own record, if not yet.

    A child registered at another station stays that station's record (sync authority): the
    case, a new record of this station, says the separation; the child's record is not
    flagged here (its owner, or HQ, flags it).
    """
    if not authority.may_write(db, "people", person["id"]):
        return
    flags = set(json.loads(person["vulnerabilities"] or "[]"))
    wanted = VULNERABILITY[separation]
    if wanted not in flags:
        records.update_person(db, person["code"], {"vulnerabilities": [*flags, wanted]}, actor)


def visible_row(db: Database, case_id: str, viewer: Viewer) -> dict:
    """Return a case row the viewer may see, or 404 (others' cases do not exist for them)."""
    found = db_rows(db, "select * from tracing_cases where id = ? and deleted = 0", [case_id])
    if not found or not sees(viewer, found[0], setting(db, "station_code")):
        raise NotFound("No such case.")
    return found[0]


def sees(viewer: Viewer, row: dict, here: str | None) -> bool:
    """Tell whether the viewer may see a case: all of them, or the ones they opened here."""
    return viewer.sees_all or (row["created_by"] == viewer.username and row["station"] == here)


def is_hq(db: Database) -> bool:
    """Tell whether this site is HQ (it holds the stations' credentials)."""
    return bool(db.execute("select 1 from sync_stations limit 1").fetchone())


def owned_here(db: Database, row: dict) -> bool:
    """Tell whether this site may change a case: the station that opened it, or HQ.

    HQ takes a station's change to a record only from the station that owns it; another
    station's case is changed there (or at HQ) and comes back by sync.
    """
    return row["station"] == setting(db, "station_code") or is_hq(db)


def refuse_foreign(db: Database, row: dict) -> None:
    """Refuse to change a case opened at another station (a note is always welcome)."""
    if not owned_here(db, row):
        raise Conflict(f"This case belongs to station {row['station']}: it is changed there "
                       "or at HQ; add a note instead.", code="other_station")  # fmt: skip


def update_case(db: Database, case_id: str, data: dict, viewer: Viewer) -> dict:
    """Add to an open case (only the fields sent change)."""
    with write(db):
        row = visible_row(db, case_id, viewer)
        if row["status"] != "open":
            raise Conflict("This case is closed.", code="case_closed")
        refuse_foreign(db, row)
        # Only what changes is written (and becomes its writer's entry, tracing_entries).
        changes = {k: v for k, v in _columns(data).items() if row.get(k) != v}
        changes = tracing_entries.untouched(changes, _hidden(db, row, viewer))
        if changes:
            changes["updated_at"] = tags.now()
            update_row(db, "tracing_cases", case_id, changes)
            change = changelog.record(db, "tracing_cases", case_id, "upsert", changes)
            tracing_entries.note(db, change, viewer.username, [k for k in changes if k in FIELDS])
            audit.log(db, viewer.username, "tracing_update", "tracing_cases", case_id,
                      ",".join(sorted(changes)))  # fmt: skip
    return get_case(db, case_id, viewer, audited=False)


def set_status(db: Database, case_id: str, changes: dict, actor: str | None, why: str) -> None:
    """Change a case's status columns (inside the caller's write), logged and audited."""
    changes = {**changes, "updated_at": tags.now()}
    update_row(db, "tracing_cases", case_id, changes)
    changelog.record(db, "tracing_cases", case_id, "upsert", changes)
    audit.log(db, actor, why, "tracing_cases", case_id, changes.get("outcome"))


def close_matched(db: Database, case_id: str, outcome: str, actor: str | None) -> None:
    """Close a case whose relative was confirmed (reunified, or a verification visit to come),
    when this site may change it (inside the caller's write)."""
    rows = db_rows(db, "select * from tracing_cases where id = ? and deleted = 0", [case_id])
    if not rows or rows[0]["status"] != "open" or not owned_here(db, rows[0]):
        return
    stamp = tags.now()
    changes = {
        "status": "closed",
        "matched_at": stamp,
        "closed_at": stamp,
        "outcome": "reunified" if outcome == "reunified" else "family_traced",
    }
    if outcome == "reunified":
        changes["reunified_at"] = stamp
    set_status(db, case_id, changes, actor, "tracing_matched")


def close_case(db: Database, case_id: str, note: str | None, actor: str | None) -> dict:
    """Close an open case without a match (a child come of age, an enquiry withdrawn)."""
    with write(db):
        row = visible_row(db, case_id, Viewer(actor, True))
        if row["status"] != "open":
            raise Conflict("This case is closed already.", code="case_closed")
        refuse_foreign(db, row)
        if note:
            add_note(db, case_id, note, Viewer(actor, True))
        stamp = tags.now()
        set_status(db, case_id, {"status": "closed", "outcome": "closed", "closed_at": stamp},
                   actor, "tracing_close")  # fmt: skip
    return get_case(db, case_id, Viewer(actor, True), audited=False)


def add_note(db: Database, case_id: str, text: str, viewer: Viewer) -> dict:
    """Add a note to a case (a fact in time: never edited)."""
    with write(db):
        visible_row(db, case_id, viewer)
        row = {"id": records.new_id(), "case_id": case_id, "text": text,
               "actor": viewer.username, "station": setting(db, "station_code"),
               "at": tags.now()}  # fmt: skip
        insert_row(db, "tracing_notes", row)
        changelog.record(db, "tracing_notes", row["id"], "append", row)
        audit.log(db, viewer.username, "tracing_note", "tracing_cases", case_id)
    return row


def _hidden(db: Database, row: dict, viewer: Viewer) -> set[str]:
    """Return the fields of a case the viewer did not write (a registrar sees only theirs)."""
    if viewer.sees_all:
        return set()
    return set(FIELDS) - tracing_entries.own_fields(db, row["id"], viewer.username)


def case_view(db: Database, row: dict, viewer: Viewer) -> dict:
    """Shape a case row for its viewer (a registrar: what they entered, their notes, no photo)."""
    view = {k: row[k] for k in ("id", "kind", "status", "outcome", "station", "created_by")}
    hidden = _hidden(db, row, viewer)
    row = {**row, **{k: PURGED[k] for k in hidden}}  # what others added is not shown
    view["others_added"] = bool(hidden)
    view.update({k: row[k] for k in FIELDS})
    view.update({k: row[k] for k in ("created_at", "updated_at", "matched_at", "reunified_at",
                                     "closed_at")})  # fmt: skip
    view["siblings"] = json.loads(row["siblings"] or "[]")
    for key in ("date_of_birth", "separated_on"):  # stored as text, shown as dates
        view[key] = dt.date.fromisoformat(view[key][:10]) if view[key] else None
    for key in ("consent_share", "assent"):
        view[key] = bool(row[key])
    codes = db_rows(db, "select p.code, h.code household_code from people p join households h "
                    "on h.id = p.household_id where p.id = ?",
                    [row["person_id"] or ""])  # fmt: skip
    view["person_code"] = codes[0]["code"] if codes else None
    view["household_code"] = codes[0]["household_code"] if codes else None
    notes = db_rows(db, "select * from tracing_notes where case_id = ? order by at", [row["id"]])
    here = setting(db, "station_code")  # a note's actor is its station's word: mine are here
    view["notes"] = provenance.mark(db, "tracing_notes", [
        n for n in notes if viewer.sees_all
        or (n["actor"] == viewer.username and n["station"] == here)])  # fmt: skip
    view["decisions"] = _decisions(db, row["id"]) if viewer.sees_all else []
    view["has_photo"] = viewer.sees_all and bool(
        db_rows(db, "select 1 from tracing_photos where case_id = ? and deleted = 0", [row["id"]])
    )
    return view


def _decisions(db: Database, case_id: str) -> list[dict]:
    """Return the decisions on a case's pairs, oldest first, each with the station that sent it."""
    found = db_rows(db, "select * from tracing_decisions where case_id = ? or target_id = ? "
                    "order by at", [case_id, case_id])  # fmt: skip
    return provenance.mark(db, "tracing_decisions", found)


def get_case(db: Database, case_id: str, viewer: Viewer, audited: bool = True) -> dict:
    """Return a case as its viewer may see it (reading it is audited)."""
    view = case_view(db, visible_row(db, case_id, viewer), viewer)
    if audited:
        audit.log_read(db, viewer.username, "tracing_cases", case_id)
    return view


def list_cases(db: Database, viewer: Viewer, status: str = "open", kind: str | None = None,
               limit: int = 200) -> list[dict]:  # fmt: skip
    """Return the cases the viewer may see, newest first."""
    sql, params = "select * from tracing_cases where deleted = 0", []
    if status != "all":
        sql, params = sql + " and status = ?", [status]
    if kind:
        sql, params = sql + " and kind = ?", [*params, kind]
    if not viewer.sees_all:
        sql += " and created_by = ? and station = ?"
        params += [viewer.username, setting(db, "station_code")]
    found = db_rows(db, sql + " order by created_at desc limit ?", [*params, limit])
    audit.log_read(db, viewer.username, "tracing_cases", None, f"{len(found)} cases", "list")
    return [case_view(db, row, viewer) for row in found]


def _held(db: Database, person: dict) -> dict:
    """Return the person's tracing cases with their notes, for 'everything held'."""
    viewer = Viewer(None, True)
    return {"cases": [case_view(db, row, viewer) for row in cases_of(db, person["id"])]}


def _erase(db: Database, person: dict) -> None:
    """Erase the person's cases (as a child or an enquirer) and everything hanging on them."""
    tracing_erasure.erase_all(db, person, PURGED, record=True)


def _forget(db: Database, person: dict) -> None:
    """Forget the tracing data of a person erased at another site (recording nothing new)."""
    tracing_erasure.erase_all(db, person, PURGED, record=False)


def register() -> None:
    """Contribute the tracing tables to sync, the cases to what is held about (and erased of)
    a person, and the children's figures to the dashboards and the situation report."""
    tracing_routes.register_tables()
    subject.provider("tracing", _held, _erase, _forget)
    stats.provide("tracing", tracing_figures.figures)
