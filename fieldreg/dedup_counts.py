"""HQ's unique counts, with the bounds that review could still move them to.

Every dedup run and review decision leaves clusters (``dedup_clusters``) and the pairs still
undecided (``dedup_pairs`` with status ``review``). The counts are running figures
(``fieldreg.tallies``, migration ``m121_dedup_counts``): triggers keep the number of
clusters, of household clusters and each station's people also registered elsewhere as
clusters are written and people deleted, so reading them costs the same at a million people.
The bounds come from the undecided pairs (a thousand at most), each time clusters are stored:

    unique   clusters among non-deleted people
    low      if every undecided pair is one person: the clusters joined by the undecided
             pairs that cross two clusters (union-find over the clusters)
    high     if every undecided pair is two people: a rejected pair is never in one cluster
             (sync/dedup/clusters.py keeps it apart even against a chain of links), so each
             cluster holding k undecided pairs falls into at most k + 1 parts (and at most
             as many as it has people)

``dedup_summary`` keeps how far below and above the count the bounds lie; a deletion since
(which ``tally_totals.people_deleted`` tells) has them counted again.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlite_utils import Database

from fieldreg import tallies
from fieldreg.db import write

UNDECIDED_SQL = (
    "select ca.cluster_id, cb.cluster_id from dedup_pairs d "
    "join dedup_clusters ca on ca.person_id = d.a join dedup_clusters cb on cb.person_id = d.b "
    "join people pa on pa.id = d.a and pa.deleted = 0 "
    "join people pb on pb.id = d.b and pb.deleted = 0 where d.status = 'review'"
)


def bounds(db: Database) -> tuple[int, int, int]:
    """Return (clusters merged if every undecided pair is one person, clusters split if none
    is, undecided pairs) from the stored clusters and review queue."""
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
    return merged, _splits(db, inside), len(pairs)


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


def summarise(db: Database, found: tuple[int, int, int] | None = None) -> dict:
    """Store the bounds: ``found`` (merged, splits, undecided) if the engine worked them out,
    else worked out from the stored clusters and review queue."""
    with write(db):
        merged, splits, undecided = found or bounds(db)
        row = {
            "id": 1, "merged": merged, "splits": splits, "undecided": undecided,
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
    """Return unique people (with bounds) and households, and each station's overlap."""
    cursor = db.execute("select * from dedup_summary where id = 1")
    found = cursor.fetchone()
    row = dict(zip((d[0] for d in cursor.description), found, strict=True)) if found else None
    if row is None or row["people_deleted"] != tallies.total(db, "people_deleted"):
        row = summarise(db)
    people = tallies.total(db, "unique_people")
    overlap = db.execute("select station, n from tally_overlap where n != 0 order by 1")
    return {
        "people": people,
        "households": tallies.total(db, "unique_households"),
        "overlap": dict(overlap.fetchall()),
        "people_low": max(people - row["merged"], 0),
        "people_high": people + row["splits"],
        "undecided": row["undecided"],
    }
