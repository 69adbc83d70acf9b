"""Figures of separated and unaccompanied children, for the dashboards and the situation report.

Per kind of separation (unaccompanied, separated): children registered (flagged on their
record, or with a case, or the youngest of a household flagged when no member is), with an
open case, matched (a relative confirmed: family traced or reunited), reunified; and the
median days from a case's opening to the reunification. A period is a condition on the
child's household's arrival, as for every other figure.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter

from sqlite_utils import Database

from fieldreg import clusters, stats

KINDS = ("unaccompanied", "separated")
FLAGS = {"unaccompanied_child": "unaccompanied", "separated_child": "separated"}


ALONE = "({v} like '%unaccompanied_child%' or {v} like '%separated_child%')"
# A household flagged while none of its members is: its youngest member is the child alone
# (a registrar ticked the flag under the household's needs, not the child's).
HOUSEHOLD_ONLY = (
    f"({ALONE.format(v='h.vulnerabilities')} and not exists (select 1 from people q where "
    f"q.household_id = h.id and q.deleted = 0 and {ALONE.format(v='q.vulnerabilities')}) "
    "and p.id = (select q.id from people q where q.household_id = h.id and q.deleted = 0 "
    "order by q.age_years is null, q.age_years, q.position limit 1))"
)


def _children(db: Database, period: stats.Period) -> list[dict]:
    """Return each child alone once: its kind, and its latest case (if any)."""
    cond, params = period.where()
    rows = db.query(
        f"select p.id, case when {ALONE.format(v='p.vulnerabilities')} then p.vulnerabilities "
        "else h.vulnerabilities end vulnerabilities, c.separation, c.status, c.outcome, "
        "c.created_at, c.reunified_at from people p join households h on h.id = p.household_id "
        "left join tracing_cases c on c.person_id = p.id and c.kind = 'child' and c.deleted = 0 "
        f"where p.deleted = 0{cond} and ({ALONE.format(v='p.vulnerabilities')} or "
        f"c.id is not null or {HOUSEHOLD_ONLY}) order by p.id, c.created_at",
        params,
    )
    latest = {row["id"]: row for row in rows}  # ordered: the last case of each child wins
    return list(latest.values())


def _unique(db: Database, children: list[dict]) -> dict | None:
    """Count the children alone by kind, a child registered twice once (HQ, after
    deduplication: each child's cluster, asked of fieldreg.clusters); None before it."""
    found = clusters.person_clusters(db, [row["id"] for row in children])
    if found is None:
        return None
    kinds: dict[str, str] = {}
    for row in children:
        key = clusters.cluster_of(found, row["id"])
        if kinds.get(key) != "unaccompanied":  # unaccompanied at one station counts as such
            kinds[key] = _kind(row)
    counts = Counter(kinds.values())
    return {**{kind: counts[kind] for kind in KINDS}, "total": sum(counts.values())}


def _kind(row: dict) -> str:
    """Return a child's kind of separation: its case's, else its record's flag."""
    if row["separation"] in KINDS:
        return row["separation"]
    return "unaccompanied" if "unaccompanied_child" in (row["vulnerabilities"] or "") else (
        "separated")  # fmt: skip


def _days(opened: str, reunified: str) -> float:
    """Return the days between two stored times."""
    gap = dt.datetime.fromisoformat(reunified) - dt.datetime.fromisoformat(opened)
    return gap.total_seconds() / 86400


def figures(db: Database, period: stats.Period) -> dict | None:
    """Provide the children-alone figures (None where no child alone was ever registered)."""
    children = _children(db, period)
    # A station counts its own cases; HQ (no station) every station's.
    own, params = (" and station = ?", [period.station]) if period.station is not None else ("", [])
    if not children and not _count(
        db, f"select count(*) n from tracing_cases where deleted = 0{own}", params
    ):
        return None
    counts = {name: Counter() for name in ("registered", "open", "matched", "reunified")}
    days = []
    for row in children:
        kind = _kind(row)
        counts["registered"][kind] += 1
        counts["open"][kind] += row["status"] == "open"
        counts["matched"][kind] += row["outcome"] in ("family_traced", "reunified")
        counts["reunified"][kind] += row["outcome"] == "reunified"
        if row["outcome"] == "reunified" and row["reunified_at"]:
            days.append(_days(row["created_at"], row["reunified_at"]))
    made = {name: {**{k: c[k] for k in KINDS}, "total": sum(c.values())}
            for name, c in counts.items()}  # fmt: skip
    return {
        **made,
        # HQ (every station) after deduplication: the children registered, once each.
        "unique_registered": _unique(db, children) if period.station is None else None,
        "median_days_to_reunification": round(statistics.median(days), 1) if days else None,
        "enquiries_open": _count(db, "select count(*) n from tracing_cases where kind = "
                                 f"'enquiry' and status = 'open' and deleted = 0{own}", params),
        "matches_waiting": _count(db, "select count(*) n from tracing_matches m where "
                                  "m.deleted = 0 and m.label = 'probable' and not exists (select 1 "
                                  "from tracing_decisions d where d.match_id = m.id) and exists "
                                  "(select 1 from tracing_cases c where c.id = m.case_id and "
                                  f"c.status = 'open'{own.replace('station', 'c.station')})",
                                  params),
    }  # fmt: skip


def _count(db: Database, sql: str, params: list | None = None) -> int:
    """Run a ``select count(*) n`` query."""
    return next(db.query(sql, params or []))["n"]
