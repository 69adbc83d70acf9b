"""Candidates and proposals as a caseworker reads them: who, where, how likely, and why.

The engine speaks in ids; pages and the API show codes and names. A candidate's status is
its pair's latest decision (confirmed, rejected) or "proposed".
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from fieldreg.db import rows as db_rows
from fieldreg.tracing_match import candidates, match_id, pair_key

NAMES = ("given_name", "father_name", "family_name")


def _name(row: dict | None) -> str:
    """Return a person's (or a case's) name chain."""
    return " ".join(row[k] for k in NAMES if row and row.get(k))


def _by_id(db: Database, table: str, ids: set[str], sql: str | None = None) -> dict:
    """Return rows of a table by id (with a query of one's own)."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    query = (sql or f"select * from {table} t") + f" where t.id in ({marks})"
    return {r["id"]: r for r in db_rows(db, query, list(ids))}


PEOPLE = ("select t.*, h.code household_code, h.station from people t join households h on "
          "h.id = t.household_id")  # fmt: skip


def statuses(db: Database, ids: list[str]) -> dict[str, dict]:
    """Return the latest decision of each pair (by proposal id)."""
    found: dict[str, dict] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in db_rows(db, "select * from tracing_decisions where match_id in "
                           f"({','.join('?' * len(chunk))}) order by at", chunk):  # fmt: skip
            found[row["match_id"]] = row
    return found


def _status(decision: dict | None) -> str:
    """Return a pair's status from its latest decision."""
    if decision is None:
        return "proposed"
    return "rejected" if decision["verdict"] == "reject" else "confirmed"


def _target(kind: str, target_id: str, found: dict) -> dict:
    """Return what a candidate is: its code, name and station."""
    if kind == "household":
        home = found["households"].get(target_id) or {}
        return {"target_code": home.get("code"), "station": home.get("station")}
    if kind == "person":
        person = found["people"].get(target_id) or {}
        return {"target_code": person.get("code"), "name": _name(person),
                "station": person.get("station")}  # fmt: skip
    case = found["cases"].get(target_id) or {}
    person = found["people"].get(case.get("person_id") or "") or {}
    return {"target_code": person.get("code"), "name": _name(case) or case.get("enquirer_name"),
            "station": case.get("station")}  # fmt: skip


def _lookups(db: Database, items: list[dict]) -> dict:
    """Fetch every record the candidates name, in a few queries."""
    ids = {i for item in items for i in (item["target_id"], item.get("person_id"))}
    ids |= {r.get("person_id") for item in items for r in item["reasons"]}
    cases = _by_id(db, "tracing_cases", ids)
    ids |= {c["person_id"] for c in cases.values()}
    return {"cases": cases, "households": _by_id(db, "households", ids),
            "people": _by_id(db, "people", ids, PEOPLE)}  # fmt: skip


def describe(db: Database, case: dict, candidates: list) -> list[dict]:
    """Return a case's candidates with codes, names, stations, statuses and reasons."""
    kinds = {r["id"]: r["kind"] for r in db_rows(db, "select id, kind from tracing_cases")}
    items = [c.as_dict() for c in candidates]
    for item in items:
        item["match_id"] = match_id(*pair_key(case["id"], item["target_id"], kinds))
    return _shaped(db, items)


def _shaped(db: Database, items: list[dict]) -> list[dict]:
    """Add codes, names, stations, statuses and reasons' person codes to candidate dicts."""
    found = _lookups(db, items)
    decided = statuses(db, [item["match_id"] for item in items])
    shaped = []
    for item in items:
        contact = found["people"].get(item.get("person_id") or "") or {}
        reasons = [{**r, "person_code": (found["people"].get(r.get("person_id") or "") or {})
                    .get("code")} for r in item["reasons"]]  # fmt: skip
        shaped.append({
            **item, "name": _name(contact), "person_code": contact.get("code"),
            **_target(item["kind"], item["target_id"], found), "reasons": reasons,
            "status": _status(decided.get(item["match_id"])),
        })  # fmt: skip
    return shaped


def proposals(db: Database, waiting: bool = True, station: str | None = None,
              limit: int = 200) -> list[dict]:  # fmt: skip
    """Return proposals (those still waiting for a decision, on open cases), likeliest first."""
    sql = (
        "select m.*, c.kind case_kind, c.status case_status, c.station case_station, "
        "c.given_name, c.father_name, c.family_name from tracing_matches m join "
        "tracing_cases c on c.id = m.case_id where m.deleted = 0 and c.deleted = 0"
    )
    params: list = []
    if waiting:
        sql += " and m.label = 'probable' and c.status = 'open'"
    if station:
        sql += " and (' ' || m.stations || ' ') like ?"
        params.append(f"% {station} %")
    rows = db_rows(db, sql + " order by m.found_at desc limit ?", [*params, limit * 2])
    items = [{"match_id": r["id"], "case_id": r["case_id"], "case_kind": r["case_kind"],
              "case_name": _name(r), "kind": r["target_kind"], "target_id": r["target_id"],
              "person_id": r["person_id"], "score": r["score"], "label": r["label"],
              "reasons": json.loads(r["reasons"]), "stations": r["stations"],
              "found_at": r["found_at"]} for r in rows]  # fmt: skip
    shaped = _shaped(db, items)
    if waiting:
        shaped = [item for item in shaped if item["status"] == "proposed"]
    shaped.sort(key=lambda item: (item["label"] != "probable", -item["score"]))
    return shaped[:limit]


def candidate_for(db: Database, case: dict, target_id: str) -> dict | None:
    """Return one candidate of a case, ranked now (open case) or as it was proposed."""
    if case["status"] == "open":
        live = [c for c in candidates(db, case) if c.target_id == target_id]
        if live:
            return describe(db, case, live)[0]
    kinds = {r["id"]: r["kind"] for r in db_rows(db, "select id, kind from tracing_cases")}
    first, second = pair_key(case["id"], target_id, kinds)
    rows = db_rows(db, "select * from tracing_matches where id = ? and deleted = 0",
                   [match_id(first, second)])  # fmt: skip
    if not rows:
        return None
    row = rows[0]
    kind = row["target_kind"] if row["case_id"] == case["id"] else (
        "child" if kinds.get(row["case_id"]) == "child" else "enquiry")  # fmt: skip
    item = {"match_id": row["id"], "case_id": case["id"], "kind": kind, "target_id": target_id,
            "person_id": row["person_id"], "score": row["score"], "label": row["label"],
            "reasons": json.loads(row["reasons"])}  # fmt: skip
    return _shaped(db, [item])[0]


def target_records(db: Database, candidate: dict) -> dict:
    """Return what a candidate is made of: a household's members, a person, or a case."""
    target = candidate["target_id"]
    if candidate["kind"] == "household":
        members = db_rows(db, PEOPLE + " where t.household_id = ? and t.deleted = 0 order by "
                          "t.position", [target])  # fmt: skip
        return {"kind": "household", "members": members}
    if candidate["kind"] == "person":
        return {"kind": "person", "members": list(_by_id(db, "people", {target}, PEOPLE).values())}
    found = _by_id(db, "tracing_cases", {target})
    case = found.get(target) or {}
    case = {**case, "siblings": json.loads(case.get("siblings") or "[]")}
    person = _by_id(db, "people", {case.get("person_id") or ""}, PEOPLE)
    return {"kind": "case", "case": case, "members": list(person.values())}
