"""HQ's unique counts, with the bounds that review could still move them to.

Every dedup run and review decision leaves clusters (``dedup_clusters``) and the pairs still
undecided (``dedup_pairs`` with status ``review``). From them, in the same transaction:

    unique   clusters among non-deleted people
    low      if every undecided pair is one person: the clusters joined by the undecided
             pairs that cross two clusters (union-find over the clusters)
    high     if every undecided pair is two people: a rejected pair is never in one cluster
             (sync/dedup/clusters.py keeps it apart even against a chain of links), so each
             cluster holding k undecided pairs falls into at most k + 1 parts (and at most
             as many as it has people)

and keeps them in ``dedup_summary``, so that the dashboard and ``/api/v1/stats`` read one
row instead of counting a million clusters. A deletion since (an erasure, a station's
tombstone) changes ``tally_totals.people_deleted``: the summary is then counted again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

from sqlite_utils import Database

from fieldreg import tallies
from fieldreg.db import write

UNIQUE_SQL = (
    "select count(distinct c.cluster_id), count(distinct coalesce(c.household_cluster_id, "
    "p.household_id)) from dedup_clusters c join people p on p.id = c.person_id "
    "where p.deleted = 0"
)
OVERLAP_SQL = (
    "with s as (select c.cluster_id, h.station from dedup_clusters c join people p on "
    "p.id = c.person_id join households h on h.id = p.household_id where p.deleted = 0), "
    "multi as (select cluster_id from s group by 1 having count(distinct station) > 1) "
    "select station, count(*) from s where cluster_id in multi group by 1"
)
UNDECIDED_SQL = (
    "select ca.cluster_id, cb.cluster_id from dedup_pairs d "
    "join dedup_clusters ca on ca.person_id = d.a join dedup_clusters cb on cb.person_id = d.b "
    "join people pa on pa.id = d.a and pa.deleted = 0 "
    "join people pb on pb.id = d.b and pb.deleted = 0 where d.status = 'review'"
)


def bounds(db: Database, unique: int) -> tuple[int, int, int]:
    """Return (low, high, undecided pairs) around ``unique`` from the stored clusters."""
    pairs = db.execute(UNDECIDED_SQL).fetchall()
    parent: dict[str, str] = {}

    def root(cluster: str) -> str:
        while parent.get(cluster, cluster) != cluster:
            cluster = parent[cluster]
        return cluster

    merged = 0
    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
            merged += 1
    inside = Counter(a for a, b in pairs if a == b)
    return unique - merged, unique + _splits(db, inside), len(pairs)


def _splits(db: Database, inside: Counter) -> int:
    """Return how many more clusters rejecting the undecided pairs inside them could make."""
    extra, ids = 0, list(inside)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        sizes = db.execute(
            "select c.cluster_id, count(*) from dedup_clusters c join people p on "
            f"p.id = c.person_id and p.deleted = 0 where c.cluster_id in "
            f"({','.join('?' * len(chunk))}) group by 1",
            chunk,
        )
        extra += sum(min(inside[cluster], size - 1) for cluster, size in sizes)
    return extra


def summarise(db: Database) -> dict:
    """Count unique people and households, each station's overlap and the bounds; store them."""
    with write(db):
        people, households = db.execute(UNIQUE_SQL).fetchone()
        low, high, undecided = bounds(db, people)
        row = {
            "id": 1, "unique_people": people, "unique_households": households,
            "overlap": json.dumps(dict(db.execute(OVERLAP_SQL).fetchall())),
            "low": low, "high": high, "undecided": undecided,
            "people_deleted": tallies.total(db, "people_deleted"),
            "computed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }  # fmt: skip
        db.execute(
            f"insert or replace into dedup_summary ({', '.join(row)}) "
            f"values ({', '.join('?' * len(row))})",
            list(row.values()),
        )
    return row


def summary(db: Database) -> dict:
    """Return the stored summary, counted again if missing or if people were deleted since."""
    cursor = db.execute("select * from dedup_summary where id = 1")
    found = cursor.fetchone()
    row = dict(zip((d[0] for d in cursor.description), found, strict=True)) if found else None
    if row is None or row["people_deleted"] != tallies.total(db, "people_deleted"):
        row = summarise(db)
    return {
        "people": row["unique_people"],
        "households": row["unique_households"],
        "overlap": json.loads(row["overlap"]),
        "people_low": row["low"],
        "people_high": row["high"],
        "undecided": row["undecided"],
    }
