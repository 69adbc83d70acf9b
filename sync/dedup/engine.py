"""Deduplicate people by linking, explainably, in near-linear time.

    people (dicts, any script)
      │ features         names -> codes of (spelling, cross-script skeleton, in-script form,
      ▼                  other readings of ث ذ ظ); birth date or year ± an estimate's slack;
    FeatureTable         phone, id, origin, household; address (street + number), postcode,
      │                  locality; every string interned
      │ blocking         union of 15 keys (three of the four names, given+family either way,
      ▼                  phone+name, id, birth date, name+postcode/locality, address...), each a
    candidate pairs      sorted neighbourhood: ~linear, never n²; a key on absent fields is empty;
      │                  an Arabic name is keyed under its other readings too (عثمان as Osman)
      │ compare          a level per field: names different / similar / same sound / same
      ▼                  spelling (also crosswise, for swapped names); birth from different
    comparison levels    to same date (one digit off, day/month swapped); address, postcode,
      │                  locality from different to same; sex, phone, id, origin same or not
      │ model (learn.py) Fellegi–Sunter, learned from the data: u from random pairs (exact for
      ▼                  equal dates, phones, ids), r from people registered together if any,
    match weights        m from anchor pairs or EM, shares by EM; term frequencies of names;
      │                  a name alike only by a reading (ثامر / Samer) weighs by the share of
      │                  Arabic-written people who bear it against the Latin spelling's own name
      │ household        registrations with several likely pairs are one household: all their
      ▼ context          members are compared, their pairs gain a bonus; a pair alone between
    adjusted weights     two families loses one; one person per registration (best pair only)
      │ clusters         union-find: confirmed pairs first, then links above the threshold by
      ▼                  weight, never joining a rejected pair or two people of one registration
    clusters, household clusters, review queue (pairs between the thresholds, undecided)

`DedupIndex.build` runs all of it over a population and keeps what an incremental run needs
(vocabulary, features, model, sorted blocking keys, scored pairs); `DedupIndex.add` scores only
new people against the indexed ones, with the same model, and `DedupIndex.apply` re-clusters
after review decisions without rescoring. Nothing is ever deleted: a cluster is a label, and
every pair carries its weight and per-field reasons (`DedupResult.explain`).
"""

import pickle
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sync.dedup.blocking import BlockIndex, candidate_pairs, household_member_pairs, unpack
from sync.dedup.clusters import (
    best_per_registration,
    cluster,
    household_clusters,
    household_context,
    link_pairs,
)
from sync.dedup.compare import BATCH, Comparisons, SimilarityCache, compare, concat, subset
from sync.dedup.features import People, Vocab, build_features, sorted_isin
from sync.dedup.learn import estimate
from sync.dedup.model import arabic_name_counts, name_frequencies
from sync.dedup.result import DedupResult
from sync.dedup.review import Decisions
from sync.dedup.settings import Progress, Settings


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
        people: People,
        decisions: Decisions | None = None,
        settings: Settings | None = None,
        progress: Progress | None = None,
    ) -> "DedupIndex":
        """Run a full deduplication of people and return the index it leaves.

        People are person dicts, or for less memory a mapping of column name to values.
        """
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
        self.model = estimate(comp, self._random_comparisons(), len(self.ft), self.ft)
        self.model.tf = name_frequencies(self.ft, len(self.vocab))
        self.model.arabic_counts = arabic_name_counts(self.ft, self.sims.arabic, len(self.vocab))
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
        kept, weights = [], []
        for start in range(0, max(len(comp.a), 1), BATCH):
            batch = subset(comp, slice(start, start + BATCH))
            weight, _ = self.model.score(self.ft, batch)
            keep = np.flatnonzero(weight >= self._floor())
            kept.append(subset(batch, keep))
            weights.append(weight[keep])
        return concat(kept), np.concatenate(weights)

    def add(self, people: Sequence[dict]) -> list[str]:
        """Deduplicate new people against the index and each other; return their ids.

        People whose id is already indexed are skipped (edits are picked up by a full run).
        """
        people = [p for p in people if str(p.get("id")) not in self.row]
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
        self._recluster(new_from=before)
        return new.ids

    def _append(self, comp: Comparisons, weight: np.ndarray) -> None:
        """Add scored pairs to the kept ones."""
        self.pairs = concat([self.pairs, comp])
        self.weight = np.concatenate([self.weight, weight])

    def _add_household_members(self, among: np.ndarray) -> None:
        """Compare all members of registrations that a likely pair (of `among`) connects."""
        likely = among & (self.weight >= Settings.weight(self.settings.link_probability))
        packed = household_member_pairs(
            self.ft.household, self.pairs.a[likely], self.pairs.b[likely]
        )
        known = (self.pairs.a.astype(np.int64) << 32) | self.pairs.b
        a, b = unpack(packed[~sorted_isin(packed, known)])
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

    def _recluster(self, new_from: int | None = None) -> None:
        """Recompute household context, pair totals and clusters from the kept pairs.

        With new_from, only pairs from that position on (and pairs that now cross the link
        threshold) are linked into the existing clusters: an incremental run.
        """
        link = Settings.weight(self.settings.link_probability)
        a, b, household = self.pairs.a, self.pairs.b, self.ft.household
        fits = self._fits()
        possible = self.weight >= self._floor()
        together, lonely, self.matches = household_context(
            household, a, b, possible, possible & fits
        )
        self.bonus = np.where(together & fits, self.settings.household_bonus, 0.0)
        self.bonus -= np.where(lonely, self.settings.lonely_penalty, 0.0)
        total = self.weight + self.bonus
        best = best_per_registration(a, b, household, total)
        total = np.where(best, total, np.minimum(total, link - 0.01)).astype(np.float32)
        rejected = self._decided_rows("reject")
        if new_from is None or not hasattr(self, "sets"):
            self.sets = cluster(
                len(self.ft), a, b, total, link, self._decided_rows("confirm"), rejected,
                group=household,
            )  # fmt: skip
        else:
            self.sets.grow(len(self.ft), household)
            old = np.append(self.total, np.full(len(total) - len(self.total), -np.inf))
            fresh = (np.arange(len(total)) >= new_from) | (old < link)
            refused = {(min(x, y), max(x, y)) for x, y in rejected}
            link_pairs(self.sets, a, b, np.where(fresh, total, -np.inf), link, refused)
        self.total = total
        self.labels = self.sets.labels()
        self._household_labels = None

    @property
    def household_labels(self) -> np.ndarray:
        """Return each row's household cluster (a household code), computed when asked."""
        if getattr(self, "_household_labels", None) is None:
            self._household_labels = household_clusters(self.ft.household, self.matches)
        return self._household_labels

    def result(self) -> DedupResult:
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


def run(
    people: People,
    decisions: Decisions | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> DedupResult:
    """Deduplicate a list of people (dicts with the person keys) and return the result."""
    return DedupIndex.build(people, decisions, settings, progress).result()
