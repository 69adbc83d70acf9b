"""Every contribution one area makes to another, in one list, wired by one call.

    CONTRIBUTORS            register() adds to
    medical            ->   sync.tables (triage), subject (triage held / erased)
    movements          ->   sync.tables (movements), subject (movements held / erased)
    dedup              ->   sync.tables (dedup_decisions), stats (unique, review queue),
                            clusters (person -> cluster), subject (clusters, pairs erased)
    syncing            ->   stats (last sync per station)
    convoys            ->   sync.tables (convoys, vehicles)
    boarding           ->   sync.tables (convoy_scans), subject (boarding held / erased)
    reconcile          ->   stats (the convoy panel)
    tracing            ->   sync.tables (cases, notes, photos, matches, decisions),
                            subject (tracing cases held / erased), stats (children alone)
    unique_figures     ->   stats (HQ: wounded, vulnerabilities, children alone in unique
                            people, asking clusters)

``create_app`` and the command line both call ``wire()`` before anything else runs, so a
command sees exactly what the web app sees. Nothing registers itself on import; a registry
asked for a name nobody registered raises ``registry.NotWired``.
"""

from __future__ import annotations

import threading

from fieldreg import (
    boarding,
    convoys,
    dedup,
    medical,
    movements,
    reconcile,
    syncing,
    tracing,
    unique_figures,
)

CONTRIBUTORS = (
    medical, movements, dedup, syncing, convoys, boarding, reconcile, tracing, unique_figures,
)  # fmt: skip
_lock = threading.Lock()


def wire() -> None:
    """Call every contributor's register() (again is harmless: the same values)."""
    with _lock:
        for module in CONTRIBUTORS:
            module.register()
