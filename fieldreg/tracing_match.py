"""Matching at a station (its own records, offline) and at HQ (every station's): proposals
and candidates (caseworkers' decisions are in tracing_decide).

The engine (sync.tracing) keeps registered people in an index held in memory per database
(names never go to disk outside the encrypted database), brought up to date from the change
log: every write, local or received, has a storage position (``changes.recv``). A refresh
ranks what changed since the last one (``settings.tracing_recv``): new or changed cases
against everything, everyone's cases against new or changed people. Candidates above the
"probable" line become proposals (``tracing_matches``, one row per pair, the same id at every
site); the caseworker's page refreshes on every load, so a registration that matches an open
case shows at once at the station, and at HQ after the sync that brought it (HQ refreshes
after each batch). Decisions are facts in time (``tracing_decisions``): a rejected pair is
never proposed again; a confirmed one closes its cases with the outcome (reunified, or a
verification visit to come) and is audited.
"""

from __future__ import annotations

import json
import threading
import uuid

from sqlite_utils import Database

from fieldreg import provenance, tags, tracing
from fieldreg.db import file_of, insert_row, set_setting, setting, update_row, write
from fieldreg.db import rows as db_rows
from sync import authority, changelog, client, tables
from sync import tracing as engine

PEOPLE_SQL = (
    "select p.id, p.household_id, p.given_name, p.father_name, p.mother_name, p.family_name, "
    "p.sex, p.age_years, p.date_of_birth, p.relationship, h.origin_district origin, h.station "
    "from people p join households h on h.id = p.household_id where p.deleted = 0"
)
NAMESPACE = uuid.UUID("6f1c3a55-8f0e-4a4e-9a59-2d6c1b7e9d19")
KEPT = 5  # candidates proposed per case and refresh
_INDEXES: dict[str, tuple[engine.PeopleIndex, int]] = {}
_LOCK = threading.RLock()


def _head(db: Database) -> int:
    """Return the latest storage position of the change log."""
    return db.execute("select coalesce(max(recv), 0) from changes").fetchone()[0]


def _touched(db: Database, since: int, tbl: str) -> list[str]:
    """Return the ids of the records of a table written (here or received) since a position."""
    sql = "select distinct record_id from changes where recv > ? and tbl = ?"
    return [r[0] for r in db.execute(sql, [since, tbl]).fetchall()]


def _people(db: Database, ids: list[str] | None = None) -> list[dict]:
    """Return people as the engine reads them (all, or those with these ids)."""
    if ids is None:
        return db_rows(db, PEOPLE_SQL)
    found = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found += db_rows(db, PEOPLE_SQL + f" and p.id in ({','.join('?' * len(chunk))})", chunk)
    return found


def _changed_people(db: Database, since: int) -> list[str]:
    """Return the people written since a position, or whose household was."""
    ids = set(_touched(db, since, "people"))
    homes = _touched(db, since, "households")
    for start in range(0, len(homes), 500):
        chunk = homes[start : start + 500]
        sql = f"select id from people where household_id in ({','.join('?' * len(chunk))})"
        ids.update(r[0] for r in db.execute(sql, chunk).fetchall())
    return sorted(ids)


def index(db: Database) -> engine.PeopleIndex:
    """Return this database's index of people, brought up to date (call under _LOCK)."""
    key = file_of(db)
    head = _head(db)
    kept = _INDEXES.get(key)
    if kept is None:
        built = engine.PeopleIndex.build(_people(db))
    else:
        built, seen = kept
        if head > seen:
            changed = _changed_people(db, seen)
            live = _people(db, changed)
            built.remove(set(changed) - {p["id"] for p in live})
            built.add(live)
    _INDEXES[key] = (built, head)
    return built


def forget(db: Database) -> None:
    """Drop the kept index of a database (after an erasure: it is rebuilt on next use)."""
    with _LOCK:
        _INDEXES.pop(file_of(db), None)


def _enquirer(row: dict, people: dict) -> dict:
    """Return the enquirer's names: from their record, else the name a partner gave."""
    person = people.get(row["person_id"] or "")
    if person:
        return {k: person[k] for k in ("given_name", "family_name", "sex")}
    words = (row["enquirer_name"] or "").split()
    return {"given_name": words[0] if words else "", "family_name": words[-1] if words else ""}


