"""Fellegi–Sunter scoring: comparison levels per field, m/u by EM, term-frequency adjustment.

A pair of people is compared field by field; each field falls into one level (e.g. a name:
different / similar / same skeleton / same spelling), or is null when either side lacks it.
A level's weight is log2(m/u): m is how often true duplicates reach that level, u how often
two random people do.

Families break the textbook two-class model: candidate pairs are full of siblings and parents,
who share father's, mother's and family names, phone and origin, and plain EM happily learns
"same family" as its match class. So the mixture has three classes: duplicates (m), relatives
(r) and unrelated people (u). u is counted on random pairs; m, r and the class shares are
estimated by expectation-maximisation over the distinct comparison patterns (a few thousand)
rather than the millions of pairs. A pair's weight is its evidence for "duplicate" against the
likelier of the two alternatives, field by field, so every weight can be shown as a reason.
Against "unrelated", a name agreement is adjusted by how common the shared name is:
log2(u_agree / frequency), so a shared "Mohammed" counts less than a shared "Zubayda".
"""

from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from sync.dedup.features import MISSING, NAME_FIELDS, FeatureTable, Vocab

NAME_LEVELS = ("different", "similar", "same sound", "same spelling")
LEVELS: dict[str, tuple[str, ...]] = {
    **{name: NAME_LEVELS for name in NAME_FIELDS},
    "birth": ("different", "within estimate", "same year", "day/month swapped", "same date"),
    "sex": ("different", "same"),
    "phone": ("different", "same"),
    "id_number": ("different", "same"),
    "origin": ("different", "same"),
}
M_START: dict[str, tuple[float, ...]] = {
    **{name: (0.03, 0.07, 0.4, 0.5) for name in NAME_FIELDS},
    "birth": (0.03, 0.3, 0.22, 0.05, 0.4),
    "sex": (0.02, 0.98),
    "phone": (0.3, 0.7),
    "id_number": (0.05, 0.95),
    "origin": (0.3, 0.7),
}
R_START: dict[str, tuple[float, ...]] = {
    "given": (0.9, 0.05, 0.04, 0.01),
    **{name: (0.3, 0.05, 0.4, 0.25) for name in ("father", "mother", "family")},
    "birth": (0.75, 0.2, 0.04, 0.005, 0.005),
    "sex": (0.5, 0.5),
    "phone": (0.3, 0.7),
    "id_number": (0.99, 0.01),
    "origin": (0.3, 0.7),
}
CLASSES = ("match", "related", "unrelated")
PRIOR_STRENGTH = 10.0
LEVEL_FLOOR = 0.005  # no level is impossible: phones change, clerks err
MIN_RELATIVE_PAIRS = 200
MIN_SESSION_PAIRS = 200
EM_ITERATIONS = 60
# Registered once per household: relatives share them as often as duplicates do.
SHARED_BY_HOUSEHOLD = ("phone", "origin")
SIMILAR = 0.85
SAME_REGISTRATION_PENALTY = -12.0
TF_BOUNDS = (-6.0, 8.0)


class SimilarityCache:
    """Jaro-Winkler similarity of interned strings, computed once per distinct pair."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self.known: dict[int, float] = {}

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Return similarities of code pairs a[i], b[i]."""
        if not len(a):
            return np.zeros(0)
        packed = (np.minimum(a, b).astype(np.int64) << 32) | np.maximum(a, b)
        unique, inverse = np.unique(packed, return_inverse=True)
        values = np.array([self.known.get(int(k), -1.0) for k in unique])
        todo = np.flatnonzero(values < 0)
        if len(todo):
            strings = self.vocab.strings
            left = [strings[int(unique[i] >> 32)] for i in todo]
            right = [strings[int(unique[i] & 0xFFFFFFFF)] for i in todo]
            values[todo] = process.cpdist(left, right, scorer=JaroWinkler.similarity)
            self.known.update(zip(unique[todo].tolist(), values[todo].tolist(), strict=True))
        return values[inverse]


@dataclass
class Comparisons:
    """Comparison levels of pairs (a[i], b[i]); -1 marks a null comparison."""

    a: np.ndarray
    b: np.ndarray
    levels: dict[str, np.ndarray]
    swapped: np.ndarray
    same_registration: np.ndarray


def _name_levels(ft: FeatureTable, fa: str, fb: str, a, b, sims) -> np.ndarray:
    """Return name levels comparing field fa of a with field fb of b."""
    skel_a, skel_b = ft.skel[fa][a], ft.skel[fb][b]
    level = np.where(skel_a == skel_b, 2, 0).astype(np.int8)
    level[ft.norm[fa][a] == ft.norm[fb][b]] = 3
    null = (skel_a == MISSING) | (skel_b == MISSING)
    fuzzy = np.flatnonzero((level == 0) & ~null)
    level[fuzzy[sims(skel_a[fuzzy], skel_b[fuzzy]) >= SIMILAR]] = 1
    level[null] = -1
    return level


