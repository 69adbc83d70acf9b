"""Hybrid logical clocks: timestamps that order events across sites whose wall clocks disagree.

A timestamp is ``(millis, counter)``: never below the last one issued or seen here, so a
device clock that jumps back or runs days behind cannot reorder this site's events. It is
written as fixed-width text (``0001732550000000.0000``) so that text order is time order.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

MAX_DRIFT_MS = 365 * 24 * 3600 * 1000  # a remote clock further ahead than this is refused


@dataclass(frozen=True, order=True)
class Timestamp:
    """One HLC reading."""

    millis: int
    counter: int = 0

    def __str__(self) -> str:
        return f"{self.millis:016d}.{self.counter:04d}"

    @classmethod
    def parse(cls, text: str) -> Timestamp:
        """Read a timestamp written by ``str()``."""
        millis, _, counter = text.partition(".")
        if not millis.isdigit() or not counter.isdigit():
            raise ValueError(f"not an HLC timestamp: {text!r}")
        return cls(int(millis), int(counter))


ZERO = Timestamp(0, 0)


def wall_millis() -> int:
    """Return the machine's wall clock in milliseconds."""
    return int(time.time() * 1000)


def tick(last: Timestamp, now_ms: int | None = None) -> Timestamp:
    """Return the timestamp for a local event after ``last``."""
    now_ms = wall_millis() if now_ms is None else now_ms
    if now_ms > last.millis:
        return Timestamp(now_ms, 0)
    return Timestamp(last.millis, last.counter + 1)


def observe(last: Timestamp, remote: Timestamp, now_ms: int | None = None) -> Timestamp:
    """Return the clock after receiving ``remote``: above both it and ``last``."""
    now_ms = wall_millis() if now_ms is None else now_ms
    if remote.millis > now_ms + MAX_DRIFT_MS:
        raise ValueError("remote clock is implausibly far ahead")
    millis = max(last.millis, remote.millis, now_ms)
    if millis == last.millis == remote.millis:
        counter = max(last.counter, remote.counter) + 1
    elif millis == last.millis:
        counter = last.counter + 1
    elif millis == remote.millis:
        counter = remote.counter + 1
    else:
        counter = 0
    return Timestamp(millis, counter)
