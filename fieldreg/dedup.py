"""Deduplication at HQ: runs of the engine (sync/dedup) over HQ's people, and review decisions.

Results live in SQLite (encrypted like the rest of the data folder): each person's cluster,
the pairs waiting for review with their per-field reasons, and the reviewers' decisions. The
engine's index is kept in memory per process (never written to disk, it holds names) so that
an incremental run after each sync only scores the new people; after a restart it is rebuilt.
Decisions are facts in time (change-log op ``append``) and sync back to the stations.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Sequence

from sqlite_utils import Database

from fieldreg import audit, clusters, dedup_counts, records, stats, subject
from fieldreg.db import write
from fieldreg.errors import DomainError, NotFound
from fieldreg.schemas.dedup import VERDICTS
from sync import changelog, tables
from sync.dedup import Decisions, DedupIndex

REVIEW_KEPT = 1000  # pairs stored for review per run; the strongest first
PERSON_SQL = (
    "select p.id, p.given_name, p.father_name, p.mother_name, p.family_name, p.sex, "
    "p.date_of_birth, p.age_years, h.phone, h.origin_district as origin, p.household_id, "
    "h.station from people p join households h on h.id = p.household_id where p.deleted = 0"
)
# An upsert, not INSERT OR REPLACE: a replaced row would not fire the tallies' delete trigger.
UPSERT_CLUSTER = (
    "insert into dedup_clusters (person_id, cluster_id, household_cluster_id) values (?, ?, ?) "
    "on conflict (person_id) do update set cluster_id = excluded.cluster_id, "
    "household_cluster_id = excluded.household_cluster_id"
)
_INDEXES: dict[str, DedupIndex] = {}
# What _store last wrote per database, so that an incremental run writes only what changed.
_STORED: dict[str, dict[str, tuple]] = {}
_LOCK = threading.Lock()


def _key(db: Database) -> str:
    """Return the database file an index belongs to."""
    return db.execute("pragma database_list").fetchone()[2]


def load_people(db: Database, ids: list[str] | None = None) -> list[dict]:
    """Return HQ's people (or those with these ids) as person dicts, with household fields."""
    if ids is None:
        return [_clean(r) for r in db.query(PERSON_SQL + " order by p.id")]
    people = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        sql = PERSON_SQL + f" and p.id in ({','.join('?' * len(chunk))}) order by p.id"
        people += [_clean(r) for r in db.query(sql, chunk)]
    return people


def _clean(row: dict) -> dict:
    """Turn NULLs into empty strings, as the engine reads them."""
    return {k: ("" if v is None else v) for k, v in row.items()}


def load_decisions(db: Database) -> Decisions:
    """Return every stored decision, in the order they were made."""
    rows = db.query("select a, b, verdict, actor, at from dedup_decisions order by at, id")
    return Decisions(
        {"a": r["a"], "b": r["b"], "verdict": r["verdict"], "by": r["actor"] or "", "at": r["at"]}
        for r in rows
    )


def has_run(db: Database) -> bool:
    """Tell whether deduplication has run here."""
    return bool(list(db.query("select 1 from dedup_clusters limit 1")))


def full_run(db: Database, progress: Callable[[str, float], None] | None = None) -> dict:
    """Deduplicate all of HQ's people, store the clusters and review queue; return a summary."""
    with _LOCK:
        people = load_people(db)
        if not people:
            raise DomainError("There is nobody to deduplicate yet.")
        index = DedupIndex.build(people, load_decisions(db), progress=progress)
        _INDEXES[_key(db)] = index
        _STORED.pop(_key(db), None)
        return _store(db, index)


def _index(db: Database) -> DedupIndex:
    """Return the kept index of this database, rebuilding it after a restart (hold _LOCK)."""
    index = _INDEXES.get(_key(db))
    if index is None:
        index = DedupIndex.build(load_people(db), load_decisions(db))
        _INDEXES[_key(db)] = index
        _STORED.pop(_key(db), None)
    return index


def after_receive(db: Database) -> dict | None:
    """Score people not yet clustered against the rest (after a sync); None if never run."""
    if not has_run(db):
        return None
    new = [
        r["id"]
        for r in db.query(
            "select p.id from people p where p.deleted = 0 and p.id not in "
            "(select person_id from dedup_clusters)"
        )
    ]
    if not new:
        return None
    with _LOCK:
        index = _index(db)
        index.add(load_people(db, new))
        return _store(db, index)


