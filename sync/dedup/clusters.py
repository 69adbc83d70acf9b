"""Clusters of people and of households from scored pairs.

People: union-find over confirmed pairs first, then over pairs above the link threshold in
order of decreasing weight; a union that would put two people of a rejected pair in one
cluster is refused, so a rejection holds even against a chain of links. Households: two
registrations whose members link at least twice, and for at least half of the smaller one,
are one household.
"""

from collections.abc import Iterable

import numpy as np

from sync.dedup.features import sorted_isin, sorted_unique


class UnionFind:
    """Disjoint sets of rows that keep rejected pairs, and rows of one group, apart.

    The smallest row is a set's root. `group` (e.g. the registration a row came from, -1 for
    none) puts a cannot-link between all rows of one group: one registration never lists
    the same person twice.
    """

    def __init__(
        self, n: int, cannot: Iterable[tuple[int, int]] = (), group: np.ndarray | None = None
    ) -> None:
        self.parent = list(range(n))
        self.cannot: dict[int, set[int]] = {}
        for a, b in cannot:
            self.cannot.setdefault(a, set()).add(b)
            self.cannot.setdefault(b, set()).add(a)
        self.guarded: dict[int, set[int]] = {row: {row} for row in self.cannot}
        self.group = group.tolist() if group is not None else None
        self.groups: dict[int, set[int]] = {}

    def find(self, row: int) -> int:
        """Return the root of row's set."""
        parent = self.parent
        root = row
        while parent[root] != root:
            root = parent[root]
        while parent[row] != root:
            parent[row], row = root, parent[row]
        return root

    def _groups_of(self, root: int) -> set[int]:
        """Return the groups present in root's set."""
        found = self.groups.get(root)
        if found is None:
            own = self.group[root] if self.group is not None else -1
            found = {own} if own >= 0 else set()
        return found

    def allowed(self, ra: int, rb: int) -> bool:
        """Tell whether merging roots ra and rb keeps rejected pairs and groups apart."""
        if self.group is not None and not self._groups_of(ra).isdisjoint(self._groups_of(rb)):
            return False
        small, other = ra, rb
        if len(self.guarded.get(ra, ())) > len(self.guarded.get(rb, ())):
            small, other = rb, ra
        for row in self.guarded.get(small, ()):
            if any(self.find(x) == other for x in self.cannot[row]):
                return False
        return True

    def union(self, a: int, b: int, force: bool = False) -> bool:
        """Merge the sets of a and b unless a constraint forbids it; return if merged."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if not force and not self.allowed(ra, rb):
            return False
        root, child = min(ra, rb), max(ra, rb)
        self.parent[child] = root
        if child in self.guarded:
            self.guarded.setdefault(root, set()).update(self.guarded.pop(child))
        if self.group is not None:
            self.groups[root] = self._groups_of(root) | self._groups_of(child)
            self.groups.pop(child, None)
        return True

    def grow(self, n: int, group: np.ndarray | None = None) -> None:
        """Add singleton rows up to n (new people), with their groups."""
        self.parent.extend(range(len(self.parent), n))
        if self.group is not None and group is not None:
            self.group.extend(group[len(self.group) :].tolist())

    def labels(self) -> np.ndarray:
        """Return the root row of every row."""
        parent = np.array(self.parent, np.int64)
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                return parent
            parent = grand


def link_pairs(
    sets: UnionFind,
    a: np.ndarray,
    b: np.ndarray,
    weight: np.ndarray,
    threshold: float,
    refused: set[tuple[int, int]] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Union the pairs above threshold, strongest first, unless refused or forbidden."""
    links = np.flatnonzero(weight >= threshold)
    links = links[np.argsort(-weight[links], kind="stable")]
    for x, y in zip(a[links].tolist(), b[links].tolist(), strict=True):
        if (x, y) not in refused:
            sets.union(x, y)


def cluster(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    weight: np.ndarray,
    threshold: float,
    confirmed: Iterable[tuple[int, int]] = (),
    rejected: Iterable[tuple[int, int]] = (),
    group: np.ndarray | None = None,
) -> UnionFind:
    """Return the sets made by review decisions and links above threshold.

    Confirmed pairs are linked first and always, unless that would join a rejected pair;
    then links by decreasing weight, each refused if it would join a rejected pair or two
    rows of one group.
    """
    rejected = list(rejected)
    sets = UnionFind(n, rejected, group)
    for x, y in confirmed:
        sets.union(x, y, force=not sets.cannot or _keeps_rejections(sets, x, y))
    refused = {(min(x, y), max(x, y)) for x, y in rejected}
    link_pairs(sets, a, b, weight, threshold, refused)
    return sets


