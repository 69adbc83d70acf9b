"""Caseworkers' decisions on candidates: confirm (a reunification, or a verification visit to
come) or reject; a confirmation closes both cases, every decision is audited and syncs.

Decisions are facts in time (``tracing_decisions``, never edited): the latest one of a pair
is its status; a rejected pair is never proposed again (tracing_match.rejected). A station
closes the cases it opened; a case of another station named by a confirmation is closed at
HQ when the decision arrives there (tracing_match.settle), and comes back closed by sync.
"""

from __future__ import annotations

from sqlite_utils import Database

from fieldreg import audit, records, tags, tracing
from fieldreg.db import insert_row, write
from fieldreg.db import rows as db_rows
from fieldreg.errors import Conflict, NotFound
from fieldreg.tracing_match import candidates, match_id, pair_key, propose
from sync import changelog
from sync import tracing as engine


def decide(db: Database, case_id: str, target_id: str, verdict: str, outcome: str,
           note: str | None, actor: str | None) -> dict:  # fmt: skip
    """Record a caseworker's verdict on a pair; a confirmation closes both cases."""
    with write(db):
        case = tracing.visible_row(db, case_id, tracing.Viewer(actor, True))
        kinds = {
            r["id"]: r["kind"]
            for r in db_rows(
                db, "select id, kind from tracing_cases where id in (?, ?)", [case_id, target_id]
            )
        }
        first, second = pair_key(case_id, target_id, kinds)
        pair = match_id(first, second)
        if verdict == "confirm" and case["status"] != "open":
            raise Conflict("This case is closed already.", code="case_closed")
        _ensure_proposal(db, case, target_id, first, second)
        row = {"id": records.new_id(), "match_id": pair, "case_id": first, "target_id": second,
               "verdict": verdict, "outcome": outcome if verdict == "confirm" else None,
               "note": note, "actor": actor, "at": tags.now()}  # fmt: skip
        insert_row(db, "tracing_decisions", row)
        changelog.record(db, "tracing_decisions", row["id"], "append", row)
        audit.log(db, actor, f"tracing_{verdict}", "tracing_cases", case_id, target_id)
        if verdict == "confirm":
            for closing in {first, second} & set(kinds):
                tracing.close_matched(db, closing, outcome, actor)
    return row


def _ensure_proposal(db: Database, case: dict, target_id: str, first: str, second: str) -> None:
    """Make sure the pair has its proposal row (a caseworker may decide on any candidate)."""
    if db_rows(db, "select 1 from tracing_matches where id = ?", [match_id(first, second)]):
        return
    listed = [c for c in candidates(db, case) if c.target_id == target_id] if \
        case["status"] == "open" else []  # fmt: skip
    if not listed:
        kind = db_rows(db, "select kind from tracing_cases where id = ?", [target_id])
        target_kind = ("enquiry" if kind and kind[0]["kind"] == "enquiry" else "child") if kind \
            else ("household" if db_rows(db, "select 1 from households where id = ?",
                                         [target_id]) else "person")  # fmt: skip
        if target_kind == "person" and not db_rows(db, "select 1 from people where id = ?",
                                                   [target_id]):  # fmt: skip
            raise NotFound("No such candidate.", {"target_id": ["Unknown."]})
        listed = [engine.Candidate(case["id"], target_kind, target_id, 0.0)]
    propose(db, first, second, listed[0], {case["id"]: case, first: case, second: case})


def reunite(db: Database, case_id: str, actor: str | None) -> dict:
    """Record that a child whose family was traced is now back with them."""
    with write(db):
        case = tracing.visible_row(db, case_id, tracing.Viewer(actor, True))
        tracing.refuse_foreign(db, case)
        if case["outcome"] != "family_traced":
            raise Conflict("Only a case whose family was traced can be reunited.",
                           code="case_closed")  # fmt: skip
        tracing.set_status(db, case_id, {"outcome": "reunified", "reunified_at": tags.now()},
                           actor, "tracing_reunified")  # fmt: skip
    return tracing.get_case(db, case_id, tracing.Viewer(actor, True), audited=False)
