"""Triage: append-only entries per person; the latest is the person's current medical state.

Re-triage never edits an entry, it appends a new one (who, when, the whole state), so the
history stays and syncs as facts in time (change-log op ``append``). Entries are ordered by
``hlc``, the clock of the change that recorded them at their station (set there and by sync
everywhere else), never by ``at``: a station whose wall clock runs ahead cannot keep an old
entry "current" by dating it in the future (issue 13).

The queue lists the people who are flagged and still at the station, most urgent first
(SALT order immediate, delayed, minor, expectant), then longest waiting. The dead are not
waiting for care and are left out; expectant patients stay in it, last, because they get
comfort care and are re-triaged as resources allow. A referral that has ended (transferred,
treated, refused) takes a person out of the default ("open") view.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlite_utils import Database

from fieldreg import audit, committer, provenance, records, subject, tags, tallies
from fieldreg.db import insert_row, write
from fieldreg.schemas.medical import CATEGORIES, COLOURS
from sync import changelog, tables

QUEUED = ("immediate", "delayed", "minor", "expectant")
OPEN_REFERRAL = "waiting"


def record_triage(db: Database, person_code: str, data: dict, actor: str | None) -> dict:
    """Append a triage entry for a person and return it (group-committed, fieldreg.committer)."""
    return committer.run(db, _record_triage, person_code, data, actor)


def _record_triage(db: Database, person_code: str, data: dict, actor: str | None) -> dict:
    with write(db):
        person = records.get_person(db, person_code)
        referral = data.get("referral")
        row = {
            "id": records.new_id(),
            "person_id": person["id"],
            "category": data["category"],
            "conditions": json.dumps(sorted(set(data.get("conditions", [])))),
            "condition_other": data.get("condition_other"),
            "mobility": data.get("mobility"),
            "referral": json.dumps(referral, ensure_ascii=False) if referral else None,
            "note": data.get("note"),
            "actor": actor,
            "at": tags.now(),
        }
        change = changelog.record(db, "triage", row["id"], "append", row)
        insert_row(db, "triage", {**row, "hlc": change.hlc})
        audit.log(db, actor, "triage", "people", person["id"], row["category"])
    return entry_view(row)


def entry_view(row: dict) -> dict:
    """Shape a stored triage row like TriageSchema."""
    return {
        **{k: row[k] for k in ("id", "category", "condition_other", "mobility", "note")},
        **{k: row[k] for k in ("actor", "at")},
        "colour": COLOURS.get(row["category"], "grey"),  # an unknown one may arrive by sync
        "conditions": json.loads(row["conditions"]),
        "referral": json.loads(row["referral"]) if row["referral"] else None,
    }


def history(db: Database, person_id: str) -> list[dict]:
    """Return a person's triage entries, newest first."""
    rows = db.query(
        "select * from triage where person_id = ? order by hlc desc, id desc", [person_id]
    )
    # Each entry says which station sent it, if another did (its actor is that station's word).
    return provenance.mark(db, "triage", [entry_view(r) for r in rows])


def flags(db: Database, person_ids: list[str]) -> dict[str, str]:
    """Return the current triage category of each flagged person (what registrars may see)."""
    if not person_ids:
        return {}
    marks = ",".join("?" * len(person_ids))
    rows = db.query(
        f"select person_id, category from (select person_id, category, row_number() over "
        f"(partition by person_id order by hlc desc, id desc) rn from triage "
        f"where person_id in ({marks})) where rn = 1",
        person_ids,
    )
    return {r["person_id"]: r["category"] for r in rows}


def flags_by_code(db: Database, person_codes: list[str]) -> dict[str, str]:
    """Return the current triage category of each flagged person, keyed by person code."""
    if not person_codes:
        return {}
    marks = ",".join("?" * len(person_codes))
    ids = {
        r["id"]: r["code"]
        for r in db.query(f"select id, code from people where code in ({marks})", person_codes)
    }
    return {ids[pid]: cat for pid, cat in flags(db, list(ids)).items()}


