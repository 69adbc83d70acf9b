"""How the tracing tables sync, and which of their rows another station needs whole.

A station owns its cases; a match found across stations concerns both (its ``stations``),
so the match, the cases on either side and their photos go to both, and a decision on the
match follows it. Notes stay home. ``CONCERNS`` names the records a station's new fact must
touch to be its to make (sync.authority): a decision closes the cases it names; a case's
photo is set where the case was opened.
"""

from __future__ import annotations

from typing import Any

from sync import tables

TABLES = ("tracing_cases", "tracing_notes", "tracing_photos", "tracing_matches",
          "tracing_decisions")  # fmt: skip


def _listed(stations: str | None, station: str) -> bool:
    """Tell whether a match's ``stations`` (codes separated by spaces) name this station."""
    return station in (stations or "").split()


def _match_routed(db: Any, match_id: str | None, station: str, data: dict | None = None) -> bool:
    """Tell whether a match concerns the station (its ``stations`` name it)."""
    if data and "stations" in data:
        return _listed(data["stations"], station)
    row = db.execute("select stations from tracing_matches where id = ?", [match_id]).fetchone()
    return bool(row) and _listed(row[0], station)


def _case_routed(db: Any, case_id: str | None, station: str) -> bool:
    """Tell whether a case is one side of a live match that concerns the station."""
    rows = db.execute(
        "select stations from tracing_matches where deleted = 0 and (case_id = ? or target_id = ?)",
        [case_id, case_id],
    ).fetchall()
    return any(_listed(row[0], station) for row in rows)


def route_match(db: Any, _tbl: str, record_id: str, data: dict, station: str) -> bool:
    """Send a proposed match whole to both stations it concerns."""
    return _match_routed(db, record_id, station, data)


def route_case(db: Any, _tbl: str, record_id: str, _data: dict, station: str) -> bool:
    """Send a case whole to the other station of a match it is part of (to verify it)."""
    return _case_routed(db, record_id, station)


def route_about_case(db: Any, tbl: str, record_id: str, data: dict, station: str) -> bool:
    """Send a case's photo along with the case (caseworkers compare faces to verify)."""
    case_id = data.get("case_id")
    if case_id is None:
        row = db.execute(f"select case_id from [{tbl}] where id = ?", [record_id]).fetchone()
        case_id = row[0] if row else None
    return _case_routed(db, case_id, station)


def route_decision(db: Any, _tbl: str, _record_id: str, data: dict, station: str) -> bool:
    """Send a decision on a match to both stations the match concerns."""
    return _match_routed(db, data.get("match_id"), station)


CONCERNS = {
    "tracing_decisions": (
        ("case_id", "tracing_cases"),
        ("target_id", "tracing_cases", "households", "people"),
    ),
    "tracing_photos": (("case_id", "tracing_cases"),),
    # A proposal a station raises pairs one of its cases or people (tracing_match.may_propose).
    "tracing_matches": (
        ("case_id", "tracing_cases"),
        ("target_id", "tracing_cases", "households", "people"),
    ),
}
SYNC_RULES = {
    "tracing_cases": ("record", route_case),
    "tracing_notes": ("append", None),
    "tracing_photos": ("record", route_about_case),
    "tracing_matches": ("record", route_match),
    "tracing_decisions": ("append", route_decision),
}


def register_tables() -> None:
    """Contribute the tracing tables to sync, each with its kind, routing and concerns."""
    for tbl in TABLES:
        kind, route = SYNC_RULES[tbl]
        tables.register(tbl, kind, route=route, concerns=CONCERNS.get(tbl, ()))
