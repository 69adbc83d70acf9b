"""What sync keeps in the database besides records: settings, checkpoints, transactions.

Every module of sync/ reads and writes its settings (the clock, the site's code, the
credential, acknowledgement checkpoints) through these few functions, on any connection that
offers ``execute`` and ``conn`` (sqlite-utils over sqlite3 or SQLCipher). They use
``db.execute``, never ``db.query``: sqlite-utils wraps every query in a SAVEPOINT of its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["advance", "put_setting", "setting", "transaction"]


def setting(db: Any, key: str, default: str | None = None) -> str | None:
    """Read one setting (``default`` when it was never set)."""
    row = db.execute("select value from settings where key = ?", [key]).fetchone()
    return row[0] if row else default


def put_setting(db: Any, key: str, value: str) -> None:
    """Store one setting."""
    db.execute(
        "insert into settings (key, value) values (?, ?) "
        "on conflict(key) do update set value = excluded.value",
        [key, value],
    )


def advance(db: Any, key: str, value: int) -> int:
    """Move a checkpoint forward (never back); return where it stands."""
    now = max(int(setting(db, key, "0")), int(value))
    put_setting(db, key, str(now))
    return now


@contextlib.contextmanager
def transaction(db: Any) -> Iterator[Any]:
    """Run a write in one transaction taken up front (a savepoint when already in one)."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("begin immediate")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("rollback")
        raise
    db.conn.execute("commit")
