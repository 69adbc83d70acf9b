"""Hybrid logical clocks: timestamps that order events across sites whose wall clocks disagree.

A timestamp is ``(millis, counter)``: never below the last one issued or seen here, so a
device clock that jumps back or runs days behind cannot reorder this site's events. It is
written as fixed-width text (``0001732550000000.0000``: 16 digits, a dot, 4 digits) and read
back strictly: anything else (``9.0``, a sign, spaces, a longer counter) is refused, and
readings are compared as ``(millis, counter)`` pairs, never as text. A counter that would
need a fifth digit moves the clock on by one millisecond instead.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

MAX_DRIFT_MS = 365 * 24 * 3600 * 1000  # a remote clock further ahead than this is refused
MAX_COUNTER = 9999
_FORMAT = re.compile(r"[0-9]{16}\.[0-9]{4}")


@dataclass(frozen=True, order=True)
class Timestamp:
    """One HLC reading."""

    millis: int
    counter: int = 0

    def __str__(self) -> str:
        return f"{self.millis:016d}.{self.counter:04d}"

    @classmethod
    def parse(cls, text: str) -> Timestamp:
        """Read a timestamp written by ``str()``; refuse any other shape."""
        if not isinstance(text, str) or not _FORMAT.fullmatch(text):
            raise ValueError(f"not an HLC timestamp: {text!r}")
        millis, counter = text.split(".")
        return cls(int(millis), int(counter))


ZERO = Timestamp(0, 0)


def wall_millis() -> int:
    """Return the machine's wall clock in milliseconds."""
    return int(time.time() * 1000)


def _next(millis: int, counter: int) -> Timestamp:
    """Return ``(millis, counter)``, carried into the next millisecond past MAX_COUNTER."""
    if counter > MAX_COUNTER:
        return Timestamp(millis + 1)  # counter 0
    return Timestamp(millis, counter)


def tick(last: Timestamp, now_ms: int | None = None) -> Timestamp:
    """Return the timestamp for a local event after ``last``."""
    now_ms = wall_millis() if now_ms is None else now_ms
    if now_ms > last.millis:
        return Timestamp(now_ms)  # counter 0
    return _next(last.millis, last.counter + 1)


def ahead_ms(stamp: Timestamp, now_ms: int | None = None) -> int:
    """Return how far ``stamp`` is ahead of the wall clock (negative: behind)."""
    return stamp.millis - (wall_millis() if now_ms is None else now_ms)


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
    return _next(millis, counter)
