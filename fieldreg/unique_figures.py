"""HQ's figures about people, counted in unique people after deduplication.

Registrations are what stations recorded: one man triaged at both stations is two wounded
registrations and one wounded person. After deduplication HQ counts, per cluster (asked of
``fieldreg.clusters``, the one owner of clusters, never read from dedup's tables here):

    triage            each cluster once, under the most urgent of its members' latest triage
                      (waiting for care if any of those latest entries waits)
    vulnerabilities   each cluster once per flag on any member's own record
    households        each household once per flag on its needs; registrations of one
                      household at two stations (sharing a member's cluster) count once
    children alone    each child's cluster once (a child registered twice is one child)

None until deduplication has run, and at a station (``period.station`` set), whose figures
count its own registrations.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from sqlite_utils import Database

from fieldreg import clusters, stats, tracing_figures
from fieldreg.migrations import M122_WAITING, M123_LATEST
from fieldreg.schemas.medical import CATEGORIES

LATEST = M123_LATEST.format(t="triage", p="e.person_id", but="")


def figure(db: Database, period: stats.Period) -> dict | None:
    """Provide HQ's people figures in unique people (None before deduplication)."""
    if period.station is not None:
        return None
    triaged = {row[0]: row[1:] for row in db.execute(
        f"select e.person_id, e.category, {M122_WAITING} from triage e join people p "
        f"on p.id = e.person_id where p.deleted = 0 and e.id = {LATEST}")}  # fmt: skip
    flagged = _flagged(db, period)
    alone = tracing_figures.kinds(db, period)
    homes = _flagged_households(db, period)
    members = {pid for pids, _flags in homes.values() for pid in pids}
    wanted = sorted(set(triaged) | set(flagged) | set(alone) | members)
    found = clusters.person_clusters(db, wanted)
    if found is None:
        return None
    cluster = lambda pid: clusters.cluster_of(found, pid)  # noqa: E731
    return {
        "triage": _triage(triaged, cluster),
        "vulnerabilities": stats.ordered(
            {
                flag: len({cluster(pid) for pid, flags in flagged.items() if flag in flags})
                for flag in {f for flags in flagged.values() for f in flags}
            }
        ),  # fmt: skip
        "household_vulnerabilities": _households(homes, cluster),
        "children_alone": _children(alone, cluster),
    }


def _triage(triaged: dict, cluster) -> dict:
    """Count clusters by the most urgent latest triage of their members."""
    worst: dict[str, str] = {}
    waiting: set[str] = set()
    for pid, (category, wait) in triaged.items():
        if category not in CATEGORIES:
            continue  # a category this version does not know is not counted
        key = cluster(pid)
        if key not in worst or CATEGORIES.index(category) < CATEGORIES.index(worst[key]):
            worst[key] = category
        if wait:
            waiting.add(key)
    by_category = {c: 0 for c in CATEGORIES}
    by_category.update(Counter(worst.values()))
    total = sum(by_category.values())
    return {"by_category": by_category, "flagged": total, "total": total,
            "waiting": len(waiting)}  # fmt: skip


def _flagged(db: Database, period: stats.Period) -> dict[str, set[str]]:
    """Return each person flagged on their own record, with their flags."""
    cond, params = period.where()
    rows = db.execute(
        f"select p.id, p.vulnerabilities {stats.PEOPLE} and p.vulnerabilities != '[]'{cond}",
        params,
    )
    return {pid: flags for pid, raw in rows if (flags := _flags(raw))}


def _flagged_households(db: Database, period: stats.Period) -> dict[str, tuple]:
    """Return each household flagged under its needs: its members' ids and its flags."""
    cond, params = period.where()
    homes = {hid: ([], flags) for hid, raw in db.execute(
        f"select h.id, h.vulnerabilities {stats.HOUSEHOLDS} and h.vulnerabilities != '[]'{cond}",
        params) if (flags := _flags(raw))}  # fmt: skip
    ids = list(homes)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for pid, hid in db.execute(
            "select id, household_id from people where deleted = 0 and household_id in "
            f"({','.join('?' * len(chunk))})", chunk):  # fmt: skip
            homes[hid][0].append(pid)
    return homes


def _flags(raw: str | None) -> set[str]:
    """Return the vulnerability flags stored as a JSON list (none if unreadable)."""
    try:
        found = json.loads(raw or "[]")
    except ValueError:
        return set()
    return {flag for flag in found if isinstance(flag, str)} if isinstance(found, list) else set()


def _households(homes: dict[str, tuple], cluster) -> dict[str, int]:
    """Count flagged households per flag, households sharing a member's cluster as one."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.get(key, key) != key:
            key = parent[key]
        return key

    seen: dict[str, str] = {}
    for hid, (pids, _flags) in homes.items():
        for pid in pids:
            other = seen.setdefault(cluster(pid), hid)
            a, b = root(other), root(hid)
            if a != b:
                parent[max(a, b)] = min(a, b)
    counts: dict[str, set[str]] = defaultdict(set)
    for hid, (_pids, flags) in homes.items():
        for flag in flags:
            counts[flag].add(root(hid))
    return stats.ordered({flag: len(found) for flag, found in counts.items()})


def _children(alone: dict[str, str], cluster) -> dict[str, int]:
    """Count children alone by kind, each child's cluster once (unaccompanied first)."""
    kinds: dict[str, str] = {}
    for pid, kind in alone.items():
        key = cluster(pid)
        if kinds.get(key) != "unaccompanied":
            kinds[key] = kind
    counts = Counter(kinds.values())
    made = {kind: counts[kind] for kind in tracing_figures.KINDS}
    return {**made, "total": sum(made.values())}


def register() -> None:
    """Contribute HQ's unique people figures to the figures."""
    stats.provide("unique_figures", figure)
