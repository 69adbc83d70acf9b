"""Deduplicate people by linking, explainably, in near-linear time.

    people (dicts, any script)
      │ features.build_features     names -> (spelling, cross-script skeleton) codes, birth
      ▼                             date/year ± estimate, phone, id number, origin, household
    FeatureTable (numpy columns)
      │ blocking.candidate_pairs    union of 8 keys (given+family either way, given+father,
      ▼                             given+mother, given+birth year, parents+family, ...), each a
    candidate pairs                 sorted neighbourhood: cost grows ~linearly, never n²
      │ model.compare               a level per field (different/similar/same sound/same
      ▼                             spelling; same date/swapped day-month/same year/±estimate)
    comparison levels
      │ model.estimate              Fellegi–Sunter: u from random pairs, m + prior by EM over
      ▼                             the distinct level patterns; name agreements weighted by
    match weight (bits)             how rare the shared name is; same registration: penalty
      │ household context           registrations sharing ≥2 linked members (≥ half of the
      ▼                             smaller) are one household; their members' pairs gain a bonus
      │ clusters.cluster            union-find: confirmed pairs, then links above the upper
      ▼                             threshold by weight, never joining a rejected pair
    clusters + review queue         pairs between the thresholds, in different clusters, undecided

`DedupIndex.build` runs all of it once over a population and keeps what an incremental run
needs (vocabulary, features, model, sorted blocking keys, scored pairs); `DedupIndex.add`
scores only new people against the indexed ones with the same model, and `apply` re-clusters
after review decisions without rescoring. Nothing is ever deleted: a cluster is a label, and
every link carries its weight and per-field reasons (`DedupResult.explain`).
"""

import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sync.dedup.blocking import BlockIndex, candidate_pairs, household_member_pairs, unpack
from sync.dedup.clusters import (
    best_per_registration,
    cluster,
    household_clusters,
    household_context,
)
from sync.dedup.features import Vocab, build_features
from sync.dedup.model import (
    LEVELS,
    Comparisons,
    SimilarityCache,
    compare,
    estimate,
    name_frequencies,
)
from sync.dedup.review import Decisions, pair_key

Progress = Callable[[str, float], None]


@dataclass
class Settings:
    """Thresholds (as match probabilities) and sizes of a dedup run."""

    link_probability: float = 0.8
    review_probability: float = 0.2
    household_bonus: float = 6.0
    lonely_penalty: float = 6.0
    window_scale: float = 1.0
    random_pairs: int = 200_000
    seed: int = 0
    ref_year: int | None = None

    @staticmethod
    def weight(probability: float) -> float:
        """Return the match weight (bits) of a probability."""
        return float(np.log2(probability / (1 - probability)))


@dataclass
class PairScore:
    """Why two people were (or were not) linked."""

    a: str
    b: str
    probability: float
    weight: float
    fields: dict[str, dict] = field(default_factory=dict)
    household_bonus: float = 0.0
    names_swapped: bool = False
    verdict: str | None = None


def _quiet(stage: str, fraction: float) -> None:
    """Ignore progress reports."""


