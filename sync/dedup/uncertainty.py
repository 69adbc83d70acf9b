"""How many unique people, and how sure: a count with the bounds review could still move.

A pair whose match probability lies between the review thresholds (`Settings.
review_probability` and `Settings.sure_probability`) and that no reviewer has decided is
undecided: the model could be wrong about it either way. The count has two bounds:

    low   every undecided pair is one person: the clusters, joined by every undecided pair
          (union-find over the clusters with the undecided pairs as edges);
    high  no undecided pair is one person: each cluster split into the parts that links
          above the upper threshold and confirmed pairs hold together (union-find over those
          links alone, inside each cluster).

As reviewers decide, pairs leave the undecided set (a confirmation becomes a sure link, a
rejection an edge that is never drawn) and the bounds close in on the count; with nothing
left undecided, low = count = high.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from sync.dedup.clusters import UnionFind


@dataclass(frozen=True)
class CountBounds:
    """A unique count, its bounds, and how many undecided pairs stand between them."""

    unique: int
    low: int
    high: int
    undecided: int


def _components(n: int, a: np.ndarray, b: np.ndarray) -> int:
    """Return how many sets n rows form under the edges (a[i], b[i])."""
    sets, merged = UnionFind(n), 0
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        if sets.find(x) != sets.find(y):
            sets.union(x, y)
            merged += 1
    return n - merged


def count_bounds(
    labels: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    links: np.ndarray,
    undecided: np.ndarray,
    confirmed: Iterable[tuple[int, int]] = (),
) -> CountBounds:
    """Return the unique count of clustered rows with its low and high bounds.

    labels: each row's cluster (a root row); (a, b): scored pairs of rows; links: the pairs
    that link (above the link threshold); undecided: the pairs between the review thresholds
    that no reviewer decided; confirmed: row pairs a reviewer confirmed (links even if not
    scored).
    """
    clusters, row_cluster = np.unique(np.asarray(labels), return_inverse=True)
    across = undecided & (row_cluster[a] != row_cluster[b])
    low = _components(len(clusters), row_cluster[a[across]], row_cluster[b[across]])
    held = links & ~undecided & (row_cluster[a] == row_cluster[b])
    extra = np.array(list(confirmed), np.int64).reshape(-1, 2)
    extra = extra[row_cluster[extra[:, 0]] == row_cluster[extra[:, 1]]]
    edges_a = np.concatenate([a[held], extra[:, 0]])
    edges_b = np.concatenate([b[held], extra[:, 1]])
    high = _components(len(row_cluster), edges_a, edges_b)
    return CountBounds(unique=len(clusters), low=low, high=max(high, len(clusters)),
                       undecided=int(undecided.sum()))  # fmt: skip
