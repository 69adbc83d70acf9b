"""Who wrote each field of a tracing case here: a registrar sees only their own entries.

Issue 19: "registrars can open a case and add to it but see only what they entered".
Decision: a registrar sees that the case exists, its status and outcome, the record it is
about, their own notes, and of the case's fields only those whose current value is the one
they wrote (the field's version, ``sync_meta``, is the version of their own change). A field
a caseworker added, or changed after them, here or at HQ, is hidden (``hidden`` lists it):
they see that something was added, never what. Written at this site only (local, never
synced): a registrar sees only the cases they opened here.
"""

from __future__ import annotations

from sqlite_utils import Database

from sync import changelog
from sync.changelog import Change

# A hidden field sent back empty by a registrar's form is one they did not touch.
EMPTY = (None, "", "[]", 0, False)


def note(db: Database, change: Change, actor: str | None, names) -> None:
    """Record that ``actor`` wrote these fields of a case with ``change`` (inside a write)."""
    db.conn.executemany(
        "insert into tracing_entries (case_id, field, actor, version) values (?,?,?,?) "
        "on conflict(case_id, field) do update set actor = excluded.actor, "
        "version = excluded.version",
        [(change.record_id, name, actor, change.version) for name in names],
    )


def own_fields(db: Database, case_id: str, username: str | None) -> set[str]:
    """Return the fields of a case whose current value ``username`` wrote here."""
    versions, _deleted = changelog.meta(db, "tracing_cases", case_id)
    rows = db.execute(
        "select field, version from tracing_entries where case_id = ? and actor = ?",
        [case_id, username],
    ).fetchall()
    return {field for field, version in rows if versions.get(field) == version}


def untouched(changes: dict, hidden: set[str]) -> dict:
    """Drop the hidden fields a registrar's form sent back empty (they never saw them)."""
    return {k: v for k, v in changes.items() if not (k in hidden and v in EMPTY)}
