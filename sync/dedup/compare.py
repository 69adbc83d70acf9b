"""Comparison levels: how two people's fields agree, pair by pair, vectorised.

Names: different / similar (typo) / same sound (one skeleton, e.g. محمد and Mohamad) / same
spelling; given and family names are also compared crosswise, for clerks who swap them. An
Arabic name compared with a Latin one is also taken in its other readings (names.READINGS):
عثمان and Osman are the same sound; two Arabic names never are by a reading (ثامر / سامر). Birth:
from different to the same date, with room for estimated ages and swapped day/month. Sex,
phone, id number and origin: same or different. A field missing on either side is null (-1)
and weighs nothing. Fuzzy scores come from rapidfuzz, once per distinct pair of values.
"""

import re
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein, Indel, JaroWinkler

from sync.dedup.features import MISSING, NAME_FIELDS, FeatureTable, Vocab

NAME_LEVELS = ("different", "similar", "same sound", "same spelling")
LEVELS: dict[str, tuple[str, ...]] = {
    **{name: NAME_LEVELS for name in NAME_FIELDS},
    "birth": (
        "different",
        "plausible",
        "within estimate",
        "close",
        "same year",
        "one digit off",
        "day/month swapped",
        "same date",
    ),  # fmt: skip
    "sex": ("different", "same"),
    "phone": ("different", "same"),
    "id_number": ("different", "same"),
    "origin": ("different", "same"),
    "address": ("different", "same street", "similar", "same"),
    "postcode": ("different", "near", "same"),
    "locality": ("different", "similar", "same"),
}
SIMILAR = 0.85  # Jaro-Winkler of skeletons
SIMILAR_EDIT = 0.75  # or share of letters kept by insertions/deletions (MD / HMD)
SIMILAR_PLACE = 0.9
SIMILAR_SPELLING = 0.9  # Jaro-Winkler of spellings in one script (Catherine / Cathrine)
SIMILAR_ADDRESS = 0.85  # Indel similarity of two addresses (a typo in the street)
BATCH = 500_000
SAME_SCRIPT_FORM = 0.8  # below, one skeleton in one script is two names (محمد / محمود)
_ARABIC = re.compile("[\u0600-\u06ff]")


