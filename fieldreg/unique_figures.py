"""HQ's figures about people, counted in unique people after deduplication.

Registrations are what stations recorded: one man triaged at both stations is two wounded
registrations and one wounded person. After deduplication HQ counts each cluster once:

    triage                     under the most urgent of its members' latest triage
                               (waiting for care if any of those latest entries waits)
    person_vulnerabilities     once per flag on any member's own record
    household_vulnerabilities  each household once per flag on its needs; registrations of
                               one household at two stations (sharing a cluster) count once
    children alone             once per child (``tracing_figures``: ``unique_registered``)

Only clusters of two or more can make the two counts differ, so each figure is the
registrations' count with the surplus of those clusters folded (asked of
``fieldreg.clusters``, the one owner of clusters): reading stays as cheap as the running
figures however many people HQ holds. None until deduplication has run, and at a station
(``period.station`` set), whose figures count its own registrations.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from sqlite_utils import Database

from fieldreg import clusters, medical, stats, tallies
from fieldreg.migrations import M122_WAITING, M123_LATEST
from fieldreg.schemas.medical import CATEGORIES

LATEST = M123_LATEST.format(t="triage", p="e.person_id", but="")


def figure(db: Database, period: stats.Period) -> dict | None:
    """Provide HQ's people figures in unique people (None before deduplication)."""
    if period.station is not None:
        return None
    twice = clusters.duplicated(db)
    if twice is None:
        return None
    ids = sorted(twice)
    counted = period.since or period.until
    return {
        "triage": _triage(medical.counts(db), _latest_triage(db, ids), twice),
        "person_vulnerabilities": _people(db, period, ids, twice, counted),
        "household_vulnerabilities": _households(db, period, ids, twice, counted),
    }


def _chunks(ids: list[str], size: int = 500):
    """Yield ids a few hundred at a time, with their SQL placeholders."""
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        yield chunk, ",".join("?" * len(chunk))


def _latest_triage(db: Database, ids: list[str]) -> dict[str, tuple]:
    """Return the latest triage (category, waiting) of each of these non-deleted people."""
    found: dict[str, tuple] = {}
    for chunk, marks in _chunks(ids):
        found.update((row[0], row[1:]) for row in db.execute(
            f"select e.person_id, e.category, {M122_WAITING} from triage e join people p on "
            f"p.id = e.person_id where p.deleted = 0 and e.person_id in ({marks}) "
            f"and e.id = {LATEST}", chunk))  # fmt: skip
    return found


def _triage(raw: dict, latest: dict[str, tuple], twice: dict[str, str]) -> dict:
    """Fold the registrations' triage counts to one per cluster: its most urgent category."""
    by_category, waiting = dict(raw["by_category"]), raw["waiting"]
    worst: dict[str, str] = {}
    waits: set[str] = set()
    for pid, (category, wait) in latest.items():
        if category not in by_category:
            continue  # a category this version does not know is not counted
        by_category[category] -= 1
        waiting -= 1 if wait else 0
        key = twice[pid]
        if key not in worst or CATEGORIES.index(category) < CATEGORIES.index(worst[key]):
            worst[key] = category
        if wait:
            waits.add(key)
    for category, n in Counter(worst.values()).items():
        by_category[category] += n
    total = sum(by_category.values())
    return {"by_category": by_category, "flagged": total, "total": total,
            "waiting": waiting + len(waits)}  # fmt: skip


def _flags(raw: str | None) -> list[str]:
    """Return the vulnerability flags stored as a JSON list (none if unreadable)."""
    try:
        found = json.loads(raw or "[]")
    except ValueError:
        return []
    return [flag for flag in found if isinstance(flag, str)] if isinstance(found, list) else []


def _people(db, period, ids: list[str], twice: dict[str, str], counted) -> dict[str, int]:
    """Fold the people flagged with each vulnerability to one per cluster."""
    raw = stats.vulnerabilities(db, period) if counted else tallies.vulnerabilities(db, "person")
    cond, params = period.where()
    members: dict[str, Counter] = defaultdict(Counter)
    for chunk, marks in _chunks(ids):
        for pid, flags in db.execute(
            f"select p.id, p.vulnerabilities {stats.PEOPLE} and p.vulnerabilities != '[]' "
            f"and p.id in ({marks}){cond}", [*chunk, *params]):  # fmt: skip
            for flag in _flags(flags):
                members[flag][twice[pid]] += 1
    for flag, per_cluster in members.items():
        raw[flag] -= sum(per_cluster.values()) - len(per_cluster)
    return stats.ordered(raw)


def _households(db, period, ids: list[str], twice: dict[str, str], counted) -> dict[str, int]:
    """Fold the households flagged with each need: households sharing a member's cluster
    (one family registered at two stations) count once."""
    raw = (
        stats.vulnerabilities(db, period, "household")
        if counted
        else tallies.vulnerabilities(db, "household")
    )
    cond, params = period.where()
    homes: dict[str, list[str]] = {}
    joined: dict[str, str] = {}
    for chunk, marks in _chunks(ids):
        for pid, hid, flags in db.execute(
            f"select p.id, h.id, h.vulnerabilities {stats.PEOPLE} and h.vulnerabilities != '[]' "
            f"and p.id in ({marks}){cond}", [*chunk, *params]):  # fmt: skip
            homes[hid] = _flags(flags)
            _join(joined, hid, joined.setdefault("cluster:" + twice[pid], hid))
    counts: dict[str, set[str]] = defaultdict(set)
    for hid, flags in homes.items():
        for flag in set(flags):
            counts[flag].add(_root(joined, hid))
    for flag, found in counts.items():
        raw[flag] -= len([h for h in homes if flag in homes[h]]) - len(found)
    return stats.ordered(raw)


def _root(parent: dict[str, str], key: str) -> str:
    """Return the representative of a key's group (union-find)."""
    while parent.get(key, key) != key:
        key = parent[key]
    return key


def _join(parent: dict[str, str], a: str, b: str) -> None:
    """Put two keys' groups together."""
    ra, rb = _root(parent, a), _root(parent, b)
    if ra != rb:
        parent[max(ra, rb)] = min(ra, rb)


def register() -> None:
    """Contribute HQ's unique people figures to the figures."""
    stats.provide("unique_figures", figure)
