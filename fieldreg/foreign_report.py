"""An imported list's reconciliation as people read it: named lists, and CSV/XLSX with HXL.

Their rows are shown as they wrote them; our people by their current record (an erased
person shows as erased, never by the name they had). One export row per row of theirs (its
status, the person of ours it matched or may be) and one per person only in ours.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from fieldreg import audit, boarding, exports, foreign
from fieldreg.db import rows as db_rows
from fieldreg.db import write
from fieldreg.errors import DomainError

SHOWN = 500
COLUMNS = {
    "status": "#status+reconciliation",
    "their_row": "#meta+row+theirs",
    "their_group": "#meta+group+theirs",
    "their_id": "#meta+id+theirs",
    "their_name": "#affected+name+theirs",
    "their_sex": "#sex+theirs",
    "their_age": "#age+theirs",
    "their_vehicle": "#meta+vehicle+theirs",
    "their_time": "#date+theirs",
    "our_code": "#meta+person+code",
    "our_name": "#affected+name",
    "our_station": "#loc+station+code",
    "probability": "#indicator+probability",
}


def their_row(header: list[str], mapping: dict, row: list[str], number: int) -> dict:
    """Show one of their rows: its number (as in their file) and the mapped cells."""
    cell = {field: row[header.index(col)] for col, field in mapping.items() if col in header}
    name = cell.get("full_name") or " ".join(
        cell.get(f, "") for f in ("given_name", "father_name", "family_name") if cell.get(f)
    )
    return {
        "row": number + 2,  # the header is line 1 of their file
        "name": name,
        "sex": cell.get("sex", ""),
        "age": cell.get("age_years", ""),
        "vehicle": cell.get("vehicle", ""),
        "time": cell.get("time", ""),
        "id": cell.get("their_id", ""),
    }


def ours_by_id(db: Database, ids: set[str]) -> dict[str, dict]:
    """Return code, name and station of our people (erased people as erased)."""
    found, ids = {}, sorted(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in db_rows(
            db,
            "select p.id, p.code, p.given_name, p.father_name, p.family_name, p.deleted, "
            "h.station from people p join households h on h.id = p.household_id where p.id in "
            f"({','.join('?' * len(chunk))})",
            chunk,
        ):
            name = "(erased)" if row["deleted"] else boarding.display_name(row)
            found[row["id"]] = {"code": row["code"], "name": name, "station": row["station"]}
    return found


def named(db: Database, list_id: str, limit: int | None = SHOWN) -> dict:
    """Return the list's reconciliation as named lists (each cut at ``limit`` people)."""
    found = foreign.get_list(db, list_id)
    result = found["result"]
    if not result:
        return {"list": found, "lists": None, "sizes": {}}
    rows = foreign.list_rows(db, list_id)
    theirs = lambda n: their_row(found["header"], found["mapping"], rows[n], n)  # noqa: E731
    cut = (lambda items: items[:limit]) if limit else (lambda items: items)
    groups = result["groups"]
    sections = {
        "matched": [g for g in groups if g["status"] == "matched"],
        "probable": [g for g in groups if g["status"] == "probable"],
        "only_theirs": [g for g in groups if g["status"] == "only_theirs"],
        "their_duplicates": [g for g in groups if len(g["rows"]) > 1],
    }
    shown = {name: cut(items) for name, items in sections.items()}
    only_ours = cut(result["only_ours"])
    wanted = {o for items in shown.values() for g in items for o in g["ours"]}
    wanted |= {c[0] for g in shown["probable"] for c in g["candidates"]} | set(only_ours)
    ours = ours_by_id(db, wanted)
    missing = {"code": "", "name": "(erased)", "station": ""}
    lists = {
        name: [{
            "theirs": [theirs(n) for n in g["rows"]],
            "ours": [ours.get(o, missing) for o in g["ours"]],
            "candidates": [{**ours.get(c, missing), "probability": p} for c, p in g["candidates"]],
            "probability": g["probability"],
        } for g in items]
        for name, items in shown.items()
    }  # fmt: skip
    lists["only_ours"] = [ours.get(o, missing) for o in only_ours]
    sizes = {name: len(items) for name, items in sections.items()}
    sizes["only_ours"] = len(result["only_ours"])
    return {"list": found, "lists": lists, "sizes": sizes}


def table(db: Database, list_id: str) -> tuple[list[str], list[dict]]:
    """Return the reconciliation as rows: one per row of theirs, one per person only ours."""
    view = named(db, list_id, limit=None)
    if view["lists"] is None:
        raise DomainError("Map the list's columns first: there is no reconciliation yet.")
    out = []
    groups = view["list"]["result"]["groups"]
    for number, (group, shown) in enumerate(_pairs(groups, view["lists"]), start=1):
        best = (shown["ours"] or shown["candidates"] or [{}])[0]
        for row in shown["theirs"]:
            out.append({
                "status": group["status"], "their_row": row["row"], "their_group": number,
                "their_id": row["id"], "their_name": row["name"], "their_sex": row["sex"],
                "their_age": row["age"], "their_vehicle": row["vehicle"],
                "their_time": row["time"], "our_code": best.get("code"),
                "our_name": best.get("name"), "our_station": best.get("station"),
                "probability": best.get("probability") or group["probability"] or None,
            })  # fmt: skip
    for person in view["lists"]["only_ours"]:
        out.append({"status": "only_ours", "our_code": person["code"],
                    "our_name": person["name"], "our_station": person["station"]})  # fmt: skip
    return list(COLUMNS), out


def _pairs(groups: list[dict], lists: dict) -> list[tuple[dict, dict]]:
    """Pair each stored group with its named form, in the stored order."""
    named_by_status = {s: iter(lists[s]) for s in foreign.STATUSES}
    return [(g, next(named_by_status[g["status"]])) for g in groups]


def export(db: Database, list_id: str, fmt: str, hxl: bool, actor: str | None) -> bytes:
    """Write the reconciliation as CSV or XLSX (optionally with HXL hashtags), audited."""
    columns, rows = table(db, list_id)
    tags = [COLUMNS[c] for c in columns] if hxl else None
    if fmt == "xlsx":
        body = exports.to_xlsx({"reconciliation": (columns, rows)}, hxl, {"reconciliation": tags})
    else:
        body = exports.to_csv("reconciliation", columns, rows, hxl, tags)
    detail = json.dumps({"format": fmt, "hxl": hxl, "list": list_id})
    with write(db):
        audit.log(db, actor, "export", "foreign_lists", list_id, detail)
    return body
