"""Candidate pairs: people who share at least one blocking key.

Each rule makes one key per person (e.g. given-name skeleton + father's skeleton); two people
are a candidate pair if any rule gives them the same key. Keys are sorted with the birth year
as a tie-breaker, and a person is paired only with the next few people of the same key:
small blocks are paired completely, and a huge block ("Mohammed" + "1990") becomes a sorted
neighbourhood of people of similar age instead of a quadratic explosion. How wide a window is
also depends on the data: a rule stops widening its windows once it has made PAIR_BUDGET pairs
per person, so a population whose names crowd the keys gets narrower windows, not n² pairs.
A rule on fields a population does not have (no postcode, no parents' names) makes no pairs.
An Arabic name with another reading (names.READINGS: عثمان read as Osman) is keyed under each
reading too, where that changes the key, so that it meets the Latin spellings of that reading.
"""

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from sync.dedup.features import MISSING, NAME_FIELDS, FeatureTable, sorted_unique

_HASH_MASK = (1 << 54) - 1
# Pairs one rule may make per person, on average: crowded keys get narrower windows, so that
# candidates grow linearly with the population instead of filling every window.
PAIR_BUDGET = 2.0
_P1, _P2 = 1_000_003, 998_244_353


def _combine(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hash code columns into one int64 key; return (key, valid)."""
    valid = np.ones(len(columns[0]), bool)
    key = np.zeros(len(columns[0]), np.int64)
    for column in columns:
        valid &= column != MISSING
        key = key * _P1 + column.astype(np.int64) * _P2 + 7
    return key & _HASH_MASK, valid


def _either_order(ft: FeatureTable, *others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Key on given and family skeletons in either order (clerks swap them), plus others."""
    g, f = ft.skel["given"], ft.skel["family"]
    return _combine(np.minimum(g, f), np.maximum(g, f), *others)


# rule -> (key function, window). Keys of three names survive an error in the fourth; the
# broad two-field keys only look at a few neighbours of similar age.
RULES: dict[str, tuple[Callable[[FeatureTable], tuple[np.ndarray, np.ndarray]], int]] = {
    "given+family+father": (lambda ft: _either_order(ft, ft.skel["father"]), 30),
    "given+family+mother": (lambda ft: _either_order(ft, ft.skel["mother"]), 30),
    "given+father+mother": (
        lambda ft: _combine(ft.skel["given"], ft.skel["father"], ft.skel["mother"]),
        30,
    ),
    "father+mother+family": (
        lambda ft: _combine(ft.skel["father"], ft.skel["mother"], ft.skel["family"]),
        30,
    ),
    "given+family": (lambda ft: _either_order(ft), 5),
    "phone+given": (lambda ft: _combine(ft.phone, ft.skel["given"]), 30),
    "phone+family": (lambda ft: _combine(ft.phone, ft.skel["family"]), 10),
    "id_number": (lambda ft: _combine(ft.id_number), 30),
    "birth date": (lambda ft: _combine(_known(ft.dob)), 3),
    "given+postcode": (lambda ft: _combine(ft.skel["given"], ft.postcode), 10),
    "family+postcode": (lambda ft: _combine(ft.skel["family"], ft.postcode), 10),
    "given+locality": (lambda ft: _combine(ft.skel["given"], ft.locality), 10),
    "family+locality": (lambda ft: _combine(ft.skel["family"], ft.locality), 10),
    "address": (lambda ft: _combine(ft.address), 10),
}


def _known(column: np.ndarray) -> np.ndarray:
    """Return a numeric column with 0 (unknown) marked MISSING."""
    return np.where(column > 0, column, MISSING)


Readings = list[tuple[np.ndarray, FeatureTable]]


def readings(ft: FeatureTable) -> Readings:
    """Return, per other reading of names, the rows it changes and their keys' fields so read."""
    found = []
    for reading in range(ft.alt[NAME_FIELDS[0]].shape[1]):
        changed = np.zeros(len(ft), bool)
        for name in NAME_FIELDS:
            changed |= ft.alt[name][:, reading] != MISSING
        rows = np.flatnonzero(changed)
        skel = {}
        for name in NAME_FIELDS:
            alt = ft.alt[name][rows, reading]
            skel[name] = np.where(alt != MISSING, alt, ft.skel[name][rows])
        columns = {column: getattr(ft, column)[rows] for column in ft.columns}
        # Keys read skeletons and the other columns only: no spellings or forms needed.
        part = replace(ft, ids=[ft.ids[i] for i in rows.tolist()], skel=skel, norm={}, form={},
                       alt={}, **columns)  # fmt: skip
        found.append((rows, part))
    return found


def sort_keys(
    ft: FeatureTable, rule: str, read: Readings | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return (sorted composite keys, row of each) for one rule; birth year breaks ties.

    With the table's readings, a row is also keyed under each reading that changes its key.
    """
    make = RULES[rule][0]
    key, valid = make(ft)
    rows = [np.flatnonzero(valid)]
    keys = [key[rows[0]]]
    for read_rows, part in read or ():
        read_key, read_valid = make(part)
        changed = np.flatnonzero(read_valid & (read_key != key[read_rows]))
        rows.append(read_rows[changed])
        keys.append(read_key[changed])
    rows, keys = np.concatenate(rows), np.concatenate(keys)
    year = np.clip(ft.birth_year[rows].astype(np.int64) - 1900, 0, 255)
    composite = (keys << 8) | year
    order = np.argsort(composite, kind="stable")
    return composite[order], rows[order]


def window_pairs(
    block: np.ndarray, rows: np.ndarray, window: int, budget: int | None = None
) -> list[np.ndarray]:
    """Pair each row (sorted by block) with the next `window` rows of the same block.

    With a budget, no further step is taken once the pairs found reach it: where blocks are
    crowded (a common name in a large population), the window shrinks to what the budget
    allows, the nearest neighbours in age first.
    """
    active = np.arange(len(block) - 1)
    found, total = [], 0
    for step in range(1, window + 1):
        if budget is not None and total >= budget:
            break
        active = active[active + step < len(block)]
        active = active[block[active] == block[active + step]]
        if not len(active):
            break
        found.append(_pack(rows[active], rows[active + step]))
        total += len(active)
    return found


def _pack(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Encode pairs as int64 (low row << 32 | high row)."""
    low, high = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    return (low << 32) | high


def unpack(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decode packed pairs into (a, b) row arrays with a < b."""
    return (pairs >> 32).astype(np.int64), (pairs & 0xFFFFFFFF).astype(np.int64)


def candidate_pairs(ft: FeatureTable, scale: float = 1.0) -> np.ndarray:
    """Return the packed, unique candidate pairs of a table under every rule."""
    found, read = [np.zeros(0, np.int64)], readings(ft)
    for rule, (_, window) in RULES.items():
        keys, rows = sort_keys(ft, rule, read)
        budget = round(PAIR_BUDGET * len(ft))
        found += window_pairs(keys >> 8, rows, max(1, round(window * scale)), budget)
    return _distinct_pairs(found)


def _distinct_pairs(found: list[np.ndarray]) -> np.ndarray:
    """Return the unique packed pairs, without a row paired with itself under two readings."""
    pairs = sorted_unique(np.concatenate(found))
    return pairs[(pairs >> 32) != (pairs & 0xFFFFFFFF)]


def household_member_pairs(
    household: np.ndarray, a: np.ndarray, b: np.ndarray, max_size: int = 20
) -> np.ndarray:
    """Return packed pairs of every member of a[i]'s registration with every member of b[i]'s.

    Once two registrations look like one family, each of their members is compared with each
    of the other's, whatever typos kept them out of the blocks.
    """
    ha, hb = household[a], household[b]
    keep = (ha >= 0) & (hb >= 0) & (ha != hb)
    pairs = sorted_unique(
        (np.minimum(ha, hb)[keep].astype(np.int64) << 32) | np.maximum(ha, hb)[keep]
    )
    rows = np.flatnonzero(household >= 0)
    rows = rows[np.argsort(household[rows], kind="stable")]
    codes, start, size = np.unique(household[rows], return_index=True, return_counts=True)
    x = np.searchsorted(codes, pairs >> 32)
    y = np.searchsorted(codes, pairs & 0xFFFFFFFF)
    fine = (size[x] <= max_size) & (size[y] <= max_size)
    x, y = x[fine], y[fine]
    cross = size[x] * size[y]
    which = np.repeat(np.arange(len(x)), cross)
    within = np.arange(cross.sum()) - np.repeat(np.cumsum(cross) - cross, cross)
    left = rows[start[x][which] + within // size[y][which]]
    right = rows[start[y][which] + within % size[y][which]]
    return sorted_unique(_pack(left, right))


class BlockIndex:
    """Sorted blocking keys of an indexed population, for finding pairs of new people."""

    def __init__(self, ft: FeatureTable, scale: float = 1.0) -> None:
        self.scale = scale
        read = readings(ft)
        self.sorted = {rule: sort_keys(ft, rule, read) for rule in RULES}

    def _window(self, rule: str) -> int:
        """Return the number of neighbours a rule looks at."""
        return max(1, round(RULES[rule][1] * self.scale))

    def pairs_for(self, new: FeatureTable, offset: int) -> np.ndarray:
        """Return packed pairs of new rows (numbered from offset) with indexed and new rows."""
        found, read = [np.zeros(0, np.int64)], readings(new)
        for rule, (keys, rows) in self.sorted.items():
            window = self._window(rule)
            new_keys, new_rows = sort_keys(new, rule, read)
            found += window_pairs(new_keys >> 8, new_rows + offset, window)
            block = (new_keys >> 8) << 8
            lo = np.searchsorted(keys, block, "left")
            hi = np.searchsorted(keys, block | 255, "right")
            at = np.searchsorted(keys, new_keys, "left")
            start = np.maximum(lo, np.minimum(at - window // 2, hi - window))
            counts = np.maximum(np.minimum(hi, start + window) - start, 0)
            if counts.sum():
                first = np.repeat(start - np.cumsum(counts) + counts, counts)
                positions = first + np.arange(counts.sum())
                found.append(_pack(np.repeat(new_rows + offset, counts), rows[positions]))
        return _distinct_pairs(found)

    def add(self, new: FeatureTable, offset: int) -> None:
        """Merge the keys of new rows (numbered from offset) into the index (no re-sort)."""
        read = readings(new)
        for rule, (keys, rows) in self.sorted.items():
            new_keys, new_rows = sort_keys(new, rule, read)
            at = np.searchsorted(keys, new_keys, "right")
            self.sorted[rule] = (
                np.insert(keys, at, new_keys),
                np.insert(rows, at, new_rows + offset),
            )