def open_cases(db: Database) -> tuple[list[dict], list[dict]]:
    """Return the open cases as the engine reads them: children, enquiries."""
    rows = db_rows(db, "select * from tracing_cases where status = 'open' and deleted = 0 "
                   "order by created_at, id")  # fmt: skip
    people = {p["id"]: p for p in _people(db, [r["person_id"] for r in rows if r["person_id"]])}
    children, enquiries = [], []
    for row in rows:
        case = {**row, "siblings": json.loads(row["siblings"] or "[]")}
        if row["kind"] == "child":
            children.append(case)
        else:
            enquiries.append({**case, "enquirer": _enquirer(row, people)})
    return children, enquiries


def rejected(db: Database) -> set[tuple[str, str]]:
    """Return the pairs a caseworker said are not related (never proposed again)."""
    sql = "select case_id, target_id from tracing_decisions where verdict = 'reject'"
    return {(r["case_id"], r["target_id"]) for r in db_rows(db, sql)}


def pair_key(case_id: str, target_id: str, kinds: dict[str, str]) -> tuple[str, str]:
    """Return a pair as stored: a child's case first when both sides are cases."""
    if kinds.get(case_id) == "enquiry" and kinds.get(target_id) == "child":
        return target_id, case_id
    return case_id, target_id


def match_id(case_id: str, target_id: str) -> str:
    """Return the id of a pair's proposal: the same at every site that finds it."""
    return str(uuid.uuid5(NAMESPACE, f"{case_id}|{target_id}"))


def refresh(db: Database) -> int:
    """Rank what changed since the last refresh; store new proposals; return how many."""
    with _LOCK:
        since, head = int(setting(db, "tracing_recv") or 0), _head(db)
        if head <= since:
            return 0
        children, enquiries = open_cases(db)
        found: dict[str, list] = {}
        if children or enquiries:
            people = index(db)
            refused = rejected(db)
            cases = None if since == 0 else set(_touched(db, since, "tracing_cases"))
            if cases is None or cases:
                _merge(found, engine.rank(people, children, enquiries, refused, KEPT,
                                          focus_cases=cases))  # fmt: skip
            changed = _changed_people(db, since) if since else []
            if changed:
                _merge(found, engine.rank(people, children, enquiries, refused, KEPT,
                                          focus_people=changed))  # fmt: skip
        made = store(db, found, {c["id"]: c for c in children + enquiries})
        with write(db):
            settle(db)
            set_setting(db, "tracing_recv", str(head))
        return made


def settle(db: Database) -> None:
    """Close the open cases this site may change that a confirmation named (inside a write).

    A caseworker at one station confirms a child of hers with an enquiry of another
    station: she closes her case; the other is closed here at HQ when the decision arrives.
    """
    for row in db_rows(db, "select d.id, d.case_id, d.target_id, d.outcome, d.actor from "
                       "tracing_decisions d where d.verdict = 'confirm' and exists (select 1 "
                       "from tracing_cases c where c.id in (d.case_id, d.target_id) and "
                       "c.status = 'open' and c.deleted = 0)"):  # fmt: skip
        # The actor is the sending station's word: the audit says which station sent it.
        actor = provenance.sender_label(db, "tracing_decisions", row["id"], row["actor"])
        for case_id in (row["case_id"], row["target_id"]):
            tracing.close_matched(db, case_id, row["outcome"] or "verification_visit", actor)


def _merge(found: dict[str, list], more: dict[str, list]) -> None:
    """Add ranked candidates to those found so far."""
    for case, listed in more.items():
        found.setdefault(case, []).extend(listed)


def store(db: Database, found: dict[str, list], cases: dict[str, dict]) -> int:
    """Write the candidates worth a caseworker's look as proposals; return how many are new."""
    kinds = {case_id: case["kind"] for case_id, case in cases.items()}
    wanted = {}
    for listed in found.values():
        for candidate in listed:
            # Only probable candidates are raised: possible ones wait on the case's page, or
            # every enquiry for a child never registered would raise its best coincidence.
            if candidate.label == "probable":
                key = pair_key(candidate.case_id, candidate.target_id, kinds)
                if key not in wanted or candidate.score > wanted[key].score:
                    wanted[key] = candidate
    made = 0
    with write(db):
        for (case_id, target_id), candidate in wanted.items():
            if may_propose(db, case_id, target_id):
                made += propose(db, case_id, target_id, candidate, cases)
    return made


