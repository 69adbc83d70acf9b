"""Rank the candidates of open cases: households and enquiries for a child, children and
people for an enquiry. See ``sync.tracing`` for the whole picture.

``focus_cases`` limits the work to what a refresh needs: those cases against everything,
and every other case only against them; ``focus_people`` (given alone) limits the work to the
registered side that was just registered or changed: every case against their households
(children) and against them (enquiries). Every source offers scored targets; only the ones
that make a case's list are explained, field by field.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Collection

import numpy as np

from sync.dedup.features import MISSING
from sync.tracing import families, pairs
from sync.tracing.features import day_number, parts, place_key, sibling_rows, sought_row
from sync.tracing.index import PeopleIndex
from sync.tracing.result import Candidate, Reason
from sync.tracing.weights import LISTED, label

Rejected = Collection[tuple[str, str]]
# What an enquiry says of the child itself, as opposed to the names its enquirer lends it.
DESCRIBES = ("given", "birth", "sex", "place", "date")


class Probes:
    """The cases as rows after the people's: children, their siblings, sought people."""

    def __init__(self, index: PeopleIndex, children: list[dict], enquiries: list[dict]):
        """Build the rows of the cases, with the index's vocabulary."""
        rows = [{**_base(c), **parts(c)} for c in children]
        self.siblings: list[list[int]] = []
        extra: list[dict] = []
        for case in children:
            named = sibling_rows(case)
            first = len(children) + len(extra)
            self.siblings.append(list(range(first, first + len(named))))
            extra += named
        rows += extra + [{**_base(e), **sought_row(e)} for e in enquiries]
        self.ft, base = index.with_probes(rows)
        self.siblings = [[base + s for s in named] for named in self.siblings]
        self.children = np.arange(len(children)) + base
        self.enquiries = np.arange(len(enquiries)) + base + len(children) + len(extra)
        cases = children + [{}] * len(extra) + enquiries
        place = np.full(len(self.ft), MISSING, np.int32)
        place[base:] = [index.vocab.code(place_key(c.get("separated_place"))) for c in cases]
        day = np.zeros(len(self.ft), np.int64)
        day[base:] = [day_number(c.get("separated_on")) for c in cases]
        named = place[place != MISSING]
        counts = np.bincount(named, minlength=len(index.vocab)) if len(named) else np.zeros(1)
        share = counts[np.clip(place, 0, len(counts) - 1)] / max(1, len(named))
        self.accounts = pairs.Accounts(place, day, share)


def _base(case: dict) -> dict:
    """Return a case's non-name fields as a comparable row."""
    return {key: case.get(key) for key in ("id", "sex", "age_years", "date_of_birth", "origin")}


class Offers:
    """Scored targets per case; the best ``limit`` of each, not refused, are explained."""

    def __init__(self, cases: list[str], rejected: Rejected, limit: int, households: int):
        """Start with no offer for any case."""
        self.scored: dict[str, list] = {case: [] for case in cases}
        self.refused = {tuple(p) for p in rejected} | {(b, a) for a, b in rejected}
        self.limit, self.households = limit, households
        self._refused_of = Counter(case for case, _target in self.refused)

    def worth(self, owners: np.ndarray, totals: np.ndarray, cases: list[str]) -> np.ndarray:
        """Return the pairs that can make their case's list: listed, and among its best.

        ``owners[i]`` is the index in ``cases`` of pair i's case; a case keeps as many as its
        list holds plus the pairs refused to it (they are dropped later).
        """
        order = np.lexsort((-totals, owners))
        owner = owners[order]
        first = np.r_[0, np.flatnonzero(np.diff(owner)) + 1] if len(order) else order
        place = np.arange(len(order)) - np.repeat(first, np.diff(np.r_[first, len(order)]))
        room = self.limit + np.array([self._refused_of[case] for case in cases])
        kept = order[(place < room[owner]) & (totals[order] >= LISTED)]
        return np.sort(kept)

    def offer(self, case: str, target: str, score: float, make: Callable[[], Candidate]):
        """Offer a target to a case, explained only if it makes the list."""
        if (case, target) not in self.refused:
            self.scored[case].append((-score, target, make))

    def result(self) -> dict[str, list[Candidate]]:
        """Return, per case, its best candidates, explained, strongest first."""
        return {
            case: [self._labelled(make()) for _s, _t, make in sorted(offered, key=lambda o: o[:2])[
                : self.limit]]
            for case, offered in self.scored.items()
        }  # fmt: skip

    def _labelled(self, candidate: Candidate) -> Candidate:
        """Return the candidate with its label among this many households."""
        return dataclasses.replace(candidate, label=label(candidate.score, self.households))