class SimilarityCache:
    """Similarities of interned strings, computed once per distinct pair in a call."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self._strings = np.array([], dtype=object)
        self._arabic = np.zeros(0, bool)

    def strings(self) -> np.ndarray:
        """Return the vocabulary as an object array (refreshed when it has grown)."""
        if len(self._strings) != len(self.vocab):
            new = self.vocab.strings[len(self._strings) :]
            self._strings = np.concatenate([self._strings, np.array(new + [""], object)[:-1]])
            flags = np.array([bool(_ARABIC.search(t)) for t in new], bool)
            self._arabic = np.concatenate([self._arabic, flags])
        return self._strings

    def arabic(self, codes: np.ndarray) -> np.ndarray:
        """Tell which interned strings are in Arabic script."""
        self.strings()
        return self._arabic[codes]

    def __call__(self, a: np.ndarray, b: np.ndarray, *scorers) -> list[np.ndarray]:
        """Return, per scorer, the 0..1 similarities of the strings of code pairs a[i], b[i]."""
        scorers = scorers or (JaroWinkler.normalized_similarity,)
        if not len(a):
            return [np.zeros(0) for _ in scorers]
        packed = (np.minimum(a, b).astype(np.int64) << 32) | np.maximum(a, b)
        unique, inverse = np.unique(packed, return_inverse=True)
        strings = self.strings()
        left, right = strings[unique >> 32], strings[unique & 0xFFFFFFFF]
        return [
            np.asarray(process.cpdist(left, right, scorer=scorer, workers=1), float)[inverse]
            for scorer in scorers
        ]


@dataclass
class Comparisons:
    """Comparison levels of pairs (a[i], b[i]); -1 marks a null comparison."""

    a: np.ndarray
    b: np.ndarray
    levels: dict[str, np.ndarray]
    swapped: np.ndarray
    same_registration: np.ndarray


@dataclass
class Readable:
    """Who has a name with another reading (ث ذ ظ), per field, and which pairs of a batch."""

    names: dict[str, np.ndarray]
    anyone: np.ndarray
    pairs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @classmethod
    def of(cls, ft: FeatureTable) -> "Readable":
        """Mark the people of a table whose names have other readings."""
        names = {f: (ft.alt[f] != MISSING).any(axis=1) for f in NAME_FIELDS}
        return cls(names, np.logical_or.reduce(list(names.values())))

    def batch(self, a: np.ndarray, b: np.ndarray) -> "Readable":
        """Return the marks with the pairs (a[i], b[i]) of a batch that involve such a name."""
        return Readable(self.names, self.anyone, np.flatnonzero(self.anyone[a] | self.anyone[b]))


def _name_levels(ft: FeatureTable, fa: str, fb: str, a, b, sims, readable: Readable):
    """Return name levels comparing field fa of a with field fb of b.

    Equal skeletons in one script but clearly different spellings (محمد / محمود, Mohammed /
    Mahmoud, Hassan / Hussein) are only "similar": the skeleton is for crossing scripts.
    """
    skel_a, skel_b = ft.skel[fa][a], ft.skel[fb][b]
    level = np.where(skel_a == skel_b, 2, 0).astype(np.int8)
    level[ft.norm[fa][a] == ft.norm[fb][b]] = 3
    null = (skel_a == MISSING) | (skel_b == MISSING)
    form_a, form_b = ft.form[fa][a], ft.form[fb][b]
    check = np.flatnonzero((level == 2) & (form_a != form_b))
    check = check[sims.arabic(form_a[check]) == sims.arabic(form_b[check])]
    (ratio,) = sims(form_a[check], form_b[check], Indel.normalized_similarity)
    level[check[ratio < SAME_SCRIPT_FORM]] = 1
    fuzzy = np.flatnonzero((level == 0) & ~null)
    jaro, edit = sims(
        skel_a[fuzzy], skel_b[fuzzy], JaroWinkler.normalized_similarity, Indel.normalized_similarity
    )
    level[fuzzy[(jaro >= SIMILAR) | (edit >= SIMILAR_EDIT)]] = 1
    fuzzy = np.flatnonzero(level == 0)
    (spelling,) = sims(ft.norm[fa][a][fuzzy], ft.norm[fb][b][fuzzy])
    level[fuzzy[spelling >= SIMILAR_SPELLING]] = 1
    rows = readable.pairs  # pairs where someone has a name with another reading: few
    rows = rows[(level[rows] < 2) & ~null[rows]]
    rows = rows[readable.names[fa][a[rows]] | readable.names[fb][b[rows]]]
    if len(rows):
        _raise_by_reading(ft, fa, fb, a[rows], b[rows], sims, level, rows)
    level[null] = -1
    return level


def _raise_by_reading(ft: FeatureTable, fa: str, fb: str, a, b, sims, level, rows) -> None:
    """Raise levels[rows] where a reading of an Arabic name sounds like the Latin one.

    Only an Arabic name against a Latin one: "same sound" where a reading's skeleton equals
    the Latin skeleton (عثمان / Osman), "similar" where one is a typo away (عثمان / Osmna).
    """
    arabic_a, arabic_b = sims.arabic(ft.norm[fa][a]), sims.arabic(ft.norm[fb][b])
    keep = np.flatnonzero(arabic_a != arabic_b)
    a, b, rows, a_read = a[keep], b[keep], rows[keep], arabic_a[keep]
    readings = np.where(a_read[:, None], ft.alt[fa][a], ft.alt[fb][b])
    written = np.where(a_read, ft.skel[fb][b], ft.skel[fa][a])
    same = (readings == written[:, None]).any(axis=1)
    level[rows[same]] = 2
    rows, readings, written = rows[~same], readings[~same], written[~same]
    for column in readings.T:
        fuzzy = np.flatnonzero((column != MISSING) & (level[rows] == 0))
        if not len(fuzzy):
            continue
        jaro, edit = sims(column[fuzzy], written[fuzzy], JaroWinkler.normalized_similarity,
                          Indel.normalized_similarity)  # fmt: skip
        level[rows[fuzzy[(jaro >= SIMILAR) | (edit >= SIMILAR_EDIT)]]] = 1


def _birth_levels(ft: FeatureTable, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return birth levels, from "different" to "same date" (see LEVELS["birth"]).

    The slack is what two estimated ages allow (it grows with age), plus a year for a birthday
    not yet reached or a slip of the year; "close" is two years whatever the estimates.
    """
    year_a, year_b = ft.birth_year[a].astype(np.int32), ft.birth_year[b].astype(np.int32)
    gap = np.abs(year_a - year_b)
    slack = ft.year_tol[a].astype(np.int32) + ft.year_tol[b] + 1
    level = np.where(gap <= 2 * slack + 1, 1, 0).astype(np.int8)
    level[gap <= slack] = 2
    level[gap <= 2] = 3
    level[gap == 0] = 4
    dob_a, dob_b = ft.dob[a], ft.dob[b]
    level[(_digits_apart(dob_a, dob_b) == 1) & (dob_a > 0) & (dob_b > 0)] = 5
    swapped = ((ft.dob_swapped[a] == dob_b) | (dob_a == ft.dob_swapped[b])) & (dob_a > 0)
    level[swapped & (dob_b > 0)] = 6
    level[(dob_a == dob_b) & (dob_a > 0)] = 7
    level[(year_a == 0) | (year_b == 0)] = -1
    return level


