"""Which deduplication cluster each person belongs to, as exports and HQ figures see it.

Deduplication owns the clusters; it registers its lookup here through ``fieldreg.wiring``
(``provide``), and everything that shows clusters (exports, stats, pages, the command line)
asks ``person_clusters``. Until deduplication has run there are no clusters: each person is
its own. Asking before the lookup is registered is an error, never "no clusters".
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from fieldreg.registry import Registry

Lookup = Callable[[Database], dict[str, str] | None]
SOURCE = Registry("cluster source", names=("lookup",))


def provide(lookup: Lookup) -> None:
    """Register the function answering ``{person_id: cluster_id}`` (None before any run)."""
    SOURCE.add("lookup", lookup)


def person_clusters(db: Database) -> dict[str, str] | None:
    """Return each clustered person's cluster id, or None when no clusters exist."""
    return SOURCE.get("lookup")(db)


def cluster_of(clusters: dict[str, str] | None, person_id: str) -> str:
    """Return a person's cluster id: its cluster's, else its own id (a cluster of one)."""
    return (clusters or {}).get(person_id) or person_id
