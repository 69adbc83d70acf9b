"""Failed logins per client address: after a few, each new try waits twice as long.

Per-user locking (fieldreg.auth) stops guessing one user's PIN; this stops one tablet (or a
stranger on the Wi-Fi) from guessing across all users. A success from the address resets it.
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from fieldreg.db import write

MAX_WAIT_SECONDS = 15 * 60


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def wait_seconds(db: Database, address: str) -> int:
    """Return how many seconds the address must still wait before trying again (0: none)."""
    rows = list(db.query("select blocked_until from login_attempts where address = ?", [address]))
    if not rows or not rows[0]["blocked_until"]:
        return 0
    left = dt.datetime.fromisoformat(rows[0]["blocked_until"]) - _now()
    return max(0, int(left.total_seconds()) + 1)


def failed(db: Database, address: str, allowed_failures: int) -> None:
    """Count a failed login from an address; past the allowance, make it wait (doubling)."""
    now = _now()
    with write(db):
        rows = list(db.query("select failures from login_attempts where address = ?", [address]))
        failures = (rows[0]["failures"] if rows else 0) + 1
        blocked = None
        if failures >= allowed_failures:
            seconds = min(2 ** (failures - allowed_failures + 1), MAX_WAIT_SECONDS)
            blocked = (now + dt.timedelta(seconds=seconds)).isoformat()
        db.execute(
            "insert into login_attempts (address, failures, last_at, blocked_until) "
            "values (?, ?, ?, ?) on conflict(address) do update set failures = excluded.failures,"
            " last_at = excluded.last_at, blocked_until = excluded.blocked_until",
            [address, failures, now.isoformat(), blocked],
        )


def succeeded(db: Database, address: str) -> None:
    """Forget an address's failures after a good login."""
    with write(db):
        db.execute("delete from login_attempts where address = ?", [address])


def clear(db: Database, address: str | None = None) -> None:
    """Let an address (or every address) try again at once (a coordinator's action)."""
    with write(db):
        if address:
            db.execute("delete from login_attempts where address = ?", [address])
        else:
            db.execute("delete from login_attempts")