def _keeps_rejections(sets: UnionFind, x: int, y: int) -> bool:
    """Tell whether joining x's and y's sets keeps every rejected pair apart."""
    group, sets.group = sets.group, None
    try:
        return sets.allowed(sets.find(x), sets.find(y))
    finally:
        sets.group = group


def matching_households(
    household: np.ndarray, a: np.ndarray, b: np.ndarray, share: float = 0.5
) -> set[tuple[int, int]]:
    """Return household pairs whose members link at least twice and for most of the smaller."""
    ha, hb = household[a], household[b]
    keep = (ha >= 0) & (hb >= 0) & (ha != hb)
    low, high = np.minimum(ha[keep], hb[keep]), np.maximum(ha[keep], hb[keep])
    packed, counts = np.unique((low.astype(np.int64) << 32) | high, return_counts=True)
    codes, sizes = np.unique(household[household >= 0], return_counts=True)
    size_of = dict(zip(codes.tolist(), sizes.tolist(), strict=True))
    found = set()
    for key, count in zip(packed[counts >= 2].tolist(), counts[counts >= 2].tolist(), strict=True):
        x, y = key >> 32, key & 0xFFFFFFFF
        if count >= share * min(size_of[x], size_of[y]):
            found.add((x, y))
    return found


def household_clusters(household: np.ndarray, matches: Iterable[tuple[int, int]]) -> np.ndarray:
    """Return, per row, a household cluster code (the smallest matching household code)."""
    codes = sorted_unique(household[household >= 0])
    position = {code: i for i, code in enumerate(codes.tolist())}
    sets = UnionFind(len(codes))
    for x, y in matches:
        sets.union(position[x], position[y])
    roots = codes[sets.labels()] if len(codes) else codes
    out = np.full(len(household), -1, np.int64)
    known = household >= 0
    out[known] = roots[np.searchsorted(codes, household[known])]
    return out


def best_per_registration(
    a: np.ndarray, b: np.ndarray, household: np.ndarray, total: np.ndarray
) -> np.ndarray:
    """Mark pairs that are each side's best match among the other's registration.

    One person appears at most once in a registration, so of a's pairs with members of b's
    household only the strongest can be a duplicate; the others are usually b's siblings.
    """
    n = len(household)
    group_a = np.where(household[a] >= 0, household[a], n + a).astype(np.int64)
    group_b = np.where(household[b] >= 0, household[b], n + b).astype(np.int64)
    order = np.argsort(-total, kind="stable")
    best = np.zeros(len(a), bool)
    for row, group in ((a, group_b), (b, group_a)):
        keys = (row[order].astype(np.int64) << 32) | group[order]
        _, first = np.unique(keys, return_index=True)
        mark = np.zeros(len(a), bool)
        mark[order[first]] = True
        best = mark if row is a else best & mark
    return best


def _household_pairs(household: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return each pair's packed (low, high) household codes, -1 where not across two."""
    ha, hb = household[a], household[b]
    packed = (np.minimum(ha, hb).astype(np.int64) << 32) | np.maximum(ha, hb)
    return np.where((ha >= 0) & (hb >= 0) & (ha != hb), packed, -1)


def _count_among(keys: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """Return, for each key, how many selected pairs share it."""
    unique, counts = np.unique(keys[selected & (keys >= 0)], return_counts=True)
    at = np.clip(np.searchsorted(unique, keys), 0, max(len(unique) - 1, 0))
    found = (len(unique) > 0) & (unique[at] == keys) if len(unique) else np.zeros(len(keys), bool)
    return np.where(found, counts[at] if len(unique) else 0, 0)


def household_context(
    household: np.ndarray, a: np.ndarray, b: np.ndarray, possible: np.ndarray, likely: np.ndarray
) -> tuple[np.ndarray, np.ndarray, set[tuple[int, int]]]:
    """Return (pairs across matching households, pairs across unrelated ones, the matches).

    Families flee and register together: a pair of people from two registrations of two or
    more people, with no other possible pair between them, is probably two namesakes; two
    registrations with several likely pairs (`matching_households`) are one household.
    """
    keys = _household_pairs(household, a, b)
    codes, sizes = np.unique(household[household >= 0], return_counts=True)
    size = np.zeros(len(household), np.int64)
    known = household >= 0
    size[known] = sizes[np.searchsorted(codes, household[known])]
    others = _count_among(keys, possible) - possible
    lonely = (keys >= 0) & (size[a] >= 2) & (size[b] >= 2) & (others == 0)
    matches = matching_households(household, a[likely], b[likely])
    wanted = np.array([(x << 32) | y for x, y in matches], np.int64)
    return sorted_isin(keys, wanted), lonely, matches
