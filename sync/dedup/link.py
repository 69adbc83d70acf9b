"""Link another agency's list against ours with the deduplication engine's matching.

    ours (records)          theirs (a manifest, a head count)
      │ features: one Vocab for both (names in any script -> spelling, skeleton, form,
      │           other readings: their "Osman" meets our عثمان)
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

Priors are those of a linkage: the smaller list is mostly in the other one (a pair of rows is
one person with probability 0.8 x min(n, m) / (n x m)), two rows of their list are one person
far less often (5% of their rows repeat someone), and a candidate pair is as likely one person
as two relatives a priori (the fields tell them apart: siblings differ in given name and age).

A pair whose names plainly differ in one field (not a spelling, sound or typo apart) is never
linked, only proposed: two cousins share given name, family name and age, not father's name;
two rows of their own list must agree in sound on every name, in the same columns (not by
swapping given and family names), to be one person. A row of
theirs and a person of ours that are each other's best candidate gain a bonus: each person is
in each list once.
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
from sync.dedup.features import NAME_FIELDS, People, Vocab, build_features, count
from sync.dedup.learn import estimate
from sync.dedup.model import arabic_name_counts, name_frequencies
from sync.dedup.settings import Settings

PROBABLE_SHOWN = 3  # candidates kept per probable group
# Priors of a linkage (not of a deduplication, where EM finds the share of duplicates): most
# of the smaller list is in the other one; a list names a few of its people twice.
MATCHED = 0.8
DUPLICATED = 0.05
# A row of theirs and one of ours that are each other's best candidate: each person is once
# in each list, so that is evidence of its own (as a shared household is for deduplication).
MUTUAL_BONUS = 4.0


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
    model.arabic_counts = arabic_name_counts(ft, sims.arabic, len(vocab))
    model.shares.update(match=0.5, related=0.5)
    expected = max(MATCHED * min(n_ours, n_theirs), 1.0)
    model.random_match = min(expected / max(n_ours * n_theirs, 1), 0.5)
    weight, _parts = model.score(ft, comp)
    # Two rows of one list are one person far less often than a row of each list.
    within = min(DUPLICATED * 2 / max(n_theirs - 1, 1), 0.5)
    weight[a >= n_ours] += np.log2(within / model.random_match)
    # A name that plainly differs (not a spelling, a sound or a typo away) leaves a pair for a
    # person to look at, however strong the rest: cousins share given name, family and age.
    # Two rows of their own list, written by one agency's clerks, agree in sound on every name,
    # each in its own column: given and family names that agree only crosswise are more often
    # two people (Ahmed ... Al-Ibrahim, Ibrahim ... Al-Ahmadi) than one clerk's swap.
    within_theirs = a >= n_ours
    clash = within_theirs & comp.swapped
    for name in NAME_FIELDS:
        level = comp.levels[name]
        clash |= (level == 0) | (within_theirs & (level == 1))
    weight = weight + np.where(_mutual_best(a, b, weight, n_ours), MUTUAL_BONUS, 0.0)
    ceiling = Settings.weight(settings.link_probability) - 0.01
    weight = np.where(clash, np.minimum(weight, ceiling), weight)
    review = within_theirs & ~clash & (weight >= Settings.weight(settings.review_probability))
    twins = set(zip(a[review].tolist(), b[review].tolist(), strict=True))
    groups = _groups(ft.ids, n_ours, a, b, weight, settings, twins)
    return LinkResult(groups, candidate_pairs=len(a))


def _mutual_best(a: np.ndarray, b: np.ndarray, weight: np.ndarray, n_ours: int) -> np.ndarray:
    """Mark pairs of a row of theirs and one of ours that are each other's best candidate."""
    cross = a < n_ours
    best_theirs = np.full(int(b.max(initial=0)) + 1, -np.inf)
    best_ours = np.full(max(n_ours, 1), -np.inf)
    np.maximum.at(best_theirs, b[cross], weight[cross])
    np.maximum.at(best_ours, a[cross], weight[cross])
    return cross & (weight >= best_theirs[b]) & (weight >= best_ours[np.minimum(a, n_ours - 1)])


def _groups(ids, n_ours: int, a, b, weight, settings: Settings, twins: set) -> list[TheirGroup]:
    """Group their rows and classify each group as matched, probable or only theirs."""
    link_w = Settings.weight(settings.link_probability)
    review_w = Settings.weight(settings.review_probability)
    cross = a < n_ours  # a < b always: a pair with a row of ours has it on the left
    sets = UnionFind(len(ids))
    mine = ~cross & (weight >= link_w)
    for x, y in zip(a[mine].tolist(), b[mine].tolist(), strict=True):
        sets.union(x, y, force=True)
    maybe = _claim(sets, twins, a[cross], b[cross], weight[cross], link_w)
    labels = sets.labels()
    review = cross & (weight >= review_w)
    probable: dict[int, list[tuple[int, float]]] = {}
    for x, y, w in zip(a[review].tolist(), b[review].tolist(), weight[review].tolist(),
                       strict=True):  # fmt: skip
        probable.setdefault(int(labels[y]), []).append((x, min(w, link_w - 0.01)))
    for y, x, w in maybe:
        probable.setdefault(int(labels[y]), []).append((x, min(w, link_w - 0.01)))
    members: dict[int, list[int]] = {}
    for row in range(n_ours, len(ids)):
        members.setdefault(int(labels[row]), []).append(row)
    ours: dict[int, list[int]] = {}
    (claimed,) = np.nonzero(np.isin(labels[:n_ours], np.fromiter(members, np.int64)))
    for row in claimed.tolist():
        ours.setdefault(int(labels[row]), []).append(row)
    return [
        _group(ids, theirs, ours.get(label, []), probable.get(label, []))
        for label, theirs in members.items()
    ]


def _claim(sets: UnionFind, twins: set, a, b, weight, link_w: float) -> list[tuple]:
    """Link their rows to ours one to one, strongest links first; return the links refused.

    A person of ours joins one group of theirs only: when several of their rows want the same
    person, the strongest wins; another joins its group only if it may be the same row written
    twice (a ``twin``: every name alike, weight in the review zone or above), else it is left
    as a probable match of that person, for a reviewer.
    """
    keep = weight >= link_w
    order = np.argsort(-weight[keep], kind="stable")
    claimed: set[int] = set()  # roots of sets holding a row of ours
    linked: set[int] = set()  # their rows already linked to one of ours
    first: dict[int, int] = {}  # row of ours -> the row of theirs that claimed it
    refused = []
    for x, y, w in zip(a[keep][order].tolist(), b[keep][order].tolist(),
                       weight[keep][order].tolist(), strict=True):  # fmt: skip
        if y in linked:
            continue
        ours_root, theirs_root = sets.find(x), sets.find(y)
        if ours_root == theirs_root:
            linked.add(y)
            continue
        twin = x in first and (min(y, first[x]), max(y, first[x])) in twins
        if theirs_root in claimed or (ours_root in claimed and not twin):
            refused.append((y, x, w))
            continue
        sets.union(x, y, force=True)
        claimed.add(sets.find(x))
        first.setdefault(x, y)
        linked.add(y)
    return refused


def _group(ids, theirs: list[int], ours: list[int], maybe: list[tuple[int, float]]):
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
