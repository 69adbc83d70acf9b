"""Another agency's list against FieldReg's records: why two counts differ, as names.

An imported list (fieldreg/manifests.py reads and checks the file) is kept here, with its
column mapping, only to be reconciled: it never changes a record and never syncs. The same
matching as deduplication (sync/dedup/link.py) links their rows to our people, in the scope
chosen (everyone here, or the people of one convoy or vehicle), our people counted once per
deduplication cluster. The answer explains the difference between the two counts:

    their rows  = matched + probable + only in theirs + their duplicates (rows naming someone
                  another row of theirs names already)
    our people  = matched + probable + only in ours
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from fieldreg import audit, clusters, convoys, dedup, manifests, reconcile, records, tags
from fieldreg.db import insert_row, update_row, write
from fieldreg.db import rows as db_rows
from fieldreg.errors import DomainError, NotFound
from sync import names
from sync.dedup.csvio import SEXES, parse_birth_date
from sync.dedup.link import link

STATUSES = ("matched", "probable", "only_theirs")


def import_list(db: Database, filename: str, data: bytes, meta: dict, actor: str | None) -> dict:
    """Read and keep a list (refusing what is not a table); nothing else changes."""
    table = manifests.read(filename, data, meta.get("encoding") or "auto")
    row = {
        "id": records.new_id(),
        "name": (meta.get("name") or filename or "list").strip()[:100],
        "agency": (meta.get("agency") or "").strip()[:100] or None,
        "filename": (filename or "")[:200],
        "scope": _scope(db, meta.get("scope") or "all"),
        "header": json.dumps(table.header, ensure_ascii=False),
        "rows": json.dumps(table.rows, ensure_ascii=False),
        "created_at": tags.now(),
        "created_by": actor,
    }
    with write(db):
        insert_row(db, "foreign_lists", row)
        audit.log(db, actor, "import_list", "foreign_lists", row["id"],
                  f"{len(table.rows)} rows, {table.encoding}")  # fmt: skip
    return get_list(db, row["id"])


def _scope(db: Database, scope: str) -> str:
    """Check a scope: all, convoy:ID or vehicle:ID."""
    kind, _, record_id = scope.partition(":")
    if kind == "convoy" and record_id:
        convoys.convoy_row(db, record_id)
    elif kind == "vehicle" and record_id:
        convoys.vehicle_row(db, record_id)
    elif scope != "all":
        raise DomainError("The scope is all, convoy:ID or vehicle:ID.", {"scope": ["Unknown."]})
    return scope


def get_list(db: Database, list_id: str) -> dict:
    """Return a list with its header, row count, mapping (or a suggested one) and result."""
    found = db_rows(db, "select * from foreign_lists where id = ?", [list_id])
    if not found:
        raise NotFound("No imported list has this id.")
    row = found[0]
    header = json.loads(row["header"])
    mapping = json.loads(row["mapping"]) if row["mapping"] else None
    return {
        **{k: row[k] for k in ("id", "name", "agency", "filename", "scope", "created_at")},
        "reconciled_at": row["reconciled_at"],
        "header": header,
        "rows": len(json.loads(row["rows"])),
        "mapping": mapping,
        "suggested": mapping or remembered(db, header) or manifests.guess(header),
        "result": json.loads(row["result"]) if row["result"] else None,
    }


def list_rows(db: Database, list_id: str) -> list[list[str]]:
    """Return a list's rows as imported."""
    found = db_rows(db, "select rows from foreign_lists where id = ?", [list_id])
    if not found:
        raise NotFound("No imported list has this id.")
    return json.loads(found[0]["rows"])


def all_lists(db: Database) -> list[dict]:
    """Return the imported lists, newest first (without their rows)."""
    return db_rows(
        db,
        "select id, name, agency, filename, scope, created_at, reconciled_at, "
        "json_array_length(rows) as row_count from foreign_lists order by created_at desc",
    )


def remembered(db: Database, header: list[str]) -> dict | None:
    """Return the mapping last used for a list with this header."""
    found = db_rows(db, "select mapping from foreign_mappings where signature = ?",
                    [manifests.signature(header)])  # fmt: skip
    return json.loads(found[0]["mapping"]) if found else None


def reconcile_list(
    db: Database, list_id: str, mapping: dict, scope: str | None, actor: str | None
) -> dict:
    """Map a list's columns (remembered for next time), reconcile it and keep the result."""
    found = get_list(db, list_id)
    mapping = manifests.check_mapping(found["header"], mapping)
    scope = _scope(db, scope or found["scope"])
    theirs = people_from(found["header"], list_rows(db, list_id), mapping)
    result = compare(db, theirs, scope)
    stamp = tags.now()
    with write(db):
        update_row(db, "foreign_lists", list_id, {
            "mapping": json.dumps(mapping, ensure_ascii=False), "scope": scope,
            "result": json.dumps(result), "reconciled_at": stamp})  # fmt: skip
        db.execute(
            "insert into foreign_mappings (signature, mapping, updated_at) values (?, ?, ?) "
            "on conflict(signature) do update set mapping = excluded.mapping, "
            "updated_at = excluded.updated_at",
            [manifests.signature(found["header"]), json.dumps(mapping, ensure_ascii=False), stamp],
        )
        audit.log(db, actor, "reconcile_list", "foreign_lists", list_id, scope)
    return get_list(db, list_id)