def _store(db: Database, index: DedupIndex) -> dict:
    """Write the index's clusters (only what changed) and review queue; return the summary.

    Only changed rows are written, also after a full run (compared with what the table
    holds): the tallies' triggers then do work in proportion to what changed.
    """
    result = index.result()
    homes = result.household_cluster_ids()
    now = {pid: (cid, homes.get(pid) or None) for pid, cid in result.cluster_ids().items()}
    before = _STORED.get(_key(db))
    if before is None:
        before = {pid: (cid, home) for pid, cid, home in db.execute(
            "select person_id, cluster_id, household_cluster_id from dedup_clusters")}  # fmt: skip
    rows = [(pid, cid, home) for pid, (cid, home) in now.items() if before.get(pid) != (cid, home)]
    gone = [pid for pid in before if pid not in now]
    pairs = [_pair_row(p, "review") for p in result.review_queue(REVIEW_KEPT)]
    with write(db):
        for start in range(0, len(gone), 500):
            chunk = gone[start : start + 500]
            marks = ",".join("?" * len(chunk))
            db.execute(f"delete from dedup_clusters where person_id in ({marks})", chunk)
        db.conn.executemany(UPSERT_CLUSTER, rows)
        db.execute("delete from dedup_pairs where status = 'review'")
        db.table("dedup_pairs").insert_all(pairs, replace=True)
        dedup_counts.summarise(db)
    _STORED[_key(db)] = now
    return result.summary()


def _pair_row(pair, status: str) -> dict:
    """Shape a PairScore as a dedup_pairs row."""
    reasons = {
        "fields": pair.fields,
        "probability": round(pair.probability, 4),
        "household_bonus": round(float(pair.household_bonus), 2),
        "names_swapped": bool(pair.names_swapped),
    }
    return {"a": pair.a, "b": pair.b, "score": pair.weight, "reasons": json.dumps(reasons),
            "status": status}  # fmt: skip


def decide(db: Database, a: str, b: str, verdict: str, actor: str | None) -> dict:
    """Record a reviewer's verdict on a pair (confirm, reject, undo) and re-cluster."""
    if verdict not in VERDICTS:
        raise DomainError(f"verdict is one of {', '.join(VERDICTS)}.", {"verdict": ["invalid"]})
    a, b = sorted((str(a), str(b)))
    if a == b:
        raise DomainError("A pair needs two different people.")
    found = {r["id"] for r in db.query("select id from people where id in (?, ?)", [a, b])}
    if found != {a, b}:
        raise NotFound("No such person.")
    row = {"id": records.new_id(), "a": a, "b": b, "verdict": verdict, "actor": actor,
           "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")}  # fmt: skip
    with write(db):
        db.table("dedup_decisions").insert(row)
        changelog.record(db, "dedup_decisions", row["id"], "append", row)
        audit.log(db, actor, f"dedup:{verdict}", "people", a, b)
    with _LOCK:
        if has_run(db):
            index = _index(db)
            index.apply(load_decisions(db))
            _store(db, index)
            _note_decided(db, index, a, b, verdict)
    return row


def _note_decided(db: Database, index: DedupIndex, a: str, b: str, verdict: str) -> None:
    """Keep the decided pair (with its reasons) in dedup_pairs, or drop it on undo."""
    with write(db):
        db.execute("delete from dedup_pairs where a = ? and b = ? and status != 'review'", [a, b])
        if verdict != "undo":
            pair = index.result().explain(a, b)
            db.table("dedup_pairs").insert(_pair_row(pair, verdict), replace=True)


def review_queue(db: Database, limit: int = 50) -> list[dict]:
    """Return the pairs waiting for review, strongest first, each with both people."""
    rows = list(
        db.query(
            "select * from dedup_pairs where status = 'review' order by score desc limit ?",
            [limit],
        )
    )
    people = {p["id"]: p for p in _people_by_id(db, {r[k] for r in rows for k in "ab"})}
    return [_pair_view(r, people) for r in rows if r["a"] in people and r["b"] in people]


def _people_by_id(db: Database, ids: set[str]) -> list[dict]:
    """Return person dicts with their codes, for the given ids."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    sql = PERSON_SQL.replace("select p.id,", "select p.id, p.code,") + f" and p.id in ({marks})"
    return list(db.query(sql, list(ids)))


def _pair_view(row: dict, people: dict) -> dict:
    """Shape a stored pair for the page and the API."""
    reasons = json.loads(row["reasons"])
    return {"a": people[row["a"]], "b": people[row["b"]], "score": row["score"],
            "status": row["status"], **reasons}  # fmt: skip


def explain(db: Database, a: str, b: str) -> dict:
    """Return a pair side by side: both people, each field's agreement and weight."""
    a, b = sorted((str(a), str(b)))
    people = {p["id"]: p for p in _people_by_id(db, {a, b})}
    if set(people) != {a, b}:
        raise NotFound("No such person.")
    with _LOCK:
        if not has_run(db):
            raise DomainError("Deduplication has not run here yet.")
        index = _index(db)
        if a not in index.row or b not in index.row:
            index.add(load_people(db, [i for i in (a, b) if i not in index.row]))
        pair = index.result().explain(a, b)
    view = _pair_view(_pair_row(pair, pair.verdict or "review"), people)
    return {**view, "verdict": pair.verdict, "same_cluster": _same_cluster(db, a, b)}


