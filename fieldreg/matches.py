"""Possible matches while a registrar types: is this person already registered here?

Candidates come from the search index (given and family name skeletons, an Arabic name in
each of its readings: عثمان as Osman too); each is scored on given, father's, mother's and
family names (any script, names.similarity) and age. Cheap enough to run on
every pause in typing.
"""

from __future__ import annotations

from sqlite_utils import Database

from fieldreg import search_index
from sync import names

WEIGHTS = {"given_name": 3.0, "family_name": 3.0, "father_name": 2.0, "mother_name": 2.0}
THRESHOLD = 0.72


def _age_score(a: int | None, b: int | None) -> float | None:
    """1 for the same age, falling to 0 at a gap that grows with age (ages are estimates)."""
    if a is None or b is None:
        return None
    slack = 2 + max(a, b) // 10
    return max(0.0, 1 - abs(a - b) / (2 * slack))


def score(wanted: dict, person: dict) -> tuple[float, list[str]]:
    """Return a 0..1 likeness of two people and the fields that agreed."""
    total = weight = 0.0
    agreed = []
    for field, w in WEIGHTS.items():
        if wanted.get(field) and person.get(field):
            s = names.similarity(wanted[field], person[field])
            total, weight = total + w * s, weight + w
            if s >= 0.85:
                agreed.append(field)
    age = _age_score(wanted.get("age_years"), person.get("age_years"))
    if age is not None:
        total, weight = total + 1.5 * age, weight + 1.5
        if age >= 0.75:
            agreed.append("age_years")
    return (total / weight if weight else 0.0), agreed


def possible_matches(db: Database, wanted: dict, limit: int = 5) -> list[dict]:
    """Return registered people who may be the person being typed, best first."""
    tokens = [*names.reading_tokens(wanted.get("given_name"))[:1]]
    tokens += names.reading_tokens(wanted.get("family_name"))[-1:]
    if not tokens:
        return []
    found = []
    for row in search_index.candidates(db, search_index.match_all(tokens)):
        likeness, agreed = score(wanted, row)
        if likeness >= THRESHOLD:
            hit = search_index.hit(row, likeness)
            found.append({**hit, "agreed": agreed})
    found.sort(key=lambda h: -h["score"])
    return found[:limit]
