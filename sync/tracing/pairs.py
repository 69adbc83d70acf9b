"""One person against one description: a child against an enquiry, an enquiry against people.

An enquiry describes the person sought (names, age, sex, home, where and when last seen);
comparing it with a child (or a registered person) is comparing two accounts of one person,
name by name (the given name first: it is the one the child surely knows), birth year within
the estimates, sex, home town, the place and day of separation against "last seen".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sync.dedup.compare import SIMILAR_PLACE, name_levels
from sync.dedup.features import MISSING, FeatureTable
from sync.tracing.index import PeopleIndex
from sync.tracing.result import Candidate, Reason
from sync.tracing.weights import (
    BIRTH_NAMES,
    BIRTH_TABLE,
    NAME_LEVELS,
    PLACE,
    SEX,
    birth_levels,
    days_weight,
    equal_weight,
    name_weight,
    place_weight,
)

NAMES = (("given", "given"), ("father", "self"), ("mother", "self"), ("family", "self"))
RARE = 60  # a sought given name this rare is searched on its own


@dataclass
class Accounts:
    """Per probe row of a table: the place and day of separation (or last seen)."""

    place: np.ndarray  # vocab codes of place keys (MISSING when none)
    day: np.ndarray  # day numbers (0 when unknown)
    share: np.ndarray  # how common each row's place is among the cases' places


def _place_weights(index: PeopleIndex, a: np.ndarray, b: np.ndarray,
                   share: np.ndarray) -> np.ndarray:  # fmt: skip
    """Return the weight of two places (vocab codes): same (more for a rarer one), similar,
    different, or 0 when either is unknown."""
    weight = place_weight(a == b, share)
    near = np.flatnonzero(a != b)
    if len(near):
        (close,) = index.sims(a[near], b[near])
        weight[near[close >= SIMILAR_PLACE]] = PLACE["similar"]
    weight[(a == MISSING) | (b == MISSING)] = 0.0
    return weight


def compare(index: PeopleIndex, ft: FeatureTable, a: np.ndarray, b: np.ndarray,
            accounts: Accounts | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:  # fmt: skip
    """Return, per field, (levels, weights) of rows a against rows b as one person."""
    found = {}
    for field, role in NAMES:
        level = name_levels(ft, field, field, a, b, index.sims)
        freq = index.frequency(field, ft.skel[field][a])
        found[field] = (level, name_weight(level, freq, role))
    level = birth_levels(ft.birth_year[a], ft.year_tol[a], ft.birth_year[b], ft.year_tol[b])
    found["birth"] = (level, BIRTH_TABLE[level])
    sex = equal_weight(ft.sex[a], ft.sex[b], SEX, 0)
    found["sex"] = ((ft.sex[a] == ft.sex[b]).astype(np.int8), sex)
    origin = _place_weights(index, ft.origin[a], ft.origin[b],
                            index.frequency("origin", ft.origin[a]))  # fmt: skip
    found["origin"] = ((origin > 0).astype(np.int8), origin)
    if accounts is not None:
        place = _place_weights(index, accounts.place[a], accounts.place[b], accounts.share[a])
        found["place"] = ((place > 0).astype(np.int8), place)
        days = days_weight(accounts.day[a], accounts.day[b])
        found["date"] = ((days > 0).astype(np.int8), days)
    return found


def total(found: dict) -> np.ndarray:
    """Return the summed weight of compared pairs (comparisons that do not apply count 0)."""
    weights = [w for _level, w in found.values()]
    return sum(np.where(np.isfinite(w), w, 0.0) for w in weights)


def explain(found: dict, at: int, candidate: dict) -> Candidate:
    """Return a candidate with one reason per field that compared."""
    reasons = []
    for field, (level, weight) in found.items():
        if not np.isfinite(weight[at]) or (weight[at] == 0 and field not in ("given",)):
            continue
        reasons.append(Reason(field, field, _level_name(field, int(level[at])),
                              float(weight[at]), candidate.get("person_id")))  # fmt: skip
    return Candidate(
        candidate["case_id"], candidate["kind"], candidate["target_id"],
        float(candidate["score"]), candidate.get("person_id"), tuple(reasons),
    )  # fmt: skip


def _level_name(field: str, level: int) -> str:
    """Return the words for a field's level."""
    if field in ("given", "father", "mother", "family"):
        return NAME_LEVELS[level] if level >= 0 else "missing"
    if field == "birth":
        return BIRTH_NAMES[level] if level >= 0 else "missing"
    return "same" if level > 0 else "different"


def people_for(index: PeopleIndex, ft: FeatureTable, row: int) -> np.ndarray:
    """Return the people worth comparing with a sought person (one row of ``ft``).

    Those with the sought given name and one more name of the four; when only a given name
    is known, those with it if it is rare.
    """
    given = index.rows_with("given", ft.skel["given"][row])
    if not len(given):
        return given
    others = [
        index.rows_with(field, ft.skel[field][row])
        for field in ("father", "mother", "family")
        if ft.skel[field][row] != MISSING
    ]
    if others:
        marked = np.zeros(len(index.ids), bool)
        for rows in others:
            marked[rows] = True
        return given[marked[given]]
    return given if len(given) <= RARE else given[:0]
