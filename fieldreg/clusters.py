"""Which deduplication cluster each person belongs to, as exports and HQ figures see it.

Deduplication owns the clusters; it registers its lookups here through ``fieldreg.wiring``
(``provide``), and everything that shows clusters (exports, stats, pages, the command line)
asks this module: ``person_clusters`` (each person's cluster, for all people or a batch of
them, so that an export of a million people can ask a thousand at a time),
``cluster_members`` (who is in a cluster) and ``duplicated`` (the people of clusters of two
or more: all HQ's figures about people need to count each person once). Until
deduplication has run there are no clusters: each person is its own. Asking before the
lookups are registered is an error, never "no clusters".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlite_utils import Database

from fieldreg.registry import Registry

Lookup = Callable[[Database, Sequence[str] | None], dict[str, str] | None]
Members = Callable[[Database, Sequence[str]], dict[str, list[str]]]
Duplicated = Callable[[Database], dict[str, str] | None]
SOURCE = Registry("cluster source", names=("lookup", "members", "duplicated"))


def provide(lookup: Lookup, members: Members, duplicated: Duplicated) -> None:
    """Register the functions answering ``{person_id: cluster_id}``, a cluster's members and
    the people of clusters of two or more."""
    SOURCE.add("lookup", lookup)
    SOURCE.add("members", members)
    SOURCE.add("duplicated", duplicated)


def person_clusters(db: Database, ids: Sequence[str] | None = None) -> dict[str, str] | None:
    """Return each clustered person's cluster id (of these people only, if given), or None
    when no clusters exist."""
    return SOURCE.get("lookup")(db, ids)


def cluster_members(db: Database, cluster_ids: Sequence[str]) -> dict[str, list[str]]:
    """Return the people of each of these clusters (ids in order)."""
    return SOURCE.get("members")(db, cluster_ids) if cluster_ids else {}


def duplicated(db: Database) -> dict[str, str] | None:
    """Return ``{person_id: cluster_id}`` of the people in clusters of two people or more
    (the registrations a count of people must fold), or None when no clusters exist."""
    return SOURCE.get("duplicated")(db)


def cluster_of(clusters: dict[str, str] | None, person_id: str) -> str:
    """Return a person's cluster id: its cluster's, else its own id (a cluster of one)."""
    return (clusters or {}).get(person_id) or person_id