class DedupIndex:
    """A deduplicated population, ready for incremental runs and review decisions."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.vocab = Vocab()
        self.sims = SimilarityCache(self.vocab)
        self.decisions = Decisions()

    @classmethod
    def build(
        cls,
        people: Sequence[dict],
        decisions: Decisions | None = None,
        settings: Settings | None = None,
        progress: Progress | None = None,
    ) -> "DedupIndex":
        """Run a full deduplication of people and return the index it leaves."""
        self, report = cls(settings), progress or _quiet
        self.decisions = decisions or Decisions()
        report("features", 0.0)
        self.ft = build_features(people, self.vocab, self.settings.ref_year)
        self.row = {pid: i for i, pid in enumerate(self.ft.ids)}
        report("blocking", 0.3)
        a, b = unpack(candidate_pairs(self.ft, self.settings.window_scale))
        self.blocks = BlockIndex(self.ft, self.settings.window_scale)
        report("comparing", 0.45)
        comp = compare(self.ft, a, b, self.sims)
        self.model = estimate(comp, self._random_comparisons(), len(self.ft))
        self.model.tf = name_frequencies(self.ft, len(self.vocab))
        report("scoring", 0.8)
        self.pairs, self.weight = self._keep(comp)
        self.candidate_count = len(a)
        self._add_household_members(np.ones(len(self.weight), bool))
        self._recluster()
        report("done", 1.0)
        return self

    def _random_comparisons(self) -> Comparisons:
        """Compare random pairs of people, to count how often non-matches agree."""
        n, rng = len(self.ft), np.random.default_rng(self.settings.seed)
        size = min(self.settings.random_pairs, n * (n - 1) // 2)
        a, b = rng.integers(0, n, size), rng.integers(0, n, size)
        keep = a != b
        return compare(self.ft, a[keep], b[keep], self.sims)

    def _floor(self) -> float:
        """Return the lowest weight worth keeping: a household bonus may lift it to review."""
        return Settings.weight(self.settings.review_probability) - self.settings.household_bonus

    def _keep(self, comp: Comparisons) -> tuple[Comparisons, np.ndarray]:
        """Score pairs and keep those a household bonus could lift to the review zone."""
        weight, _ = self.model.score(self.ft, comp)
        keep = np.flatnonzero(weight >= self._floor())
        kept = Comparisons(
            comp.a[keep], comp.b[keep], {k: v[keep] for k, v in comp.levels.items()},
            comp.swapped[keep], comp.same_registration[keep],
        )  # fmt: skip
        return kept, weight[keep]

    def add(self, people: Sequence[dict]) -> list[str]:
        """Deduplicate new people against the index and each other; return their ids."""
        offset = len(self.ft)
        new = build_features(people, self.vocab, self.settings.ref_year)
        packed = self.blocks.pairs_for(new, offset)
        self.ft = self.ft.extend(new)
        self.row.update({pid: offset + i for i, pid in enumerate(new.ids)})
        self.blocks.add(new, offset)
        a, b = unpack(packed)
        before = len(self.weight)
        self._append(*self._keep(compare(self.ft, a, b, self.sims)))
        self.candidate_count += len(a)
        self._add_household_members(np.arange(len(self.weight)) >= before)
        self._recluster()
        return new.ids

    def _append(self, comp: Comparisons, weight: np.ndarray) -> None:
        """Add scored pairs to the kept ones."""
        self.pairs = Comparisons(
            np.concatenate([self.pairs.a, comp.a]), np.concatenate([self.pairs.b, comp.b]),
            {k: np.concatenate([v, comp.levels[k]]) for k, v in self.pairs.levels.items()},
            np.concatenate([self.pairs.swapped, comp.swapped]),
            np.concatenate([self.pairs.same_registration, comp.same_registration]),
        )  # fmt: skip
        self.weight = np.concatenate([self.weight, weight])

    def _add_household_members(self, among: np.ndarray) -> None:
        """Compare all members of registrations that a likely pair (of `among`) connects."""
        likely = among & (self.weight >= self._floor()) & self._fits()
        packed = household_member_pairs(
            self.ft.household, self.pairs.a[likely], self.pairs.b[likely]
        )
        known = (self.pairs.a.astype(np.int64) << 32) | self.pairs.b
        a, b = unpack(packed[~np.isin(packed, known)])
        self._append(*self._keep(compare(self.ft, a, b, self.sims)))
        self.candidate_count += len(a)

    def _fits(self) -> np.ndarray:
        """Mark kept pairs whose given names and ages fit one person."""
        levels = self.pairs.levels
        return (levels["given"] >= 1) & (levels["birth"] != 0)

    def apply(self, decisions: Decisions) -> None:
        """Re-cluster with these review decisions (without rescoring)."""
        self.decisions = decisions
        self._recluster()

    def _decided_rows(self, verdict: str) -> list[tuple[int, int]]:
        """Return the row pairs with this verdict, skipping unknown people."""
        pairs = self.decisions.confirmed() if verdict == "confirm" else self.decisions.rejected()
        return [(self.row[a], self.row[b]) for a, b in pairs if a in self.row and b in self.row]

    def _recluster(self) -> None:
        """Recompute household context, pair totals and clusters from the kept pairs."""
        link = Settings.weight(self.settings.link_probability)
        a, b, household = self.pairs.a, self.pairs.b, self.ft.household
        fits = self._fits()
        possible = self.weight >= self._floor()
        together, lonely, matches = household_context(household, a, b, possible, possible & fits)
        self.bonus = np.where(together & fits, self.settings.household_bonus, 0.0)
        self.bonus -= np.where(lonely, self.settings.lonely_penalty, 0.0)
        total = self.weight + self.bonus
        best = best_per_registration(a, b, household, total)
        self.total = np.where(best, total, np.minimum(total, link - 0.01)).astype(np.float32)
        rejected = self._decided_rows("reject")
        self.labels = cluster(
            len(self.ft), a, b, self.total, link, self._decided_rows("confirm"), rejected,
            group=household,
        )  # fmt: skip
        self.household_labels = household_clusters(household, matches)

    def result(self) -> "DedupResult":
        """Return the current clusters, links and review queue."""
        return DedupResult(self)

    def save(self, path: str | Path) -> None:
        """Write the index to a file (pickle: only load files you wrote)."""
        with open(path, "wb") as handle:
            pickle.dump(self, handle, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def load(path: str | Path) -> "DedupIndex":
        """Read an index written by save."""
        with open(path, "rb") as handle:
            return pickle.load(handle)


class DedupResult:
    """A read-only view of an index's clusters, with explanations of its pairs."""

    def __init__(self, index: DedupIndex) -> None:
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
            "unique_people": int(len(np.unique(index.labels))),
            "unique_households": int(len(np.unique(households))),
            "candidate_pairs": int(index.candidate_count),
            "links": int((index.total >= link).sum()),
            "review": len(self._review_rows()),
        }

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
        a, b = self.index.row[str(a_id)], self.index.row[str(b_id)]
        bonus = 0.0
        hh = self.index.household_labels
        if (
            hh[a] >= 0
            and hh[a] == hh[b]
            and self.index.ft.household[a] != self.index.ft.household[b]
        ):
            bonus = self.index.settings.household_bonus
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
            verdict=index.decisions.verdict(self.ids[a], self.ids[b]),
        )  # fmt: skip


def run(
    people: Sequence[dict],
    decisions: Decisions | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> DedupResult:
    """Deduplicate a list of people (dicts with the person keys) and return the result."""
    return DedupIndex.build(people, decisions, settings, progress).result()
