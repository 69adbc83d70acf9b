"""Link another agency's list against ours with the deduplication engine's matching.

    ours (records)          theirs (a manifest, a head count)
      │ features: one Vocab for both (names in any script -> spelling, skeleton, form)
      ▼
    BlockIndex(ours) ── pairs_for(theirs) ─>  candidate pairs: theirs x ours, theirs x theirs
      │ compare            the same levels per field as dedup (cross-script names, swapped
      ▼                    given/family, birth from different to same date, sex, phone)
    match weights          Fellegi–Sunter, m/u estimated on these pairs and random pairs,
      │                    rare shared names weigh more (term frequencies)
      ▼
    their groups           their rows linked to each other, or to the same person of ours,
      │                    are one person written twice in their list (their duplicates)
      ▼
    LinkResult             per group: matched (ours), probable (to review), or only theirs

Each of their rows links to its single best candidate of ours above the link threshold (never
to two of ours at once, so two look-alike siblings of ours are not joined through one of their
rows); a group with no link but a candidate between the thresholds is *probable*. Blocking
keeps it near-linear: 10,000 names against 100,000 records compare a few hundred thousand
pairs, not a billion.
"""

from dataclasses import dataclass, field

import numpy as np

from sync.dedup.blocking import BlockIndex, unpack
from sync.dedup.clusters import UnionFind
from sync.dedup.compare import SimilarityCache, compare
from sync.dedup.features import People, Vocab, build_features, count
from sync.dedup.model import estimate, name_frequencies
from sync.dedup.settings import Settings

PROBABLE_SHOWN = 3  # candidates kept per probable group


@dataclass
class TheirGroup:
    """One person in their list: the rows that name them, and what they are of ours."""

    rows: list[str]
    status: str  # "matched" | "probable" | "only_theirs"
    ours: list[str] = field(default_factory=list)
    probability: float = 0.0
    candidates: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class LinkResult:
    """Their list as groups (one per person), each matched, probable or only theirs."""

    groups: list[TheirGroup]
    candidate_pairs: int = 0

    def matched_ours(self) -> set[str]:
        """Return the ids of ours that a group of theirs matched."""
        return {o for g in self.groups if g.status == "matched" for o in g.ours}


def _probability(weight: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp2(-weight.astype(np.float64)))


def link(ours: People, theirs: People, settings: Settings | None = None) -> LinkResult:
    """Match each of their rows against ours; group their rows that name one person."""
    settings = settings or Settings()
    n_ours, n_theirs = count(ours), count(theirs)
    if not n_theirs:
        return LinkResult([])
    vocab = Vocab()
    sims = SimilarityCache(vocab)
    ft_ours = build_features(ours, vocab, settings.ref_year)
    ft_theirs = build_features(theirs, vocab, settings.ref_year)
    ft = ft_ours.extend(ft_theirs)
    a, b = unpack(BlockIndex(ft_ours, settings.window_scale).pairs_for(ft_theirs, n_ours))
    comp = compare(ft, a, b, sims)
    rng = np.random.default_rng(settings.seed)
    size = min(settings.random_pairs, max(n_ours, 1) * n_theirs)
    ra = rng.integers(0, max(n_ours, 1), size) if n_ours else rng.integers(0, n_theirs, size)
    rb = rng.integers(n_ours, n_ours + n_theirs, size)
    model = estimate(comp, compare(ft, ra, rb, sims), n_ours + n_theirs)
    model.tf = name_frequencies(ft, len(vocab))
    weight, _parts = model.score(ft, comp)
    groups = _groups(ft.ids, n_ours, a, b, weight, settings)
    return LinkResult(groups, candidate_pairs=len(a))


def _groups(ids, n_ours: int, a, b, weight, settings: Settings) -> list[TheirGroup]:
    """Group their rows and classify each group as matched, probable or only theirs."""
    link_w, review_w = (
        Settings.weight(settings.link_probability),
        Settings.weight(settings.review_probability),
    )
    cross = a < n_ours  # a < b always: a pair with a row of ours has it on the left
    best = _best_of_ours(a[cross], b[cross], weight[cross], link_w)
    sets = UnionFind(len(ids))
    mine = ~cross & (weight >= link_w)
    for x, y in zip(a[mine].tolist(), b[mine].tolist(), strict=True):
        sets.union(x, y, force=True)
    for their_row, our_row in best.items():
        sets.union(their_row, our_row, force=True)
    labels = sets.labels()
    review = cross & (weight >= review_w) & (weight < link_w)
    probable: dict[int, list[tuple[int, float]]] = {}
    for x, y, w in zip(a[review].tolist(), b[review].tolist(), weight[review].tolist(),
                       strict=True):  # fmt: skip
        probable.setdefault(int(labels[y]), []).append((x, w))
    members: dict[int, list[int]] = {}
    for row in range(len(ids)):
        members.setdefault(int(labels[row]), []).append(row)
    groups = []
    for label, rows in members.items():
        theirs = [r for r in rows if r >= n_ours]
        if not theirs:
            continue
        ours = [r for r in rows if r < n_ours]
        groups.append(_group(ids, theirs, ours, probable.get(label, []), best, weight, a, b))
    return groups


def _best_of_ours(a, b, weight, link_w: float) -> dict[int, int]:
    """Return, for each of their rows with a link, its best row of ours."""
    keep = weight >= link_w
    a, b, weight = a[keep], b[keep], weight[keep]
    order = np.lexsort((-weight, b))
    found: dict[int, int] = {}
    for x, y in zip(a[order].tolist(), b[order].tolist(), strict=True):
        found.setdefault(y, x)
    return found


def _group(ids, theirs, ours, maybe, best, weight, a, b) -> TheirGroup:
    """Describe one group of their rows."""
    their_ids = [ids[r] for r in theirs]
    if ours:
        return TheirGroup(their_ids, "matched", [ids[r] for r in ours])
    if maybe:
        ranked: dict[int, float] = {}
        for row, w in maybe:
            ranked[row] = max(ranked.get(row, -np.inf), w)
        top = sorted(ranked.items(), key=lambda item: -item[1])[:PROBABLE_SHOWN]
        candidates = [(ids[r], float(_probability(np.array([w]))[0])) for r, w in top]
        return TheirGroup(their_ids, "probable", candidates=candidates,
                          probability=candidates[0][1])  # fmt: skip
    return TheirGroup(their_ids, "only_theirs")
