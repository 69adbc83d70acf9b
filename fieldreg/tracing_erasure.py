"""Erasing a person's tracing data: their cases (as a child or an enquirer), and the notes,
photos, matches and decisions hanging on them, past changes emptied, with tombstones that
sync where this site may write them (sync/authority.py).
"""

from __future__ import annotations

from sqlite_utils import Database

from fieldreg.db import rows as db_rows
from fieldreg.db import update_row
from sync import authority, changelog, tables


def cases_of(db: Database, person_id: str) -> list[dict]:
    """Return the cases about (a child) or by (an enquirer) a person."""
    return db_rows(db, "select * from tracing_cases where person_id = ? and deleted = 0",
                   [person_id])  # fmt: skip


def erase_rows(db: Database, tbl: str, ids: list[str], purged: dict | None = None,
               record: bool = True) -> None:  # fmt: skip
    """Erase rows of a tracing table, past changes emptied, with tombstones that sync.

    ``record``: this site erases the person: a tombstone for every row it may write; a row
    another site owns (HQ's proposal of a match) is erased here without one, as this site
    may not write it (sync/authority.py). Otherwise the person was erased elsewhere: that
    site's tombstones travel, and this site adds one only for the rows it owns itself (the
    matches HQ proposed), so that they leave every station that holds them.
    """
    kind, site = tables.get(tbl).kind, changelog.site_of(db)
    for record_id in ids:
        if purged and kind == "record":
            update_row(db, tbl, record_id, purged)
        db.execute("update changes set data = '{}' where tbl = ? and record_id = ? and "
                   "op != 'delete'", [tbl, record_id])  # fmt: skip
        tombstone = (tbl, record_id, "delete", {"reason": "erased"})
        if record:
            mine = authority.refusal(db, site, tombstone) is None
        else:  # forgetting: only what this site owns (HQ's proposals) needs its tombstone
            mine = authority.owner_of(db, tbl, record_id) == site
        if mine:
            changelog.record(db, *tombstone)
        if kind == "append":
            db.execute(f"delete from {tbl} where id = ?", [record_id])


def erase_all(db: Database, person: dict, purged: dict, record: bool) -> None:
    """Erase or forget a person's cases (their columns set to ``purged``), their notes,
    photos, matches and decisions."""
    cases = [row["id"] for row in cases_of(db, person["id"])]
    marks = ",".join("?" * len(cases))
    about = [person["id"], *cases]
    mark_about = ",".join("?" * len(about))
    # A case erased by a tombstone that arrived in the same batch no longer names the person:
    # the matches hanging on any erased case go too.
    erased = "select id from tracing_cases where deleted = 1"
    matches = [r["id"] for r in db_rows(db, "select id from tracing_matches where deleted = 0 "
               f"and (case_id in ({mark_about}) or target_id in ({mark_about}) or person_id = ? "
               f"or case_id in ({erased}) or target_id in ({erased}))",
               [*about, *about, person["id"]])]  # fmt: skip
    hanging = {
        "tracing_notes": f"select id from tracing_notes where case_id in ({marks})",
        "tracing_photos": f"select id from tracing_photos where deleted = 0 and case_id in "
                          f"({marks})",
        "tracing_decisions": f"select id from tracing_decisions where match_id in "
                             f"({','.join('?' * len(matches))})",
    }  # fmt: skip
    for tbl, sql in hanging.items():
        params = matches if tbl == "tracing_decisions" else cases
        ids = [r["id"] for r in db_rows(db, sql, params)] if params else []
        erase_rows(db, tbl, ids, {"data": "", "deleted": 1}, record)
    erase_rows(db, "tracing_matches", matches, {"reasons": "[]", "deleted": 1}, record)
    erase_rows(db, "tracing_cases", cases, purged, record)