def rank(
    index: PeopleIndex,
    children: list[dict],
    enquiries: list[dict],
    rejected: Rejected = (),
    limit: int = 5,
    focus_cases: Collection[str] | None = None,
    focus_people: Collection[str] | None = None,
) -> dict[str, list[Candidate]]:
    """Return, per case id, its strongest candidates (at most ``limit``), best first."""
    households = len(set(index.household[~index.gone].tolist()))
    offers = Offers([c["id"] for c in children + enquiries], rejected, limit, households)
    if index.ft is None:
        return offers.result()
    probes = Probes(index, children, enquiries)
    pair_focus = () if focus_people is not None and focus_cases is None else focus_cases
    asked = _child_enquiry(index, probes, children, enquiries, pair_focus, offers)
    _households(index, probes, children, focus_cases, focus_people, asked, offers)
    _people(index, probes, children, enquiries, focus_cases, focus_people, offers)
    return offers.result()


def _child_enquiry(index, probes, children, enquiries, focus_cases, offers) -> dict:
    """Offer each child-enquiry pair from both sides; return what enquiries say per household.

    {child case id: {household number: (weight, enquiry id, enquirer id)}}: an enquiry's own
    description of the child (given name, age, sex, where and when) counts for the household
    of the one who asked.
    """
    if not children or not enquiries or focus_cases == ():
        return {}
    ci, ei = np.meshgrid(np.arange(len(children)), np.arange(len(enquiries)), indexing="ij")
    ci, ei = ci.ravel(), ei.ravel()
    if focus_cases is not None:
        keep = np.array([c["id"] in focus_cases for c in children])[ci]
        keep |= np.array([e["id"] in focus_cases for e in enquiries])[ei]
        ci, ei = ci[keep], ei[keep]
    found = pairs.compare(index, probes.ft, probes.children[ci], probes.enquiries[ei],
                          probes.accounts)  # fmt: skip
    totals = pairs.total(found)
    described = pairs.total({k: v for k, v in found.items() if k in DESCRIBES})
    for at in offers.worth(ci, totals, [c["id"] for c in children]):
        child, enquiry, score = children[ci[at]], enquiries[ei[at]], float(totals[at])
        offers.offer(child["id"], enquiry["id"], score, _explainer(found, at, {
            "case_id": child["id"], "kind": "enquiry", "target_id": enquiry["id"],
            "score": score, "person_id": enquiry.get("person_id")}))  # fmt: skip
    for at in offers.worth(ei, totals, [e["id"] for e in enquiries]):
        child, enquiry, score = children[ci[at]], enquiries[ei[at]], float(totals[at])
        offers.offer(enquiry["id"], child["id"], score, _explainer(found, at, {
            "case_id": enquiry["id"], "kind": "child", "target_id": child["id"],
            "score": score, "person_id": child.get("person_id")}))  # fmt: skip
    homes = [index.household_number(e.get("household_id")) for e in enquiries]
    asked: dict[str, dict] = {}
    for at in np.flatnonzero((totals >= LISTED) & (described > 0)):
        child, enquiry = children[ci[at]], enquiries[ei[at]]
        home, said = homes[ei[at]], float(described[at])
        known = asked.setdefault(child["id"], {})
        if home >= 0 and said > known.get(home, (0.0,))[0]:
            known[home] = (said, enquiry["id"], enquiry.get("person_id"))
    return asked


