"""A unique count with its bounds (issue 15): the truth lies within them, review closes them."""

import numpy as np
import pytest

from bench.gen_population import generate
from sync.dedup import Decisions, DedupIndex
from sync.dedup.uncertainty import count_bounds


@pytest.fixture(scope="module")
def population() -> list[dict]:
    """Return a generated population with ground truth (true_id)."""
    return generate(3000, seed=15)


def test_true_count_lies_within_the_bounds(population: list[dict]) -> None:
    index = DedupIndex.build(population)
    bounds = index.result().count_bounds()
    true_count = len({person["true_id"] for person in population})
    assert bounds.undecided > 0
    assert bounds.low < bounds.unique < bounds.high
    assert bounds.low <= true_count <= bounds.high


def test_bounds_collapse_as_reviewers_decide(population: list[dict]) -> None:
    index = DedupIndex.build(population)
    truth = {person["id"]: person["true_id"] for person in population}
    undecided = index.result().undecided_pairs()
    before = index.result().count_bounds()
    decisions = Decisions()
    for a, b in undecided[: len(undecided) // 2]:
        (decisions.confirm if truth[a] == truth[b] else decisions.reject)(a, b)
    index.apply(decisions)
    halfway = index.result().count_bounds()
    assert halfway.undecided == before.undecided - len(undecided) // 2
    assert halfway.high - halfway.low < before.high - before.low
    for a, b in undecided[len(undecided) // 2 :]:
        (decisions.confirm if truth[a] == truth[b] else decisions.reject)(a, b)
    index.apply(decisions)
    after = index.result().count_bounds()
    assert after.undecided == 0
    assert after.low == after.unique == after.high


def test_bounds_of_a_small_graph() -> None:
    # rows 0-1-2 one cluster (0-1 sure, 1-2 undecided), 3 and 4 alone, 3-4 undecided
    labels = np.array([0, 0, 0, 3, 4])
    a, b = np.array([0, 1, 3]), np.array([1, 2, 4])
    links = np.array([True, True, False])
    undecided = np.array([False, True, True])
    bounds = count_bounds(labels, a, b, links, undecided)
    assert (bounds.unique, bounds.low, bounds.high, bounds.undecided) == (3, 2, 4, 2)
    confirmed = count_bounds(labels, a, b, links, np.zeros(3, bool), [(1, 2)])
    assert (confirmed.low, confirmed.high) == (3, 3)
