"""Fellegi–Sunter scoring: a weight per field level, m/u from the data, term frequencies.

A level's weight is log2(m/u): m is how often true duplicates reach that level (see compare.py
for the levels), u how often two random people do.

Families break the textbook two-class model: candidate pairs are full of siblings and parents,
who share father's, mother's and family names, phone and origin, and plain EM happily learns
"same family" as its match class (it did, here, until it was stopped). So there are three
classes: duplicates (m), relatives (r) and unrelated people (u). How each is learned from the
population at hand (u on random pairs, r on people registered together, m on anchor pairs or
by EM, the shares by EM over the distinct comparison patterns) is in learn.py; where a
population has no households, the relatives class is left out and the model is Splink's two.

A pair's weight is its evidence for "duplicate" against the likelier of the two alternatives,
field by field, so every weight can be shown as a reason. Against "unrelated", the prior is
that two random people are one (not the share among candidates: blocking already chose them),
and a name agreement is adjusted by how common the shared name is, log2(u_agree / frequency):
a shared "Mohammed" counts less than a shared "Zubayda".

A name that agrees only through a reading of ث ذ ظ (عثمان read as Osman, ثامر as Samer) is
evidence only in the share of that Latin spelling's writers who mean the Arabic name, counted in
the data: of the people written in Arabic letters, those with the Arabic name against those with
a name whose own skeleton is the Latin one (سامر is "Samer" without any reading). The weight of
such an agreement, against either alternative, loses log2(own / (own + other)): nothing for
Osman where no Arabic name is plainly "Osman", about two bits for Samer where سامر is three
times as common as ثامر.
"""

from dataclasses import dataclass, field

import numpy as np

from sync.dedup.compare import Comparisons
from sync.dedup.features import MISSING, NAME_FIELDS, FeatureTable

M_START: dict[str, tuple[float, ...]] = {
    **{name: (0.03, 0.07, 0.4, 0.5) for name in NAME_FIELDS},
    "birth": (0.02, 0.05, 0.15, 0.15, 0.2, 0.03, 0.03, 0.37),
    "sex": (0.02, 0.98),
    "phone": (0.3, 0.7),
    "id_number": (0.05, 0.95),
    "origin": (0.3, 0.7),
    "address": (0.2, 0.05, 0.15, 0.6),
    "postcode": (0.1, 0.1, 0.8),
    "locality": (0.1, 0.1, 0.8),
}
R_START: dict[str, tuple[float, ...]] = {
    "given": (0.9, 0.05, 0.04, 0.01),
    **{name: (0.3, 0.05, 0.4, 0.25) for name in ("father", "mother", "family")},
    "birth": (0.6, 0.2, 0.1, 0.05, 0.04, 0.005, 0.005, 0.005),
    "sex": (0.5, 0.5),
    "phone": (0.3, 0.7),
    "id_number": (0.99, 0.01),
    "origin": (0.3, 0.7),
    "address": (0.2, 0.05, 0.05, 0.7),
    "postcode": (0.2, 0.05, 0.75),
    "locality": (0.2, 0.05, 0.75),
}
CLASSES = ("match", "related", "unrelated")
LEVEL_FLOOR = 0.005  # no level is impossible: phones change, clerks err
MIN_PAIRS = 100
EM_ITERATIONS = 60
# Registered once per household: relatives share them as often as duplicates do.
SHARED_BY_HOUSEHOLD = ("phone", "origin", "address", "postcode", "locality")
SAME_REGISTRATION_PENALTY = -12.0
TF_BOUNDS = (-6.0, 8.0)
SWAPPABLE = {"given": "family", "family": "given"}