def people_from(header: list[str], rows: list[list[str]], mapping: dict) -> list[dict]:
    """Turn their rows into person dicts the matching reads (a full name split in parts)."""
    column = {field: header.index(col) for col, field in mapping.items()}
    people = []
    for number, row in enumerate(rows):
        cell = {field: row[i] for field, i in column.items()}
        person = {"id": f"r{number}", **_names(cell)}
        person["sex"] = SEXES.get(cell.get("sex", "").strip().lower(), "unknown")
        person["age_years"] = _age(cell.get("age_years", ""))
        person["date_of_birth"] = parse_birth_date(cell.get("date_of_birth", "")) or ""
        for name in ("phone", "id_number", "origin"):
            person[name] = cell.get(name, "")
        people.append(person)
    return people


def _names(cell: dict) -> dict:
    """Return the four name parts, from their columns or split from a full name."""
    parts = {f: cell.get(f, "").strip() for f in manifests.NAME_FIELDS[1:]}
    full = names.normalize(cell.get("full_name", "")).split()
    if full and not parts["given_name"]:
        parts["given_name"] = full[0]
        if len(full) > 1 and not parts["family_name"]:
            parts["family_name"] = full[-1]
        if len(full) > 2 and not parts["father_name"]:
            parts["father_name"] = full[1]
    return parts


def _age(text: str) -> int | str:
    try:
        age = int(float(text))
    except (TypeError, ValueError, OverflowError):
        return ""
    return age if 0 <= age <= 120 else ""


def our_people(db: Database, scope: str) -> dict[str, list]:
    """Return our people in a scope, as columns the matching reads (``id`` first)."""
    if scope == "all":
        return _columns(db.execute(dedup.PERSON_SQL + " order by p.id"))
    kind, _, record_id = scope.partition(":")
    trips = reconcile.load(db)
    vehicles = [record_id] if kind == "vehicle" else [
        v["id"] for v in convoys.vehicles_of(db, record_id)]  # fmt: skip
    ids: set[str] = set()
    for side in ("board", "arrive"):
        for key, held in trips.people(vehicles, side).items():
            if not key.startswith("code:"):  # a code not known here names none of ours
                ids |= held
    return _columns(db.execute(
        dedup.PERSON_SQL + " and p.id in (select value from json_each(?)) order by p.id",
        [json.dumps(sorted(ids))]))  # fmt: skip


def _columns(cursor) -> dict[str, list]:
    """Read a query's rows as columns (NULL as ''): less memory and time than a dict per row."""
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    return {name: ["" if r[i] is None else r[i] for r in rows] for i, name in enumerate(names)}


def compare(db: Database, theirs: list[dict], scope: str) -> dict:
    """Link their people to ours and explain the difference between the two counts."""
    ours = our_people(db, scope)
    found = link(ours, theirs)
    cluster = clusters.person_clusters(db)
    key = lambda pid: clusters.cluster_of(cluster, pid)  # noqa: E731
    groups = [
        {"rows": [int(r[1:]) for r in g.rows], "status": g.status, "ours": g.ours,
         "candidates": g.candidates, "probability": round(g.probability, 3)}
        for g in found.groups
    ]  # fmt: skip
    matched = {key(o) for g in groups if g["status"] == "matched" for o in g["ours"]}
    probable = {key(g["candidates"][0][0]) for g in groups if g["status"] == "probable"}
    probable -= matched
    first: dict[str, str] = {}
    for person_id in ours["id"]:
        first.setdefault(key(person_id), person_id)
    only_ours = [pid for k, pid in first.items() if k not in matched and k not in probable]
    return {"summary": _summary(groups, len(theirs), len(first), matched, probable, only_ours),
            "groups": groups, "only_ours": only_ours, "scope": scope}  # fmt: skip


def _summary(groups, rows: int, ours: int, matched, probable, only_ours) -> dict:
    """Count each side and say how the two counts come apart."""
    by = {s: sum(1 for g in groups if g["status"] == s) for s in STATUSES}
    duplicates = rows - len(groups)
    explained = (
        by["matched"] + by["probable"] + by["only_theirs"] + duplicates
        - len(matched) - len(probable) - len(only_ours)
    )  # fmt: skip
    return {
        "their_rows": rows,
        "their_people": len(groups),
        "their_duplicates": duplicates,
        "duplicate_groups": sum(1 for g in groups if len(g["rows"]) > 1),
        "our_people": ours,
        "matched": by["matched"],
        "matched_ours": len(matched),
        "probable": by["probable"],
        "probable_ours": len(probable),
        "only_theirs": by["only_theirs"],
        "only_ours": len(only_ours),
        "difference": rows - ours,
        "unexplained": (rows - ours) - explained,
    }


def delete_list(db: Database, list_id: str, actor: str | None) -> None:
    """Delete an imported list and its result (it holds another agency's names)."""
    get_list(db, list_id)
    with write(db):
        db.execute("delete from foreign_lists where id = ?", [list_id])
        audit.log(db, actor, "delete_list", "foreign_lists", list_id)