def _explainer(found: dict, at: int, candidate: dict) -> Callable[[], Candidate]:
    """Return a function that explains one pair when it is needed."""
    return lambda: pairs.explain(found, int(at), candidate)


def _households(index, probes, children, focus_cases, focus_people, asked, offers) -> None:
    """Offer household candidates of the children (those in focus, or all)."""
    only = None
    if focus_people is not None:
        rows = [index.row[p] for p in focus_people if p in index.row]
        only = np.unique(index.household[rows]) if rows else np.zeros(0, np.int64)
    chosen, households = [], []
    for i, case in enumerate(children):
        if focus_cases is not None and focus_people is None and case["id"] not in focus_cases:
            continue
        own = index.household_number(case.get("household_id"))
        row = int(probes.children[i])
        met = families.candidates(index, probes.ft, row, probes.siblings[i], own, only)
        extra = np.array(sorted(asked.get(case["id"], {})), np.int64)
        if only is not None:
            extra = extra[np.isin(extra, only)]
        households.append(np.union1d(met, extra[extra != own]))
        chosen.append(i)
    if not chosen:
        return
    batch = families.pair_up(index, [int(probes.children[i]) for i in chosen], households)
    totals, found, explained = families.score(
        index, probes.ft, batch, [probes.siblings[i] for i in chosen]
    )
    cases = [children[chosen[i]]["id"] for i in batch.group_child]
    homes = batch.group_household
    said = [asked.get(case, {}).get(int(h)) for case, h in zip(cases, homes, strict=True)]
    totals += [s[0] if s else 0.0 for s in said]
    for g in offers.worth(batch.group_child, totals, [children[i]["id"] for i in chosen]):
        make = _household_explainer(index, batch, int(g), found, explained, cases[g],
                                    float(totals[g]), said[g])  # fmt: skip
        offers.offer(cases[g], index.household_ids[batch.group_household[g]], totals[g], make)


def _household_explainer(index, batch, g, found, explained, case, score, said):
    """Return a function that explains one household candidate when it is needed."""

    def make() -> Candidate:
        """Explain the household, with the enquiry from it if there is one."""
        candidate = families.explain(index, batch, g, found, explained, case, score)
        if said is None:
            return candidate
        weight, enquiry, enquirer = said
        reason = Reason("enquiry", "enquiry", enquiry, weight, enquirer)
        return dataclasses.replace(candidate, reasons=(*candidate.reasons, reason))

    return make


def _people(index, probes, children, enquiries, focus_cases, focus_people, offers) -> None:
    """Offer registered people who may be the one an enquiry looks for."""
    with_case = {index.row[c["person_id"]] for c in children if c.get("person_id") in index.row}
    allowed = None
    if focus_people is not None:
        allowed = np.array([index.row[p] for p in focus_people if p in index.row], np.int64)
    a, b, owners = [], [], []
    for i, enquiry in enumerate(enquiries):
        if focus_cases is not None and focus_people is None and enquiry["id"] not in focus_cases:
            continue
        row = int(probes.enquiries[i])
        found = pairs.people_for(index, probes.ft, row)
        if allowed is not None:
            found = np.intersect1d(found, allowed)
        home = index.household_number(enquiry.get("household_id"))
        found = found[(index.household[found] != home) & ~np.isin(found, list(with_case))]
        a.append(np.full(len(found), row))
        b.append(found)
        owners += [i] * len(found)
    if not owners:
        return
    a, b = np.concatenate(a), np.concatenate(b)
    found = pairs.compare(index, probes.ft, a, b, None)
    totals = pairs.total(found)
    for at in offers.worth(np.array(owners), totals, [e["id"] for e in enquiries]):
        case, person, score = enquiries[owners[at]]["id"], index.ids[b[at]], float(totals[at])
        offers.offer(case, person, score, _explainer(found, at, {
            "case_id": case, "kind": "person", "target_id": person, "score": score,
            "person_id": person}))  # fmt: skip
