"""What a dedup run tells: clusters, counts, the review queue, and why each pair scored."""

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from sync.dedup.compare import LEVELS, compare
from sync.dedup.features import sorted_unique
from sync.dedup.review import pair_key
from sync.dedup.settings import Settings
from sync.dedup.uncertainty import CountBounds, count_bounds


class ScoredIndex(Protocol):
    """What a result reads of an index (engine.DedupIndex is one): no import back to it."""

    ft: Any
    vocab: Any
    settings: Settings
    labels: np.ndarray
    household_labels: np.ndarray
    pairs: Any
    total: np.ndarray
    bonus: np.ndarray
    candidate_count: int
    decisions: Any
    row: dict[str, int]
    sims: Any
    model: Any

    def _decided_rows(self, verdict: str) -> np.ndarray: ...


@dataclass
class PairScore:
    """Why two people were (or were not) linked."""

    a: str
    b: str
    probability: float
    weight: float
    fields: dict[str, dict] = field(default_factory=dict)
    household_bonus: float = 0.0  # negative: no one else of either registration matches
    names_swapped: bool = False
    same_cluster: bool = False
    verdict: str | None = None


class DedupResult:
    """A read-only view of an index's clusters, with explanations of its pairs."""

    def __init__(self, index: ScoredIndex) -> None:
        self.index = index
        self.ids = index.ft.ids

    def cluster_ids(self) -> dict[str, str]:
        """Return each person's cluster id (the id of the cluster's first registration)."""
        return {
            pid: self.ids[root]
            for pid, root in zip(self.ids, self.index.labels.tolist(), strict=True)
        }

    def household_cluster_ids(self) -> dict[str, str]:
        """Return each person's household cluster id (the code of a matching household)."""
        strings = self.index.vocab.strings
        return {
            pid: strings[code][3:] if code >= 0 else ""
            for pid, code in zip(self.ids, self.index.household_labels.tolist(), strict=True)
        }

    def summary(self) -> dict:
        """Return counts: records, unique people and households, pairs, links, review."""
        index = self.index
        link = Settings.weight(index.settings.link_probability)
        households = index.household_labels[index.household_labels >= 0]
        return {
            "records": len(self.ids),
            "unique_people": int(len(sorted_unique(index.labels))),
            "unique_households": int(len(sorted_unique(households))),
            "candidate_pairs": int(index.candidate_count),
            "links": int((index.total >= link).sum()),
            "review": len(self._review_rows()),
        }

    def _undecided(self) -> np.ndarray:
        """Mark kept pairs between the review thresholds that no reviewer has decided."""
        index, settings = self.index, self.index.settings
        a, b, total = index.pairs.a, index.pairs.b, index.total
        band = np.flatnonzero(
            (total >= Settings.weight(settings.review_probability))
            & (total < Settings.weight(settings.sure_probability))
        )
        verdicts = index.decisions.verdicts()
        rows = band.tolist()
        keys = [pair_key(self.ids[a[i]], self.ids[b[i]]) for i in rows]
        undecided = np.zeros(len(total), bool)
        undecided[[i for i, key in zip(rows, keys, strict=True) if key not in verdicts]] = True
        return undecided

    def undecided_pairs(self) -> list[tuple[str, str]]:
        """Return the id pairs between the review thresholds that no reviewer has decided."""
        rows = np.flatnonzero(self._undecided())
        a, b = self.index.pairs.a[rows].tolist(), self.index.pairs.b[rows].tolist()
        return [pair_key(self.ids[x], self.ids[y]) for x, y in zip(a, b, strict=True)]

    def count_bounds(self) -> CountBounds:
        """Return the unique count with its bounds until the undecided pairs are reviewed."""
        index = self.index
        links = index.total >= Settings.weight(index.settings.link_probability)
        confirmed = index._decided_rows("confirm")
        return count_bounds(
            index.labels, index.pairs.a, index.pairs.b, links, self._undecided(), confirmed
        )

    def _review_rows(self) -> np.ndarray:
        """Return kept-pair positions waiting for review, strongest first."""
        index = self.index
        review = Settings.weight(index.settings.review_probability)
        a, b, total = index.pairs.a, index.pairs.b, index.total
        rows = np.flatnonzero((total >= review) & (index.labels[a] != index.labels[b]))
        verdicts = index.decisions.verdicts()
        rows = [i for i in rows if pair_key(self.ids[a[i]], self.ids[b[i]]) not in verdicts]
        return np.array(sorted(rows, key=lambda i: -total[i]), np.int64)

    def review_queue(self, limit: int = 100) -> list[PairScore]:
        """Return pairs to review (between the thresholds, not yet decided), strongest first."""
        return [self._pair(int(i)) for i in self._review_rows()[:limit]]

    def _pair(self, i: int) -> PairScore:
        """Explain kept pair number i."""
        index = self.index
        a, b = int(index.pairs.a[i]), int(index.pairs.b[i])
        return self._explain_rows(a, b, float(index.bonus[i]))

    def explain(self, a_id: str, b_id: str) -> PairScore:
        """Explain the comparison of two people, whether or not they were linked."""
        a, b = sorted((self.index.row[str(a_id)], self.index.row[str(b_id)]))
        kept = np.flatnonzero((self.index.pairs.a == a) & (self.index.pairs.b == b))
        bonus = float(self.index.bonus[kept[0]]) if len(kept) else 0.0
        return self._explain_rows(a, b, bonus)

    def _explain_rows(self, a: int, b: int, bonus: float) -> PairScore:
        """Compare two rows and describe every field's level and weight."""
        index = self.index
        comp = compare(index.ft, np.array([a]), np.array([b]), index.sims)
        weight, parts = index.model.score(index.ft, comp)
        total = float(weight[0]) + bonus
        fields = {
            name: {"level": LEVELS[name][int(comp.levels[name][0])]
                   if comp.levels[name][0] >= 0 else "missing",
                   "weight": round(float(parts[name][0]), 2)}
            for name in LEVELS
        }  # fmt: skip
        return PairScore(
            a=self.ids[a], b=self.ids[b], probability=float(1 / (1 + 2.0**-total)),
            weight=round(total, 2), fields=fields, household_bonus=bonus,
            names_swapped=bool(comp.swapped[0]),
            same_cluster=bool(index.labels[a] == index.labels[b]),
            verdict=index.decisions.verdict(self.ids[a], self.ids[b]),
        )  # fmt: skip
