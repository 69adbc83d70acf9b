"""Ranked candidates and the reasons for each, as a caseworker reads them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

KINDS = ("household", "enquiry", "child", "person")


@dataclass(frozen=True)
class Reason:
    """One comparison: what of the case met what of the candidate, how well, and its weight.

    ``field`` is the case's side (the child's "father" name), ``against`` the candidate's
    (an adult's "given" name), ``person_id`` the registered person it was read from.
    """

    field: str
    against: str
    level: str
    weight: float
    person_id: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A possible relative (a household, an enquiry, a child, a person) of one case."""

    case_id: str
    kind: str
    target_id: str
    score: float
    person_id: str | None = None
    reasons: tuple[Reason, ...] = field(default=())
    label: str = ""  # "probable", "possible" or "" (see weights.label)

    def as_dict(self) -> dict:
        """Return the candidate as plain data (stored with a proposal, sent to pages)."""
        data = asdict(self)
        data["score"] = round(self.score, 2)
        data["reasons"] = [{**asdict(r), "weight": round(r.weight, 2)} for r in self.reasons]
        return data


def best(candidates: list[Candidate], limit: int) -> list[Candidate]:
    """Return the ``limit`` strongest candidates, strongest first (ties: by target id)."""
    return sorted(candidates, key=lambda c: (-c.score, c.target_id))[:limit]
