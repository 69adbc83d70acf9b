"""Learn the model from the population it is given: u, r and m per field level, and shares.

    random pairs ──────────────► u   how often two random people agree (what chance gives)
    people registered together ► r   how often relatives agree (only if the data has households)
    anchor pairs ──────────────► m₀  where the data has them: pairs agreeing so strictly on the
    │                                other fields present that they are nearly all duplicates
    ▼
    EM over the candidate pairs' distinct comparison patterns: the duplicates' m (every field)
    and the unrelated candidates' levels are free, r stays what relatives showed; the shares of
    duplicates, relatives and unrelated people among the candidates come out with them.

Nothing here knows which names or which fields a population has. What differs between
populations is read from the data, never from a flag:
- which fields exist: a field with fewer than MIN_PAIRS non-null comparisons among the
  candidates takes no part (it weighs nothing), and anchors only use fields that exist;
- whether a relatives class exists: only where enough people were registered together (a
  household id) to count r on them; otherwise two classes, as in Splink;
- where m comes from: counted on anchor pairs when there are enough of them, otherwise a
  neutral start (M_START) that EM moves to what the candidates show, once a first EM pass
  (m fixed) finds at least MIN_DUPLICATES duplicates among them;
- the prior: the share of duplicates EM finds among the candidates, over all possible pairs.
"""

import numpy as np

from sync.dedup.compare import LEVELS, Comparisons
from sync.dedup.features import NAME_FIELDS, FeatureTable
from sync.dedup.model import (
    EM_ITERATIONS,
    LEVEL_FLOOR,
    M_START,
    MIN_PAIRS,
    R_START,
    SHARED_BY_HOUSEHOLD,
    Model,
)

NO_CLASS = 1e-9  # the share of a class the data does not have
# EM learns the m of a field without anchors only where the candidates hold this many
# duplicates: with a handful, its "duplicates" class would fit relatives or namesakes.
MIN_DUPLICATES = 500
# Anchor pairs for counting a field's m agree strongly on three other fields, two of which
# are the given name and the birth date where the data has them: relatives share family,
# parents' names, phone and address, but rarely a given name and never a birth date. For the
# birth date itself, every name the data has must agree, and four fields in all: namesakes
# sharing a common given, family and father's name are many more than duplicates in a large
# population, and would teach that a birth date differing is no evidence.
PERSONAL = {"given": 2, "birth": 6}
STRONG = {"family": 2, "father": 2, "mother": 2, "phone": 1, "id_number": 1, "address": 2,
          "postcode": 2}  # fmt: skip
ANCHOR_AGREEMENTS = 3


def patterns(comp: Comparisons) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct comparison vectors (rows of levels) and their counts."""
    code = np.zeros(len(comp.a), np.int64)
    for name in LEVELS:
        code = code * (len(LEVELS[name]) + 1) + comp.levels[name] + 1
    unique, counts = np.unique(code, return_counts=True)
    rows = np.zeros((len(unique), len(LEVELS)), np.int8)
    for j, name in reversed(list(enumerate(LEVELS))):
        unique, rows[:, j] = np.divmod(unique, len(LEVELS[name]) + 1)
        rows[:, j] -= 1
    return rows, counts


def level_shares(
    comp: Comparisons, name: str, smoothing: float = 1.0, subset: np.ndarray | None = None
) -> np.ndarray:
    """Return the smoothed share of each level of one field among non-null pairs."""
    level = comp.levels[name] if subset is None else comp.levels[name][subset]
    counts = np.bincount(level[level >= 0], minlength=len(LEVELS[name])).astype(float)
    counts += smoothing
    return counts / counts.sum()


def _log_likelihood(rows: np.ndarray, dist: dict[str, np.ndarray]) -> np.ndarray:
    """Return log2 P(pattern | class) for a class's level distributions (nulls ignored)."""
    total = np.zeros(len(rows))
    for j, name in enumerate(LEVELS):
        total += np.append(np.log2(dist[name]), 0.0)[rows[:, j]]
    return total


def _refit(rows: np.ndarray, weights: np.ndarray, names) -> dict[str, np.ndarray]:
    """Return level distributions of some fields fitted to patterns weighted by a class."""
    dist = {}
    for name in names:
        j = list(LEVELS).index(name)
        seen = rows[:, j] >= 0
        total = np.bincount(rows[seen, j], weights[seen], minlength=len(LEVELS[name])) + 0.5
        dist[name] = np.maximum(total / total.sum(), LEVEL_FLOOR)
        dist[name] /= dist[name].sum()
    return dist


def em(rows: np.ndarray, counts: np.ndarray, dists: dict, shares: dict, free: dict) -> None:
    """Run EM in place: update class shares and, per class, the distributions of free fields."""
    for _ in range(EM_ITERATIONS):
        log_p = np.stack([np.log2(shares[c]) + _log_likelihood(rows, dists[c]) for c in dists])
        resp = np.exp2(log_p - log_p.max(axis=0))
        resp = resp / resp.sum(axis=0) * counts
        for c, row in zip(dists, resp, strict=True):
            shares[c] = float(np.clip(row.sum() / max(counts.sum(), 1), 1e-6, 1.0))
            if free.get(c):
                dists[c].update(_refit(rows, row, free[c]))