CURRENT_SQL = """
    select t.*, p.code person_code, h.code household_code, p.given_name, p.father_name,
           p.family_name, p.sex, p.age_years, p.status person_status
    from (select *, row_number() over (partition by person_id order by hlc desc, id desc) rn,
                 min(at) over (partition by person_id) flagged_at
          from triage) t
    join people p on p.id = t.person_id and p.deleted = 0
    join households h on h.id = p.household_id
    where t.rn = 1
"""


def queue(
    db: Database, status: str = "open", category: str | None = None, now: dt.datetime | None = None
) -> list[dict]:
    """Return the flagged people still present, most urgent first, then longest waiting."""
    now = now or dt.datetime.now(dt.UTC)
    entries = []
    for row in db.query(CURRENT_SQL + " and p.status = 'present'"):
        if row["category"] not in QUEUED or (category and row["category"] != category):
            continue
        entry = _queue_entry(row, now)
        wanted = {"open": (OPEN_REFERRAL,), "all": None}.get(status, (status,))
        if wanted is None or entry["referral_status"] in wanted:
            entries.append(entry)
    entries.sort(key=lambda e: (CATEGORIES.index(e["category"]), e["flagged_at"]))
    return entries


def _queue_entry(row: dict, now: dt.datetime) -> dict:
    """Shape one current triage row for the queue."""
    referral = json.loads(row["referral"]) if row["referral"] else {}
    flagged = dt.datetime.fromisoformat(row["flagged_at"])
    names = (row["given_name"], row["father_name"], row["family_name"])
    return {
        **{k: row[k] for k in ("person_code", "household_code", "sex", "age_years")},
        **{k: row[k] for k in ("category", "mobility", "flagged_at")},
        "name": " ".join(n for n in names if n),
        "colour": COLOURS[row["category"]],
        "conditions": json.loads(row["conditions"]),
        "referral_status": referral.get("status") or OPEN_REFERRAL,
        "hospital": referral.get("hospital"),
        "triaged_at": row["at"],
        "waiting_minutes": max(0, int((now - flagged).total_seconds() // 60)),
    }


def current_referral(db: Database, person_id: str) -> dict | None:
    """Return the person's current referral, if the latest triage entry has one."""
    rows = history(db, person_id)[:1]
    return rows[0]["referral"] if rows else None


def counts(db: Database, station: str | None = None) -> dict:
    """Return triage figures of the people registered at a station (None: every station),
    from the running figures (fieldreg.tallies)."""
    by_category = {c: 0 for c in CATEGORIES}
    waiting = 0
    for category, wait, n in tallies.triage(db, station):
        if category in by_category:  # a category this version does not know is not counted
            by_category[category] += n
            waiting += n if wait else 0
    flagged = sum(by_category.values())
    return {"by_category": by_category, "flagged": flagged, "total": flagged, "waiting": waiting}


def _held(db: Database, person: dict) -> list[dict]:
    """Return the person's triage history, for 'everything held about a person'."""
    return history(db, person["id"])


def _erase(db: Database, person: dict) -> None:
    """Delete the person's triage entries, each with a tombstone that syncs."""
    for row in db.query("select id from triage where person_id = ?", [person["id"]]):
        changelog.record(db, "triage", row["id"], "delete", {"reason": "erased"})
    db.execute("delete from triage where person_id = ?", [person["id"]])


def _forget(db: Database, person: dict) -> None:
    """Delete the triage entries of a person erased elsewhere (the eraser's tombstones travel)."""
    db.execute("delete from triage where person_id = ?", [person["id"]])


def register() -> None:
    """Contribute the triage table to sync and to what is held about (and erased of) a person."""
    tables.register("triage", "append", about=("people", "person_id"))
    subject.provider("triage", _held, _erase, _forget)
