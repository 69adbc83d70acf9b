"""Which deduplication cluster each person belongs to, as exports and HQ figures see it.

Deduplication (sync/dedup) owns the clusters; it sets ``LOOKUP`` to a function answering
``{person_id: cluster_id}``. Until it has run, there are no clusters: each person is its own.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

LOOKUP: Callable[[Database], dict[str, str] | None] | None = None


def person_clusters(db: Database) -> dict[str, str] | None:
    """Return each clustered person's cluster id, or None when no clusters exist."""
    return LOOKUP(db) if LOOKUP else None


def cluster_of(clusters: dict[str, str] | None, person_id: str) -> str:
    """Return a person's cluster id: its cluster's, else its own id (a cluster of one)."""
    return (clusters or {}).get(person_id) or person_id