def _digits_apart(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return in how many of their 8 digits two yyyymmdd dates differ (a clerk's slip: 1)."""
    apart = np.zeros(len(x), np.int8)
    x, y = x.astype(np.int64), y.astype(np.int64)
    for _ in range(8):
        apart += (x % 10 != y % 10).astype(np.int8)
        x, y = x // 10, y // 10
    return apart


def _equal_levels(column: np.ndarray, a: np.ndarray, b: np.ndarray, missing: int) -> np.ndarray:
    """Return 1 where both sides agree, 0 where they differ, -1 where either is missing."""
    left, right = column[a], column[b]
    level = (left == right).astype(np.int8)
    level[(left == missing) | (right == missing)] = -1
    return level


def _place_levels(ft: FeatureTable, a: np.ndarray, b: np.ndarray, sims) -> dict[str, np.ndarray]:
    """Return address, postcode and locality levels (see LEVELS for their meaning)."""
    address = _equal_levels(ft.address, a, b, MISSING) * 3
    address[address < 0] = -1
    near = np.flatnonzero(address == 0)
    street = ft.street[a[near]] == ft.street[b[near]]
    address[near[street & (ft.street[a[near]] != MISSING)]] = 1
    near = np.flatnonzero(address == 0)
    (ratio,) = sims(ft.address[a[near]], ft.address[b[near]], Indel.normalized_similarity)
    address[near[ratio >= SIMILAR_ADDRESS]] = 2
    postcode = _equal_levels(ft.postcode, a, b, MISSING) * 2
    postcode[postcode < 0] = -1
    near = np.flatnonzero(postcode == 0)
    (edits,) = sims(ft.postcode[a[near]], ft.postcode[b[near]], DamerauLevenshtein.distance)
    postcode[near[edits <= 1]] = 1
    locality = _equal_levels(ft.locality, a, b, MISSING) * 2
    locality[locality < 0] = -1
    near = np.flatnonzero(locality == 0)
    (jaro,) = sims(ft.locality[a[near]], ft.locality[b[near]])
    locality[near[jaro >= SIMILAR_PLACE]] = 1
    return {"address": address, "postcode": postcode, "locality": locality}


def subset(comp: Comparisons, rows: np.ndarray) -> Comparisons:
    """Return the comparisons of some pairs (an index array or a mask)."""
    return Comparisons(
        comp.a[rows], comp.b[rows], {k: v[rows] for k, v in comp.levels.items()},
        comp.swapped[rows], comp.same_registration[rows],
    )  # fmt: skip


def concat(parts: list[Comparisons]) -> Comparisons:
    """Return the comparisons of several batches as one."""
    if len(parts) == 1:
        return parts[0]
    return Comparisons(
        np.concatenate([p.a for p in parts]), np.concatenate([p.b for p in parts]),
        {k: np.concatenate([p.levels[k] for p in parts]) for k in parts[0].levels},
        np.concatenate([p.swapped for p in parts]),
        np.concatenate([p.same_registration for p in parts]),
    )  # fmt: skip


def compare(ft: FeatureTable, a: np.ndarray, b: np.ndarray, sims: SimilarityCache) -> Comparisons:
    """Compare every pair (a[i], b[i]) field by field, in batches that bound memory."""
    readable = Readable.of(ft)
    batches = [
        _compare(ft, a[i : i + BATCH], b[i : i + BATCH], sims, readable)
        for i in range(0, len(a), BATCH)
    ]
    return concat(batches) if batches else _compare(ft, a, b, sims, readable)


def _compare(ft: FeatureTable, a, b, sims: SimilarityCache, readable: Readable) -> Comparisons:
    """Compare one batch of pairs field by field."""
    readable = readable.batch(a, b)
    levels = {f: _name_levels(ft, f, f, a, b, sims, readable) for f in NAME_FIELDS}
    given_x = _name_levels(ft, "given", "family", a, b, sims, readable)
    family_x = _name_levels(ft, "family", "given", a, b, sims, readable)
    straight = levels["given"].astype(np.int16) + levels["family"]
    swapped = given_x.astype(np.int16) + family_x >= straight + 3
    levels["given"] = np.where(swapped, given_x, levels["given"])
    levels["family"] = np.where(swapped, family_x, levels["family"])
    levels["birth"] = _birth_levels(ft, a, b)
    levels["sex"] = _equal_levels(ft.sex, a, b, 0)
    for column in ("phone", "id_number", "origin"):
        levels[column] = _equal_levels(getattr(ft, column), a, b, MISSING)
    near = np.flatnonzero(levels["origin"] == 0)
    close = sims(ft.origin[a[near]], ft.origin[b[near]])[0] >= SIMILAR_PLACE
    levels["origin"][near[close]] = 1
    levels.update(_place_levels(ft, a, b, sims))
    same_registration = (ft.household[a] == ft.household[b]) & (ft.household[a] != MISSING)
    return Comparisons(a, b, levels, swapped, same_registration)


def name_levels(
    ft: FeatureTable, fa: str, fb: str, a: np.ndarray, b: np.ndarray, sims: SimilarityCache
) -> np.ndarray:
    """Return the levels of field ``fa`` of people ``a`` against field ``fb`` of people ``b``.

    The same comparator the engine uses; family tracing compares across fields (a child's
    "father's name" against an adult's given name).
    """
    return _name_levels(ft, fa, fb, a, b, sims, Readable.of(ft).batch(a, b))