def present_fields(comp: Comparisons) -> list[str]:
    """Return the fields compared (both sides known) in at least MIN_PAIRS pairs."""
    return [name for name in LEVELS if (comp.levels[name] >= 0).sum() >= MIN_PAIRS]


def anchor(comp: Comparisons, name: str, present: list[str]) -> np.ndarray | None:
    """Mark the anchor pairs of one field, or return None if the data cannot give any."""
    required = {**PERSONAL, **(dict.fromkeys(NAME_FIELDS, 2) if name == "birth" else {})}
    personal = [(f, lv) for f, lv in required.items() if f != name and f in present]
    strong = [(f, lv) for f, lv in STRONG.items() if f not in required and f != name]
    strong = [(f, lv) for f, lv in strong if f in present]
    need = max(0, ANCHOR_AGREEMENTS + (name == "birth") - len(personal))
    if len(strong) < need:
        return None
    chosen = ~comp.same_registration
    for other, level in personal:
        chosen &= comp.levels[other] >= level
    agreeing = sum((comp.levels[other] >= level).astype(np.int8) for other, level in strong)
    return chosen & (agreeing >= need)


def _starting_m(candidates: Comparisons, present: list[str]) -> tuple[dict, list[str]]:
    """Return m counted on anchor pairs where there are enough, and the fields left to EM."""
    m = {name: np.array(M_START[name], float) for name in LEVELS}
    left = []
    for name in present:
        chosen = anchor(candidates, name, present)
        if chosen is None or (candidates.levels[name][chosen] >= 0).sum() < MIN_PAIRS:
            left.append(name)
            continue
        m[name] = np.maximum(level_shares(candidates, name, 0.5, chosen), LEVEL_FLOOR)
        m[name] /= m[name].sum()
    return m, left


# Fields whose top level is plain equality of one column: its chance is computed exactly.
EXACT = {"birth": ("dob", 7), "phone": ("phone", 1), "id_number": ("id_number", 1),
         "address": ("address", 3), "postcode": ("postcode", 2),
         "locality": ("locality", 2)}  # fmt: skip
KNOWN = {"birth": "birth_year"}


def exact_u(ft: FeatureTable, u: dict[str, np.ndarray]) -> None:
    """Set, in place, the chance that two random people agree exactly on a field.

    A sample of random pairs almost never sees two people share a birth date or a phone, and
    smoothing then makes such an agreement look far rarer than it is (a birth date is shared
    by one random pair in a few thousand, not one in a million): the share of pairs with
    equal values is counted from how often each value occurs.
    """
    for name, (column, level) in EXACT.items():
        values = getattr(ft, column)
        known = getattr(ft, KNOWN.get(name, column))
        total = int((known > 0).sum() if name in KNOWN else (known >= 0).sum())
        if total < 2:
            continue
        _, counts = np.unique(
            values[values > 0 if name in KNOWN else values >= 0], return_counts=True
        )
        chance = float((counts.astype(np.float64) * (counts - 1)).sum() / (total * (total - 1)))
        chance = max(chance, 1.0 / (total * (total - 1)))
        rest = np.delete(u[name], level)
        rest = rest / max(rest.sum(), 1e-12) * (1 - chance)
        u[name] = np.insert(rest, level, chance)


def estimate(
    candidates: Comparisons,
    random_pairs: Comparisons,
    population: int,
    ft: FeatureTable | None = None,
) -> Model:
    """Estimate u on random pairs, r on relatives, m and the shares by EM on the candidates.

    Against "unrelated", the random-pair u is kept for scoring (it is the rate of agreement by
    chance); among the candidates, the unrelated class has its own free distribution, since
    candidates were chosen for agreeing on a blocking key.
    """
    present = present_fields(candidates)
    u = {name: level_shares(random_pairs, name) for name in LEVELS}
    if ft is not None:
        exact_u(ft, u)
    together = candidates.same_registration
    families = together.sum() >= MIN_PAIRS
    m, learned = _starting_m(candidates, present)
    r = {name: np.array(R_START[name], float) for name in LEVELS}
    if families:
        r = {name: level_shares(candidates, name, subset=together) for name in LEVELS}
    r.update({name: m[name] for name in SHARED_BY_HOUSEHOLD})
    dists = {"match": m, "unrelated": {name: u[name].copy() for name in LEVELS}}
    shares = {"match": 0.1, "unrelated": 0.9}
    if families:
        dists["related"], shares = r, {"match": 0.05, "related": 0.2, "unrelated": 0.75}
    rows, counts = patterns(candidates)
    em(rows, counts, dists, shares, {"unrelated": present})
    if learned and shares["match"] * len(candidates.a) >= MIN_DUPLICATES:
        em(rows, counts, dists, shares, {"match": learned, "unrelated": present})
    if families:
        r.update({name: m[name] for name in SHARED_BY_HOUSEHOLD})
    shares.setdefault("related", NO_CLASS)
    duplicates = max(shares["match"] * len(candidates.a), 1.0)
    random_match = min(duplicates / max(population * (population - 1) / 2, 1.0), 0.5)
    return Model(m=m, r=r, u=u, shares=shares, random_match=random_match)