@dataclass
class Model:
    """Level distributions of duplicates (m), relatives (r), unrelated people (u), and more."""

    m: dict[str, np.ndarray]
    r: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    shares: dict[str, float]
    random_match: float = 1e-6
    tf: dict[str, np.ndarray] = field(default_factory=dict)
    # Per name field and skeleton, how many people are written with it in Arabic letters.
    arabic_counts: dict[str, np.ndarray] = field(default_factory=dict)

    def frequency(self, name: str, codes: np.ndarray) -> np.ndarray:
        """Return how common these skeletons are in one name field."""
        table = self.tf[name]
        inside = (codes >= 0) & (codes < len(table))
        freq = np.where(inside, table[np.clip(codes, 0, len(table) - 1)], 0)
        return np.maximum(freq, table.min() if len(table) else 1e-6)

    def tf_adjustment(
        self,
        name: str,
        codes: np.ndarray,
        swapped: np.ndarray | None = None,
        other_codes: np.ndarray | None = None,
    ) -> np.ndarray:
        """Return the extra weight of agreeing on these name values, by their frequency.

        For a pair whose given and family names were swapped, it is not known which record
        holds which, so the more common reading of the shared value counts. Where the two
        sides agree by sound with different skeletons (عثمان read as Osman), the name is as
        common as both skeletons together.
        """
        freq = self._frequency(name, codes, swapped)
        if other_codes is not None:
            read = np.flatnonzero(other_codes != codes)
            turned = None if swapped is None else swapped[read]
            freq[read] += self._frequency(name, other_codes[read], turned)
        agree = self.u[name][2:].sum()
        return np.clip(np.log2(agree / freq), *TF_BOUNDS)

    def _frequency(self, name: str, codes: np.ndarray, swapped: np.ndarray | None) -> np.ndarray:
        """Return the frequency of name values, the commoner field's for swapped pairs."""
        freq = self.frequency(name, codes)
        if swapped is not None and name in SWAPPABLE and swapped.any():
            other = SWAPPABLE[name]
            freq = np.where(swapped, np.maximum(freq, self.frequency(other, codes)), freq)
        return freq

    def _against(self, ft: FeatureTable, comp: Comparisons, alternative: str, read) -> dict:
        """Return per-field weights of the duplicate class against one alternative class."""
        other = self.u if alternative == "unrelated" else self.r
        parts: dict[str, np.ndarray] = {}
        for name, level in comp.levels.items():
            table = np.append(np.log2(self.m[name] / other[name]), 0.0)  # -1 (null) -> 0
            weight = table[level].astype(np.float32)
            if name in read:
                rows, cost = read[name]
                weight[rows] += cost
            if alternative == "unrelated" and name in NAME_FIELDS and self.tf:
                agree = level >= 2
                weight[agree] += self._agreement_tf(ft, comp, name, agree).astype(np.float32)
            parts[name] = weight
        return parts

    def _agreeing_skeletons(self, ft: FeatureTable, comp: Comparisons, name: str, agree):
        """Return the skeletons of a's and b's names agreeing in one field (b's swapped)."""
        swapped = comp.swapped[agree]
        codes, b = ft.skel[name][comp.a[agree]], comp.b[agree]
        theirs = ft.skel[name][b]
        if name in SWAPPABLE:  # b's value that a's agrees with is in the other field
            turned = np.flatnonzero(swapped)
            theirs[turned] = ft.skel[SWAPPABLE[name]][b[turned]]
        return codes, theirs, swapped

    def _agreement_tf(self, ft: FeatureTable, comp: Comparisons, name: str, agree) -> np.ndarray:
        """Return the term-frequency adjustment of the pairs agreeing on one name field."""
        codes, theirs, swapped = self._agreeing_skeletons(ft, comp, name, agree)
        return self.tf_adjustment(name, codes, swapped, theirs)

    def reading_weights(self, ft: FeatureTable, comp: Comparisons) -> dict[str, tuple]:
        """Return, per name field, the pairs agreeing only through a reading (ث ذ ظ), and cost.

        log2(own / (own + other)): own people write the Arabic name in Arabic letters, other
        people write in Arabic a name whose own skeleton is the Latin side's (ثامر and سامر
        against "Samer"). Zero where the two skeletons are one (no reading was needed).
        """
        counts = getattr(self, "arabic_counts", {})
        found = {}
        for name in NAME_FIELDS:
            level = comp.levels[name]
            agree = np.flatnonzero(level >= 2)
            if name not in counts or not len(agree):
                continue
            codes, theirs, _ = self._agreeing_skeletons(ft, comp, name, agree)
            read = np.flatnonzero((codes != theirs) & (codes != MISSING) & (theirs != MISSING))
            if not len(read):
                continue
            a_arabic = (ft.alt[name][comp.a[agree[read]]] != MISSING).any(axis=1)
            arabic = np.where(a_arabic, codes[read], theirs[read])
            latin = np.where(a_arabic, theirs[read], codes[read])
            own = np.maximum(_count(counts[name], arabic), 1.0)
            cost = np.log2(own / (own + _count(counts[name], latin))).astype(np.float32)
            found[name] = (agree[read], cost)
        return found

    def prior(self, alternative: str) -> float:
        """Return the prior log-odds (bits) of a duplicate against one alternative.

        Against relatives, both were measured on candidate pairs, so the candidates' shares
        apply. Against unrelated people, u is the agreement of random pairs, so the prior is
        that two random people are one: the blocking that found the pair must not count twice.
        """
        if alternative == "related":
            return float(np.log2(self.shares["match"] / self.shares["related"]))
        return float(np.log2(self.random_match / (1 - self.random_match)))

    def score(self, ft: FeatureTable, comp: Comparisons) -> tuple[np.ndarray, dict]:
        """Return (match weight in bits, per-field weights) of compared pairs."""
        totals, all_parts = [], []
        read = self.reading_weights(ft, comp)
        for alternative in ("unrelated", "related"):
            parts = self._against(ft, comp, alternative, read)
            prior = self.prior(alternative)
            totals.append(prior + sum(parts.values()))
            all_parts.append(parts)
        use_related = totals[1] < totals[0]
        total = np.where(use_related, totals[1], totals[0])
        total = total + np.where(comp.same_registration, SAME_REGISTRATION_PENALTY, 0.0)
        parts = {k: np.where(use_related, all_parts[1][k], v) for k, v in all_parts[0].items()}
        return total.astype(np.float32), parts


def name_frequencies(ft: FeatureTable, vocab_size: int) -> dict[str, np.ndarray]:
    """Return, per name field, the share of people having each skeleton."""
    tf = {}
    for name in NAME_FIELDS:
        codes = ft.skel[name][ft.skel[name] >= 0]
        counts = np.bincount(codes, minlength=vocab_size).astype(np.float64)
        tf[name] = counts / max(1, len(codes))
        tf[name][counts == 0] = 1 / max(1, len(codes))
    return tf


def arabic_name_counts(ft: FeatureTable, is_arabic, vocab_size: int) -> dict[str, np.ndarray]:
    """Return, per name field, how many people write each skeleton in Arabic letters.

    ``is_arabic`` tells, for interned spellings, which are in Arabic script.
    """
    counts = {}
    for name in NAME_FIELDS:
        known = np.flatnonzero(ft.skel[name] >= 0)
        arabic = known[is_arabic(ft.norm[name][known])]
        counts[name] = np.bincount(ft.skel[name][arabic], minlength=vocab_size).astype(np.int32)
    return counts


def _count(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Return table[codes], 0 for codes the table does not know (interned after it)."""
    inside = (codes >= 0) & (codes < len(table))
    return np.where(inside, table[np.clip(codes, 0, max(len(table) - 1, 0))], 0).astype(float)