def may_propose(db: Database, case_id: str, target_id: str) -> bool:
    """Tell whether this site may raise a proposal on a pair: HQ any, a station one with a
    side of its own (sync.authority; a pair of two other stations' records is HQ's to raise)."""
    write_ = ("tracing_matches", match_id(case_id, target_id), "upsert",
              {"case_id": case_id, "target_id": target_id})  # fmt: skip
    return (
        authority.hq_of(db) is None or authority.refusal(db, changelog.site_of(db), write_) is None
    )


def _stations(db: Database, case: dict, candidate) -> str:
    """Return the stations a proposal concerns: the case's and its candidate's."""
    other = db_rows(db, "select station from tracing_cases where id = ? union all select "
                    "h.station from households h where h.id = ? union all select h.station "
                    "from people p join households h on h.id = p.household_id where p.id = ?",
                    [candidate.target_id] * 2 + [candidate.person_id or ""])  # fmt: skip
    return " ".join(sorted({case["station"], *(r["station"] for r in other[:1])}))


def propose(db: Database, case_id: str, target_id: str, candidate, cases: dict) -> int:
    """Insert or update one proposal (same pair, same row); return 1 if it is new."""
    pair = match_id(case_id, target_id)
    kind = candidate.kind if candidate.case_id == case_id else "enquiry"
    reasons = json.dumps(candidate.as_dict()["reasons"], ensure_ascii=False)
    row = {"score": round(candidate.score, 2), "label": candidate.label, "reasons": reasons,
           "person_id": candidate.person_id if candidate.case_id == case_id else
           cases[candidate.case_id].get("person_id")}  # fmt: skip
    found = db_rows(db, "select * from tracing_matches where id = ?", [pair])
    here = setting(db, "station_code")
    # Another site's proposal stays as it made it (HQ takes a record only from its owner).
    if found and (found[0]["deleted"] or found[0]["found_by"] != here
                  or all(found[0][k] == v for k, v in row.items())):  # fmt: skip
        return 0
    stamp = tags.now()
    if found:
        changes = {**row, "updated_at": stamp}
        update_row(db, "tracing_matches", pair, changes)
        changelog.record(db, "tracing_matches", pair, "upsert", changes)
        return 0
    row.update({"id": pair, "case_id": case_id, "target_kind": kind, "target_id": target_id,
                "stations": _stations(db, cases[case_id], candidate),
                "found_by": setting(db, "station_code"), "found_at": stamp,
                "updated_at": stamp, "deleted": 0})  # fmt: skip
    insert_row(db, "tracing_matches", row)
    changelog.record_many(db, [("tracing_matches", pair, "upsert", row)], fresh=True)
    if len(row["stations"].split()) > 1:
        resend_cases(db, (case_id, target_id))
    return 1


def resend_cases(db: Database, case_ids) -> None:
    """Write the cases of a match across stations again, so the other station gets them whole.

    Need to know: a station holds another station's case only once a match concerns it
    (tracing_routes.route_case). It may have received the case's changes emptied before the match
    existed; writing the case's fields again (as HQ does on a handover) brings it whole.
    A station writes again only the cases it may change (its own); HQ writes any.
    """
    site, at_hq = changelog.site_of(db), client.credential(db) is None
    for case_id in case_ids:
        owner = authority.owner_of(db, "tracing_cases", case_id)
        if owner is None or (not at_hq and owner != site):
            continue
        fields = tables.snapshot(db, "tracing_cases", case_id)
        fields.pop("id", None)
        if fields:
            changelog.record(db, "tracing_cases", case_id, "upsert", fields)


def candidates(db: Database, case: dict) -> list:
    """Rank one open case's candidates now, against everything this site holds."""
    children, enquiries = open_cases(db)
    if case["kind"] == "child":
        children = [c for c in children if c["id"] == case["id"]] or children[:0]
    else:
        enquiries = [e for e in enquiries if e["id"] == case["id"]]
    if not children and not enquiries:
        return []
    with _LOCK:
        ranked = engine.rank(index(db), children, enquiries, rejected(db), KEPT,
                             focus_cases={case["id"]})  # fmt: skip
    return ranked.get(case["id"], [])
