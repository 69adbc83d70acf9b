"""Registered people as integer-coded columns, with name postings and households.

Built once (the dedup features: every string interned, fuzzy scores once per distinct pair of
values), then extended with the people each refresh finds new or changed: a changed person
gets a new row and the old one is marked gone, so rows are never rewritten in place.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from sync.dedup.compare import SimilarityCache
from sync.dedup.features import MISSING, FeatureTable, Vocab, build_features
from sync.tracing.features import person_row

# How common a name is, from a station's own people: smoothed towards a prior share (as if
# PRIOR_PEOPLE people had been seen already, each name PRIOR_SHARE of them), so that a
# station's first dozen registrations do not make every shared name look common.
PRIOR_PEOPLE, PRIOR_SHARE = 500, 1 / 300
# A member's generation in the household, from their relationship to its head.
UNKNOWN, PARENTS, CHILDREN, OTHERS = 0, 1, 2, 3
GENERATION = {"head": PARENTS, "spouse": PARENTS, "child": CHILDREN, "grandchild": UNKNOWN,
              "parent": OTHERS, "grandparent": OTHERS, "sibling": OTHERS,
              "other_relative": OTHERS, "unrelated": OTHERS}  # fmt: skip


class PeopleIndex:
    """Registered people: comparable columns, postings by name skeleton, households."""

    def __init__(self) -> None:
        """Start empty: no people, no names interned."""
        self.vocab = Vocab()
        self.sims = SimilarityCache(self.vocab)
        self.ft: FeatureTable | None = None
        self.ids: list[str] = []
        self.row: dict[str, int] = {}
        self.stations: list[str] = []
        self.household = np.zeros(0, np.int64)
        self.household_ids: list[str] = []
        self._household_number: dict[str, int] = {}
        self.gone = np.zeros(0, bool)
        self.generation = np.zeros(0, np.int8)
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._members: tuple[np.ndarray, np.ndarray] | None = None
        self._frequencies: dict[str, np.ndarray] = {}
        self._households_with: dict[tuple[str, int], np.ndarray] = {}

    @classmethod
    def build(cls, people: Iterable[dict]) -> PeopleIndex:
        """Index people (dicts with ids, names, sex, age, origin, household and station)."""
        index = cls()
        index.add(people)
        return index

    def __len__(self) -> int:
        """Return how many people are indexed (not gone)."""
        return int((~self.gone).sum())

    def add(self, people: Iterable[dict]) -> None:
        """Add people; one already here is replaced by its new version."""
        people = list(people)
        if not people:
            return
        self.remove(p["id"] for p in people)
        rows = [person_row(p) for p in people]
        made = build_features(rows, self.vocab)
        self.ft = made if self.ft is None else self.ft.extend(made)
        start = len(self.ids)
        for offset, person in enumerate(people):
            self.row[person["id"]] = start + offset
        self.ids += [p["id"] for p in people]
        self.stations += [p.get("station") or "" for p in people]
        numbers = [self._number(p.get("household_id") or p["id"]) for p in people]
        self.household = np.concatenate([self.household, np.array(numbers, np.int64)])
        self.gone = np.concatenate([self.gone, np.zeros(len(people), bool)])
        made_generation = [GENERATION.get(p.get("relationship") or "", UNKNOWN) for p in people]
        self.generation = np.concatenate([self.generation, np.array(made_generation, np.int8)])
        self._forget()

    def remove(self, ids: Iterable[str]) -> None:
        """Mark people as gone (erased, or replaced by a newer version)."""
        rows = [self.row.pop(i) for i in ids if i in self.row]
        if rows:
            self.gone[rows] = True
            self._forget()

    def _forget(self) -> None:
        """Drop what is derived from the rows (they changed)."""
        self._postings, self._members = {}, None
        self._frequencies, self._households_with = {}, {}

    def household_number(self, household_id: str | None) -> int:
        """Return the number of a household indexed here, or -1."""
        return self._household_number.get(household_id or "", -1)

    def _number(self, household_id: str) -> int:
        """Return the number of a household, giving a new one a number."""
        found = self._household_number.get(household_id)
        if found is None:
            found = self._household_number[household_id] = len(self.household_ids)
            self.household_ids.append(household_id)
        return found

    def postings(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (sorted skeleton codes, rows in that order) of a name field or "origin"."""
        if field not in self._postings:
            assert self.ft is not None
            column = self.ft.origin if field == "origin" else self.ft.skel[field]
            codes = np.where(self.gone, MISSING, column)
            order = np.argsort(codes, kind="stable")
            self._postings[field] = (codes[order], order)
        return self._postings[field]

    def rows_with(self, field: str, code: int) -> np.ndarray:
        """Return the rows whose ``field`` has skeleton ``code``."""
        if code == MISSING or self.ft is None:
            return np.zeros(0, np.int64)
        codes, order = self.postings(field)
        lo, hi = np.searchsorted(codes, [code, code + 1])
        return order[lo:hi]

    def households_with(self, field: str, code: int) -> np.ndarray:
        """Return the household numbers of the rows whose ``field`` has skeleton ``code``."""
        key = (field, int(code))
        if key not in self._households_with:
            self._households_with[key] = np.unique(self.household[self.rows_with(field, code)])
        return self._households_with[key]

    def frequency(self, field: str, codes: np.ndarray) -> np.ndarray:
        """Return the share of people whose ``field`` has each of these skeleton codes."""
        table = self._frequencies.get(field)
        if table is None:
            sorted_codes, _order = self.postings(field)
            known = sorted_codes[sorted_codes != MISSING]
            counts = np.bincount(known, minlength=len(self.vocab)).astype(float)
            table = (counts + PRIOR_PEOPLE * PRIOR_SHARE) / (len(known) + PRIOR_PEOPLE)
            self._frequencies[field] = table
        inside = (codes >= 0) & (codes < len(table))
        unseen = PRIOR_PEOPLE * PRIOR_SHARE / (PRIOR_PEOPLE + len(table))
        return np.where(inside, table[np.clip(codes, 0, len(table) - 1)], unseen)

    def members(self, households: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the rows of these households and, per household, how many there are."""
        if self._members is None:
            live = np.flatnonzero(~self.gone)
            order = live[np.argsort(self.household[live], kind="stable")]
            self._members = (self.household[order], order)
        keys, order = self._members
        lo = np.searchsorted(keys, households)
        hi = np.searchsorted(keys, households, side="right")
        counts = hi - lo
        began = np.cumsum(counts) - counts
        within = np.arange(counts.sum()) - np.repeat(began, counts)
        return order[np.repeat(lo, counts) + within], counts

    def with_probes(self, probes: list[dict]) -> tuple[FeatureTable, int]:
        """Return the people's columns followed by those of probe rows, and where they start."""
        assert self.ft is not None
        made = build_features(probes, self.vocab)
        return self.ft.extend(made), len(self.ids)
