"""Failed logins per client address: after a few, each new try waits twice as long.

Per-user locking (fieldreg.auth) stops guessing one user's PIN; this stops one tablet (or a
stranger on the Wi-Fi) from guessing across all users. A success from the address resets it.
Like the per-user count, an attempt is counted before it is checked, in one write: logins
sent at once from one address each count, and those past the allowance wait (issue 13).
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from fieldreg.db import write

MAX_WAIT_SECONDS = 15 * 60


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def attempt(db: Database, address: str, allowed_failures: int) -> int:
    """Count a login attempt from an address before it is checked; return the wait (0: go on).

    Past the allowance the address waits, twice as long after each further attempt.
    """
    now = _now()
    with write(db):
        row = db.execute(
            "select failures, blocked_until from login_attempts where address = ?", [address]
        ).fetchone()
        if row and row[1]:
            left = (dt.datetime.fromisoformat(row[1]) - now).total_seconds()
            if left > 0:
                return int(left) + 1
        failures = (row[0] if row else 0) + 1
        blocked = None  # pragma: no mutate (issue 16: an empty stamp is no block either)
        if failures >= allowed_failures:
            seconds = min(2 ** (failures - allowed_failures + 1), MAX_WAIT_SECONDS)
            blocked = (now + dt.timedelta(seconds=seconds)).isoformat()
        db.execute(
            "insert into login_attempts (address, failures, last_at, blocked_until) "
            "values (?, ?, ?, ?) on conflict(address) do update set failures = excluded.failures,"
            " last_at = excluded.last_at, blocked_until = excluded.blocked_until",
            [address, failures, now.isoformat(), blocked],
        )
    return 0


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
