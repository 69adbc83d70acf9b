"""How much each agreement says: weights in bits, log2 of P(seen | family) / P(seen | anyone).

Names compare at the dedup levels (different, similar, same sound, same spelling). Agreeing
on a name is worth more the rarer the name (term frequency): a random household has a
"Mohammed" among its fathers' names far more often than a "Ghiath", and has several tries
(a father and his sons, two family names), so u = tries x frequency. A name that differs
counts against, a missing one counts nothing. Ages, sex, places and dates add smaller weights.
The levels are kept so every weight can be shown as a reason.
"""

from __future__ import annotations

import numpy as np

NAME_LEVELS = ("different", "similar", "same sound", "same spelling")
M_AGREE = 0.85  # a child's or relative's account of a name agrees with the record
SIMILAR_WEIGHT = 1.5  # a typo or a variant spelling: some evidence, not much
BOUNDS = (0.5, 11.0)
# How many values a random household offers for one role (a father and adult sons, the
# parents' two family names, three or four children's names).
TRIES = {"father": 1.5, "mother": 1.5, "family": 1.5, "sibling": 3.0, "self": 1.0, "given": 1.0}
DIFFERENT = {"father": -3.0, "mother": -2.5, "family": -3.0, "sibling": -1.0, "self": -3.0,
             "given": -3.0}  # fmt: skip
# A child's relatives registered at one station often share the child's home town.
PLACE = {"same": 2.0, "similar": 1.5, "different": -0.5}
M_PLACE = 0.6  # a child names its home town as the household's register has it
SEX = {"same": 0.3, "different": -4.0}
DAYS = ((2, 2.0), (7, 0.5), (30, 0.0))  # days apart of separation and "last seen"
DAYS_FAR = -1.0
# Birth years for one person: the gap allowed grows with estimated ages (dedup's slack).
BIRTH = {"same year": 2.5, "close": 2.0, "within estimate": 1.5, "plausible": -1.0,
         "different": -4.0}  # fmt: skip
# A parent's (or sibling's) age that fits the child's: more likely family; an odd one, less.
AGE_FIT, AGE_ODD = 0.7, 1.0
PROBABLE = 17.0  # bits: labelled "probable" (likely) at or above, "possible" from POSSIBLE
POSSIBLE = 10.0
LISTED = 4.0  # weaker candidates are not listed at all
NA = -np.inf  # a comparison that does not apply (a woman as a father, a missing name)


def name_weight(level: np.ndarray, freq: np.ndarray, role: str) -> np.ndarray:
    """Return the weight of name levels; freq is how common the compared value is."""
    agree = np.log2(M_AGREE / np.clip(freq * TRIES[role], 1e-5, 0.9))
    weight = np.full(len(level), NA)
    weight[level >= 2] = np.clip(agree[level >= 2], *BOUNDS)
    weight[level == 1] = SIMILAR_WEIGHT
    weight[level == 0] = DIFFERENT[role]
    return weight


def place_weight(same: np.ndarray, freq: np.ndarray) -> np.ndarray:
    """Return the weight of a home town agreeing (more for a rarer one) or not."""
    agree = np.clip(np.log2(M_PLACE / np.clip(freq, 1e-5, 1.0)), 0.0, 6.0)
    return np.where(same, agree, PLACE["different"])


def birth_levels(year_a, tol_a, year_b, tol_b) -> np.ndarray:
    """Return 0..4 (different .. same year) for two birth years of one person, -1 unknown."""
    gap = np.abs(year_a.astype(np.int32) - year_b.astype(np.int32))
    slack = tol_a.astype(np.int32) + tol_b + 1
    level = np.where(gap <= 2 * slack + 1, 1, 0)
    level[gap <= slack] = 2
    level[gap <= 2] = 3
    level[gap == 0] = 4
    level[(year_a == 0) | (year_b == 0)] = -1
    return level


BIRTH_NAMES = ("different", "plausible", "within estimate", "close", "same year")
BIRTH_TABLE = np.array([BIRTH[n] for n in BIRTH_NAMES] + [0.0])


def equal_weight(a: np.ndarray, b: np.ndarray, table: dict, missing=-1) -> np.ndarray:
    """Return table['same'] / table['different'] for equal values, 0 where one is missing."""
    weight = np.where(a == b, table["same"], table["different"]).astype(float)
    weight[(a == missing) | (b == missing)] = 0.0
    return weight


def days_weight(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the weight of two dates (day numbers) being this far apart; 0 if one is unknown."""
    apart = np.abs(a - b)
    weight = np.full(len(a), DAYS_FAR)
    for days, value in reversed(DAYS):
        weight[apart <= days] = value
    weight[(a == 0) | (b == 0)] = 0.0
    return weight


REFERENCE_HOUSEHOLDS = 10_000  # the thresholds hold for this many registered households


def label(score: float, households: int = REFERENCE_HOUSEHOLDS) -> str:
    """Return "probable", "possible" or "" for a score in bits among so many households.

    Among more households, more of them share a child's names by chance: the bar rises by
    log2 of how many more there are (it never falls below the reference's).
    """
    score -= max(0.0, float(np.log2(max(1, households) / REFERENCE_HOUSEHOLDS)))
    return "probable" if score >= PROBABLE else "possible" if score >= POSSIBLE else ""
