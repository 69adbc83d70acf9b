"""A child alone against registered households: is this the child's family?

    the child said             a household member it meets, as      role check
    ──────────────             ──────────────────────────────       ──────────
    father's name        ──▶   a man's given name                   12..80 years older
                         ──▶   a child's father's name              a sibling's age
    mother's name        ──▶   a woman's given name                 12..55 years older
                         ──▶   a child's mother's name              a sibling's age
    family name          ──▶   the father's or a child's family name
    a sibling's name     ──▶   a child's given name                 a sibling's age
    home town            ──▶   the household's origin

Per household, each line keeps its best member (a household has one father, and his name is
also every child's father's name); a household with no one to compare on a line scores 0
there, one whose members all disagree scores the line's "different" weight. Candidates come
from postings: households met on two lines, or on one line through a rare name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sync.dedup.compare import name_levels
from sync.dedup.features import MISSING, FeatureTable
from sync.tracing.index import CHILDREN, PARENTS, UNKNOWN, PeopleIndex
from sync.tracing.result import Candidate, Reason
from sync.tracing.weights import AGE_FIT, AGE_ODD, NA, NAME_LEVELS, name_weight, place_weight

RARE = 40  # a name on this many households or fewer is a candidate on its own
MOST = 400  # households scored per child at most (the ones met on the most telling lines)
SEXES = {"female": 1, "male": 2}
# (line, the child's field, the member's field, role, who may hold it)
LINES = (
    ("father", "father", "given", "father", "father"),
    ("father", "father", "father", "father", "sibling"),
    ("mother", "mother", "given", "mother", "mother"),
    ("mother", "mother", "mother", "mother", "sibling"),
    ("family", "family", "family", "family", "paternal"),
)


@dataclass
class Pairs:
    """Child-member pairs, grouped by (child, household): group g is pairs starts[g]:ends[g].

    A child's groups follow one another: its pairs are one run, children in batch order.
    """

    child: np.ndarray  # the child's probe row, per pair
    member: np.ndarray  # the member's row, per pair
    group: np.ndarray  # group number, per pair
    starts: np.ndarray  # per group: its first pair
    ends: np.ndarray  # per group: after its last pair
    group_child: np.ndarray  # per group: index of the child in the batch
    group_household: np.ndarray  # per group: household number

    def span(self, i: int) -> tuple[int, int, np.ndarray]:
        """Return the pairs (lo, hi) of the i-th child and its group numbers."""
        groups = np.flatnonzero(self.group_child == i)
        if not len(groups):
            return 0, 0, groups
        return int(self.starts[groups[0]]), int(self.ends[groups[-1]]), groups


def candidates(index: PeopleIndex, ft: FeatureTable, row: int, siblings: list[int],
               own: int, only: np.ndarray | None) -> np.ndarray:  # fmt: skip
    """Return the household numbers worth scoring for one child."""
    skel = ft.skel
    lines = {
        "father": [("given", skel["father"][row]), ("father", skel["father"][row])],
        "mother": [("given", skel["mother"][row]), ("mother", skel["mother"][row])],
        "family": [("family", skel["family"][row])],
        "sibling": [("given", skel["given"][s]) for s in siblings],
        "origin": [("origin", ft.origin[row])],
    }
    households = len(index.household_ids)
    lines_met, telling = np.zeros(households, np.int16), np.zeros(households)
    for keys in lines.values():
        found = [index.households_with(field, code) for field, code in keys if code != MISSING]
        if found:
            met = np.zeros(households, bool)
            for some in found:
                met[some] = True
            lines_met += met
            # How telling the line is: the share of households it meets, in bits.
            telling += met * np.log2(households / max(1, int(met.sum())))
    keep = (lines_met >= 2) | (telling >= np.log2(max(households, 1) / RARE))
    if 0 <= own < households:
        keep[own] = False
    if only is not None:
        keep &= np.isin(np.arange(households), only)
    chosen = np.flatnonzero(keep)
    if len(chosen) > MOST:
        chosen = np.sort(chosen[np.argsort(-telling[chosen], kind="stable")[:MOST]])
    return chosen


def pair_up(index: PeopleIndex, rows: list[int], households: list[np.ndarray]) -> Pairs:
    """Return every (child, member) pair of the households chosen for each child."""
    chosen = np.concatenate(households) if households else np.zeros(0, np.int64)
    members, counts = index.members(chosen)
    per_child = np.array([len(h) for h in households], np.int64)
    group_child = np.repeat(np.arange(len(rows)), per_child)
    group = np.repeat(np.arange(len(counts)), counts)
    ends = np.cumsum(counts)
    child = np.array(rows, np.int64)[group_child][group] if len(group) else group
    return Pairs(child, members, group, ends - counts, ends, group_child, chosen)


def _ages(index: PeopleIndex, ft: FeatureTable, pairs: Pairs) -> dict[str, np.ndarray]:
    """Return, per pair, which roles the member's place in the household, sex and age allow.

    Ages of adults are estimates rounded to 5 years: the bounds leave room for both.
    """
    child_year, member_year = ft.birth_year[pairs.child], ft.birth_year[pairs.member]
    gap = child_year.astype(np.int32) - member_year
    known = (child_year > 0) & (member_year > 0)
    sex, place = ft.sex[pairs.member], index.generation[pairs.member]
    parents = (place == UNKNOWN) | (place == PARENTS)
    return {
        "father": parents & (sex != SEXES["female"]) & (~known | ((gap >= 12) & (gap <= 80))),
        "mother": parents & (sex != SEXES["male"]) & (~known | ((gap >= 12) & (gap <= 62))),
        "sibling": ((place == UNKNOWN) | (place == CHILDREN)) & (~known | (np.abs(gap) <= 30)),
        # The child's family name is its father's: his, and his children's, not the mother's.
        "paternal": (parents & (sex != SEXES["female"])) | (place == CHILDREN) | (place == UNKNOWN),
        # Most fathers are 18-55 years older than their child, mothers 16-45, siblings 12.
        "father typical": known & (gap >= 18) & (gap <= 55),
        "mother typical": known & (gap >= 16) & (gap <= 45),
        "sibling typical": known & (np.abs(gap) <= 12),
        "known": known,
    }


def line_weights(index: PeopleIndex, ft: FeatureTable, pairs: Pairs) -> dict[tuple, tuple]:
    """Return, per comparison of LINES, (levels, weights) for every pair (NA where it fails)."""
    allowed = _ages(index, ft, pairs)
    found = {}
    for line, mine, theirs, role, holder in LINES:
        level = name_levels(ft, mine, theirs, pairs.child, pairs.member, index.sims)
        freq = index.frequency(theirs, ft.skel[mine][pairs.child])
        weight = np.where(allowed[holder], name_weight(level, freq, role), NA)
        if holder != "paternal":
            agree = (level >= 2) & allowed[holder]
            weight[agree & allowed[holder + " typical"]] += AGE_FIT
            weight[agree & allowed["known"] & ~allowed[holder + " typical"]] -= AGE_ODD
        found[(line, theirs)] = (level, weight)
    origin_a, origin_b = ft.origin[pairs.child], ft.origin[pairs.member]
    level = (origin_a == origin_b).astype(np.int8) * 3
    weight = place_weight(level > 0, index.frequency("origin", origin_a))
    weight[(origin_a == MISSING) | (origin_b == MISSING)] = NA
    found[("origin", "origin")] = (level, weight)
    return found


def sibling_weights(index: PeopleIndex, ft: FeatureTable, pairs: Pairs,
                    siblings: list[list[int]]) -> tuple[np.ndarray, dict]:  # fmt: skip
    """Return per group the summed weight of the siblings the child named, and per child the
    comparisons ``(first pair, levels, weights)`` of each sibling, for the reasons."""
    total = np.zeros(len(pairs.starts))
    explained: dict[int, list] = {}
    allowed = _ages(index, ft, pairs)["sibling"]
    for i, named in enumerate(siblings):
        lo, hi, groups = pairs.span(i)
        if not named or lo == hi:
            continue
        members, starts = pairs.member[lo:hi], pairs.starts[groups] - lo
        for sibling in named:
            probe = np.full(hi - lo, sibling)
            level = name_levels(ft, "given", "given", probe, members, index.sims)
            freq = index.frequency("given", ft.skel["given"][probe])
            weight = np.where(allowed[lo:hi], name_weight(level, freq, "sibling"), NA)
            best = np.maximum.reduceat(weight, starts)
            total[groups] += np.where(np.isfinite(best), best, 0.0)
            explained.setdefault(i, []).append((lo, level, weight))
    return total, explained


def score(index: PeopleIndex, ft: FeatureTable, pairs: Pairs,
          siblings: list[list[int]]) -> tuple[np.ndarray, dict, dict]:  # fmt: skip
    """Return each group's total weight, the per-line weights and the siblings' best pairs."""
    found = line_weights(index, ft, pairs)
    total = np.zeros(len(pairs.starts))
    if not len(pairs.member):
        return total, found, {}
    for line in ("father", "mother", "family", "origin"):
        weights = [w for (name, _theirs), (_l, w) in found.items() if name == line]
        best = np.maximum.reduceat(np.maximum.reduce(weights), pairs.starts)
        total += np.where(np.isfinite(best), best, 0.0)
    extra, explained = sibling_weights(index, ft, pairs, siblings)
    return total + extra, found, explained


def explain(index: PeopleIndex, pairs: Pairs, group: int, found: dict, explained: dict,
            case_id: str, total: float) -> Candidate:  # fmt: skip
    """Return one household candidate with a reason per line (its best member on each)."""
    lo, hi = int(pairs.starts[group]), int(pairs.ends[group])
    reasons = []
    for (line, theirs), (level, weight) in found.items():
        part = weight[lo:hi]
        if not np.isfinite(part).any():
            continue
        at = lo + int(np.argmax(part))
        reasons.append((line, theirs, int(level[at]), float(weight[at]), int(pairs.member[at])))
    for first, level, weight in explained.get(int(pairs.group_child[group]), []):
        part = weight[max(0, lo - first) : max(0, hi - first)]
        if len(part) and np.isfinite(part).any():
            at = max(0, lo - first) + int(np.argmax(part))
            member = int(pairs.member[first + at])
            reasons.append(("sibling", "given", int(level[at]), float(weight[at]), member))
    kept = _best_per_line(reasons)
    contact = _contact(kept, pairs.member[lo:hi])
    household = index.household_ids[pairs.group_household[group]]
    return Candidate(case_id, "household", household, total, index.ids[contact], tuple(
        Reason(line, theirs, _level_name(line, level), weight, index.ids[member])
        for line, theirs, level, weight, member in kept
    ))  # fmt: skip


def _best_per_line(reasons: list[tuple]) -> list[tuple]:
    """Keep, per line (siblings each count), the comparison with the highest weight."""
    kept: dict = {}
    for i, reason in enumerate(reasons):
        key = (reason[0], i) if reason[0] == "sibling" else reason[0]
        if key not in kept or reason[3] > kept[key][3]:
            kept[key] = reason
    return list(kept.values())


def _contact(reasons: list[tuple], members: np.ndarray) -> int:
    """Return the member to contact: a parent the child named, else the best-agreeing one."""
    for line in ("father", "mother"):
        for name, theirs, _level, weight, member in reasons:
            if name == line and theirs == "given" and weight > 0:
                return member
    agreeing = [r for r in reasons if r[3] > 0]
    if agreeing:
        return max(agreeing, key=lambda r: r[3])[4]
    return int(members[0])


def _level_name(line: str, level: int) -> str:
    """Return the words for a level (origin: same or different)."""
    if line == "origin":
        return "same" if level == 3 else "different"
    return NAME_LEVELS[level] if level >= 0 else "missing"