def _birth_levels(ft: FeatureTable, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return birth levels: exact date, swapped day/month, same year, within estimate."""
    year_a, year_b = ft.birth_year[a].astype(np.int32), ft.birth_year[b].astype(np.int32)
    gap = np.abs(year_a - year_b)
    slack = ft.year_tol[a].astype(np.int32) + ft.year_tol[b]
    level = np.where(gap <= slack, 1, 0).astype(np.int8)
    level[gap == 0] = 2
    dob_a, dob_b = ft.dob[a], ft.dob[b]
    swapped = ((ft.dob_swapped[a] == dob_b) | (dob_a == ft.dob_swapped[b])) & (dob_a > 0)
    level[swapped & (dob_b > 0)] = 3
    level[(dob_a == dob_b) & (dob_a > 0)] = 4
    level[(year_a == 0) | (year_b == 0)] = -1
    return level


def _equal_levels(column: np.ndarray, a: np.ndarray, b: np.ndarray, missing: int) -> np.ndarray:
    """Return 1 where both sides agree, 0 where they differ, -1 where either is missing."""
    left, right = column[a], column[b]
    level = (left == right).astype(np.int8)
    level[(left == missing) | (right == missing)] = -1
    return level


def compare(ft: FeatureTable, a: np.ndarray, b: np.ndarray, sims: SimilarityCache) -> Comparisons:
    """Compare every pair (a[i], b[i]) field by field."""
    levels = {f: _name_levels(ft, f, f, a, b, sims) for f in NAME_FIELDS}
    given_x = _name_levels(ft, "given", "family", a, b, sims)
    family_x = _name_levels(ft, "family", "given", a, b, sims)
    straight = levels["given"].astype(np.int16) + levels["family"]
    swapped = given_x.astype(np.int16) + family_x >= straight + 3
    levels["given"] = np.where(swapped, given_x, levels["given"])
    levels["family"] = np.where(swapped, family_x, levels["family"])
    levels["birth"] = _birth_levels(ft, a, b)
    levels["sex"] = _equal_levels(ft.sex, a, b, 0)
    for column in ("phone", "id_number", "origin"):
        levels[column] = _equal_levels(getattr(ft, column), a, b, MISSING)
    same_registration = (ft.household[a] == ft.household[b]) & (ft.household[a] != MISSING)
    return Comparisons(a, b, levels, swapped, same_registration)


@dataclass
class Model:
    """Level distributions of duplicates (m), relatives (r), unrelated people (u), and more."""

    m: dict[str, np.ndarray]
    r: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    shares: dict[str, float]
    tf: dict[str, np.ndarray] = field(default_factory=dict)

    def tf_adjustment(self, name: str, codes: np.ndarray) -> np.ndarray:
        """Return the extra weight of agreeing on these name values, by their frequency."""
        table = self.tf[name]
        inside = (codes >= 0) & (codes < len(table))
        freq = np.where(inside, table[np.clip(codes, 0, len(table) - 1)], 0)
        freq = np.maximum(freq, table.min() if len(table) else 1e-6)
        agree = self.u[name][2:].sum()
        return np.clip(np.log2(agree / freq), *TF_BOUNDS)

    def _against(self, ft: FeatureTable, comp: Comparisons, alternative: str) -> dict:
        """Return per-field weights of the duplicate class against one alternative class."""
        other = self.u if alternative == "unrelated" else self.r
        parts: dict[str, np.ndarray] = {}
        for name, level in comp.levels.items():
            table = np.append(np.log2(self.m[name] / other[name]), 0.0)  # -1 (null) -> 0
            weight = table[level].astype(np.float32)
            if alternative == "unrelated" and name in NAME_FIELDS and self.tf:
                agree = level >= 2
                codes = ft.skel[name][comp.a[agree]]
                weight[agree] += self.tf_adjustment(name, codes).astype(np.float32)
            parts[name] = weight
        return parts

    def score(self, ft: FeatureTable, comp: Comparisons) -> tuple[np.ndarray, dict]:
        """Return (match weight in bits, per-field weights) of compared pairs."""
        totals, all_parts = [], []
        for alternative in ("unrelated", "related"):
            parts = self._against(ft, comp, alternative)
            prior = np.log2(self.shares["match"] / self.shares[alternative])
            totals.append(prior + sum(parts.values()))
            all_parts.append(parts)
        use_related = totals[1] < totals[0]
        total = np.where(use_related, totals[1], totals[0])
        total = total + np.where(comp.same_registration, SAME_REGISTRATION_PENALTY, 0.0)
        parts = {k: np.where(use_related, all_parts[1][k], v) for k, v in all_parts[0].items()}
        return total.astype(np.float32), parts


def _patterns(comp: Comparisons, subset: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Return the distinct comparison vectors (rows of levels) and their counts."""
    stacked = np.stack([comp.levels[name] for name in LEVELS], axis=1).astype(np.int8)
    if subset is not None:
        stacked = stacked[subset]
    return np.unique(stacked, axis=0, return_counts=True)


def level_shares(
    comp: Comparisons, name: str, smoothing: float = 1.0, subset: np.ndarray | None = None
) -> np.ndarray:
    """Return the smoothed share of each level of one field among non-null pairs."""
    level = comp.levels[name] if subset is None else comp.levels[name][subset]
    counts = np.bincount(level[level >= 0], minlength=len(LEVELS[name])).astype(float)
    counts += smoothing
    return counts / counts.sum()


def _log_likelihood(patterns: np.ndarray, dist: dict[str, np.ndarray]) -> np.ndarray:
    """Return log2 P(pattern | class) for a class's level distributions (nulls ignored)."""
    total = np.zeros(len(patterns))
    for j, name in enumerate(LEVELS):
        total += np.append(np.log2(dist[name]), 0.0)[patterns[:, j]]
    return total


def _refit(patterns: np.ndarray, weights: np.ndarray, start: dict) -> dict[str, np.ndarray]:
    """Return level distributions fitted to patterns weighted by class responsibility."""
    dist = {}
    for j, name in enumerate(LEVELS):
        seen = patterns[:, j] >= 0
        total = np.bincount(patterns[seen, j], weights[seen], minlength=len(LEVELS[name]))
        total = total + PRIOR_STRENGTH * np.asarray(start[name]) + 0.5
        dist[name] = np.maximum(total / total.sum(), LEVEL_FLOOR)
        dist[name] /= dist[name].sum()
    return dist


def _em(patterns: np.ndarray, counts: np.ndarray, dists: dict, shares: dict, free: dict) -> None:
    """Run EM in place: update class shares and, per class, the distributions of free fields."""
    for _ in range(EM_ITERATIONS):
        log_p = np.stack([np.log2(shares[c]) + _log_likelihood(patterns, dists[c]) for c in dists])
        resp = np.exp2(log_p - log_p.max(axis=0))
        resp = resp / resp.sum(axis=0) * counts
        for c, row in zip(dists, resp, strict=True):
            shares[c] = float(np.clip(row.sum() / max(counts.sum(), 1), 1e-6, 1.0))
            if free.get(c):
                fitted = _refit(patterns, row, dists[c])
                dists[c].update({name: fitted[name] for name in free[c]})


def _session(comp: Comparisons, subset: np.ndarray, m: dict, u: dict, learn: tuple) -> None:
    """Learn m of the fields in `learn` from the pairs in subset (duplicates vs the rest)."""
    patterns, counts = _patterns(comp, subset)
    if counts.sum() < MIN_SESSION_PAIRS:
        return
    observed = {name: level_shares(comp, name, subset=subset) for name in LEVELS}
    dists = {"match": m, "other": observed}
    _em(patterns, counts, dists, {"match": 0.3, "other": 0.7},
        {"match": learn, "other": tuple(LEVELS)})  # fmt: skip


def estimate(candidates: Comparisons, random_pairs: Comparisons) -> Model:
    """Estimate u on random pairs, r on relatives, and m by EM on the candidates.

    Relatives are the candidate pairs of two people registered together (one household), so r
    is counted, not guessed (without enough of them it stays at its prior). Candidate pairs
    were chosen for agreeing on a blocking key, so unrelated people among them agree more often
    than random pairs do: EM fits a third class of its own to them, starting from what the
    candidates look like overall, while the random-pair u is kept for scoring, where it is
    the rate of agreement by chance.
    """
    u = {name: level_shares(random_pairs, name) for name in LEVELS}
    together = candidates.same_registration
    r = {name: np.array(R_START[name], float) for name in LEVELS}
    if together.sum() >= MIN_RELATIVE_PAIRS:
        r = {name: level_shares(candidates, name, subset=together) for name in LEVELS}
    m = {name: np.array(M_START[name], float) for name in LEVELS}
    other = {name: level_shares(candidates, name) for name in LEVELS}
    dists = {"match": m, "related": r, "unrelated": other}
    shares = {"match": 0.05, "related": 0.2, "unrelated": 0.75}
    patterns, counts = _patterns(candidates)
    for _ in range(EM_ITERATIONS // 10):
        _em(patterns, counts, dists, shares, {"match": tuple(LEVELS), "unrelated": tuple(LEVELS)})
        r.update({name: m[name] for name in SHARED_BY_HOUSEHOLD})
    return Model(m=m, r=r, u=u, shares=shares)


def name_frequencies(ft: FeatureTable, vocab_size: int) -> dict[str, np.ndarray]:
    """Return, per name field, the share of people having each skeleton."""
    tf = {}
    for name in NAME_FIELDS:
        codes = ft.skel[name][ft.skel[name] >= 0]
        counts = np.bincount(codes, minlength=vocab_size).astype(np.float64)
        tf[name] = counts / max(1, len(codes))
        tf[name][counts == 0] = 1 / max(1, len(codes))
    return tf