def _same_cluster(db: Database, a: str, b: str) -> bool:
    rows = list(db.query("select cluster_id from dedup_clusters where person_id in (?, ?)", [a, b]))
    return len(rows) == 2 and rows[0]["cluster_id"] == rows[1]["cluster_id"]


def cluster_members(db: Database, person_id: str) -> list[dict]:
    """Return the people linked with this one (itself included), by station."""
    row = next(
        db.query("select cluster_id from dedup_clusters where person_id = ?", [person_id]), None
    )
    if row is None:
        return []
    sql = "select person_id from dedup_clusters where cluster_id = ?"
    ids = {r["person_id"] for r in db.query(sql, [row["cluster_id"]])}
    return sorted(_people_by_id(db, ids), key=lambda p: (p["station"], p["id"]))


def linked_count(db: Database, person_id: str) -> int:
    """Return how many other registrations HQ linked with this person.

    At HQ the clusters answer; a station has only the decisions HQ sent down, so it counts
    the registrations a reviewer confirmed as this person (directly or through others).
    """
    if has_run(db):
        return max(0, len(cluster_members(db, person_id)) - 1)
    linked, todo = {person_id}, [person_id]
    confirmed = load_decisions(db).confirmed()
    while todo:
        here = todo.pop()
        for a, b in confirmed:
            other = b if a == here else a if b == here else None
            if other and other not in linked:
                linked.add(other)
                todo.append(other)
    return len(linked) - 1


def unique(db: Database, period: stats.Period) -> dict | None:
    """Provide unique people (with bounds) and households, each station's people seen elsewhere."""
    return dedup_counts.summary(db) if has_run(db) else None


def open_reviews(db: Database, period: stats.Period) -> dict | None:
    """Provide the number of pairs waiting for review."""
    if not has_run(db):
        return None
    row = next(db.query("select count(*) n from dedup_pairs where status = 'review'"))
    return {"open": row["n"]}


def person_clusters(db: Database, ids: Sequence[str] | None = None) -> dict[str, str] | None:
    """Return each person's cluster id (of these people, if given), or None before any run."""
    if not has_run(db):
        return None
    if ids is None:
        return {r["person_id"]: r["cluster_id"] for r in db.query("select * from dedup_clusters")}
    found = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        found.update(db.execute(
            "select person_id, cluster_id from dedup_clusters where person_id in "
            f"({','.join('?' * len(chunk))})", chunk).fetchall())  # fmt: skip
    return found


def duplicated(db: Database) -> dict[str, str] | None:
    """Return the people of clusters with two non-deleted people or more, or None before any
    run (the running count per cluster says which, without reading every cluster row)."""
    if not has_run(db):
        return None
    return dict(db.execute(
        "select person_id, cluster_id from dedup_clusters where cluster_id in "
        "(select cluster_id from tally_clusters where n > 1)").fetchall())  # fmt: skip


def members_of(db: Database, cluster_ids: Sequence[str]) -> dict[str, list[str]]:
    """Return the people of each of these clusters."""
    found: dict[str, list[str]] = {}
    for start in range(0, len(cluster_ids), 500):
        chunk = list(cluster_ids[start : start + 500])
        for person, cluster in db.execute(
            "select person_id, cluster_id from dedup_clusters where cluster_id in "
            f"({','.join('?' * len(chunk))}) order by person_id", chunk):  # fmt: skip
            found.setdefault(cluster, []).append(person)
    return found


def _held(db: Database, person: dict) -> dict:
    """Return the person's cluster and how many stored pairs name them."""
    cluster = next(
        db.query("select cluster_id from dedup_clusters where person_id = ?", [person["id"]]), {}
    )
    pairs = db.execute(
        "select count(*) from dedup_pairs where a = ? or b = ?", [person["id"], person["id"]]
    ).fetchone()[0]
    return {"cluster_id": cluster.get("cluster_id"), "pairs": pairs}


def _erase(db: Database, person: dict) -> None:
    """Drop an erased person from clusters, pairs and the in-memory index (it holds names)."""
    db.execute("delete from dedup_clusters where person_id = ?", [person["id"]])
    db.execute("delete from dedup_pairs where a = ? or b = ?", [person["id"], person["id"]])
    # Not under _LOCK: the caller holds the write lock a run may be waiting for. The next
    # run rebuilds the index from the people left (and rewrites every cluster).
    _INDEXES.pop(_key(db), None)
    _STORED.pop(_key(db), None)


def register() -> None:
    """Contribute the decisions table to sync, unique counts to stats, clusters to exports."""
    tables.register("dedup_decisions", "append", hq_only=True, shared=tables.ALL)
    subject.provider("dedup", _held, _erase, _erase)
    stats.provide("unique", unique)
    stats.provide("review_queue", open_reviews)
    clusters.provide(person_clusters, members_of, duplicated)
