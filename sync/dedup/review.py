"""Review decisions on pairs of people: confirm (same person), reject (different), undo.

Decisions are an append-only list of events, so they can be stored, audited and synced as
they are; the current verdict on a pair is its latest event, and an undo returns the pair to
the model's judgment. The engine reads the verdicts: a confirmed pair is always linked, a
rejected pair is never linked (not even through a chain of other links) and is never proposed
for review again.
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass

VERDICTS = ("confirm", "reject", "undo")


def pair_key(a: str, b: str) -> tuple[str, str]:
    """Return the order-independent key of a pair of person ids."""
    a, b = str(a), str(b)
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True)
class Decision:
    """One reviewer's verdict on a pair; `at` orders events (an HLC or ISO timestamp)."""

    a: str
    b: str
    verdict: str
    by: str = ""
    at: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, not {self.verdict!r}")
        if str(self.a) == str(self.b):
            raise ValueError("a pair needs two different people")


class Decisions:
    """The log of review decisions and the verdicts it implies."""

    def __init__(self, events: Iterable[Decision | dict] = ()) -> None:
        self._events: list[Decision] = []
        for event in events:
            self.add(event if isinstance(event, Decision) else Decision(**event))

    def add(self, decision: Decision) -> Decision:
        """Record a decision event."""
        self._events.append(decision)
        return decision

    def confirm(self, a: str, b: str, by: str = "", at: str = "") -> Decision:
        """Record that a and b are the same person."""
        return self.add(Decision(*pair_key(a, b), "confirm", by, at))

    def reject(self, a: str, b: str, by: str = "", at: str = "") -> Decision:
        """Record that a and b are different people."""
        return self.add(Decision(*pair_key(a, b), "reject", by, at))

    def undo(self, a: str, b: str, by: str = "", at: str = "") -> Decision:
        """Withdraw the verdict on a pair, leaving it to the model again."""
        return self.add(Decision(*pair_key(a, b), "undo", by, at))

    def verdicts(self) -> dict[tuple[str, str], str]:
        """Return the current verdict ('confirm' or 'reject') of every decided pair."""
        current: dict[tuple[str, str], str] = {}
        ordered = sorted(enumerate(self._events), key=lambda e: (e[1].at, e[0]))
        for _, event in ordered:
            key = pair_key(event.a, event.b)
            if event.verdict == "undo":
                current.pop(key, None)
            else:
                current[key] = event.verdict
        return current

    def verdict(self, a: str, b: str) -> str | None:
        """Return the current verdict on a pair, or None."""
        return self.verdicts().get(pair_key(a, b))

    def confirmed(self) -> list[tuple[str, str]]:
        """Return the pairs currently confirmed as the same person."""
        return [key for key, verdict in self.verdicts().items() if verdict == "confirm"]

    def rejected(self) -> list[tuple[str, str]]:
        """Return the pairs currently rejected as different people."""
        return [key for key, verdict in self.verdicts().items() if verdict == "reject"]

    def events(self) -> list[dict]:
        """Return the events as plain dicts, for storage and sync."""
        return [asdict(event) for event in self._events]

    def __len__(self) -> int:
        return len(self._events)
