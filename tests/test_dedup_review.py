"""Review decisions (issue 7): a rejected pair stays apart, a confirmed one is linked, undo."""

import pytest

from bench.gen_population import generate
from sync.dedup import Decision, Decisions, DedupIndex


def twins_and_a_namesake() -> list[dict]:
    """Return three records: two that the model links, a third linked to both."""
    base = {"father_name": "Ahmad", "mother_name": "Huda", "family_name": "Halabi",
            "sex": "male", "date_of_birth": "1990-01-02", "phone": "0944000111"}  # fmt: skip
    return [
        {**base, "id": "p1", "given_name": "Khaled", "household_id": "h1"},
        {**base, "id": "p2", "given_name": "خالد", "household_id": "h2", "family_name": "الحلبي",
         "father_name": "أحمد", "mother_name": "هدى"},
        {**base, "id": "p3", "given_name": "Khalid", "household_id": "h3"},
    ]  # fmt: skip


@pytest.fixture
def index() -> DedupIndex:
    """Return an index of the three records among generated others."""
    return DedupIndex.build(twins_and_a_namesake() + generate(400, seed=5))


def test_the_three_records_are_linked(index: DedupIndex) -> None:
    clusters = index.result().cluster_ids()
    assert clusters["p1"] == clusters["p2"] == clusters["p3"]


def test_rejected_pair_stays_apart_even_through_a_chain(index: DedupIndex) -> None:
    decisions = Decisions()
    decisions.reject("p1", "p3", by="analyst")
    index.apply(decisions)
    clusters = index.result().cluster_ids()
    assert clusters["p1"] != clusters["p3"]
    assert clusters["p2"] in (clusters["p1"], clusters["p3"])
    assert index.result().explain("p1", "p3").verdict == "reject"


def test_rejected_pair_is_never_proposed_for_review(index: DedupIndex) -> None:
    decisions = Decisions()
    decisions.reject("p1", "p2")
    decisions.reject("p1", "p3")
    index.apply(decisions)
    queued = {(q.a, q.b) for q in index.result().review_queue(limit=1000)}
    assert not queued & {("p1", "p2"), ("p2", "p1"), ("p1", "p3"), ("p3", "p1")}


def test_rejection_holds_for_new_people_added_later(index: DedupIndex) -> None:
    decisions = Decisions()
    decisions.reject("p1", "p2")
    index.apply(decisions)
    index.add([{**twins_and_a_namesake()[0], "id": "p4", "household_id": "h4"}])
    clusters = index.result().cluster_ids()
    assert clusters["p1"] != clusters["p2"]


def test_confirmed_pair_is_linked_and_undo_unlinks_it() -> None:
    people = generate(400, seed=5) + [
        {"id": "x1", "given_name": "Samer", "family_name": "Khatib", "sex": "male"},
        {"id": "x2", "given_name": "Omar", "family_name": "Najjar", "sex": "male"},
    ]
    index = DedupIndex.build(people)
    assert index.result().cluster_ids()["x1"] != index.result().cluster_ids()["x2"]
    decisions = Decisions()
    decisions.confirm("x2", "x1", by="analyst", at="2026-11-25T10:00:00")
    index.apply(decisions)
    assert index.result().cluster_ids()["x1"] == index.result().cluster_ids()["x2"]
    decisions.undo("x1", "x2", by="analyst", at="2026-11-25T10:05:00")
    index.apply(decisions)
    assert index.result().cluster_ids()["x1"] != index.result().cluster_ids()["x2"]


def test_decisions_latest_event_wins_and_round_trips() -> None:
    decisions = Decisions()
    decisions.confirm("a", "b", at="2")
    decisions.reject("b", "a", at="3")
    decisions.confirm("c", "d", at="1")
    decisions.undo("d", "c", at="4")
    assert decisions.verdicts() == {("a", "b"): "reject"}
    copy = Decisions(decisions.events())
    assert copy.verdicts() == decisions.verdicts()
    assert copy.rejected() == [("a", "b")] and copy.confirmed() == []
    late = Decisions(list(reversed(decisions.events())))  # synced out of order: `at` decides
    assert late.verdicts() == decisions.verdicts()


def test_bad_decisions_are_refused() -> None:
    with pytest.raises(ValueError):
        Decision("a", "b", "maybe")
    with pytest.raises(ValueError):
        Decisions().confirm("a", "a")
