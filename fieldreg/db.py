"""The database: one connection per request, durable PRAGMAs, numbered migrations.

SQLite in WAL mode with ``synchronous=FULL``: a registration that was answered is on disk,
even across a power cut. Writes take the lock up front (``BEGIN IMMEDIATE``) so that two
writers queue on the busy timeout instead of failing on a lock upgrade.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils
from flask import current_app, g

from fieldreg import codes
from fieldreg.migrations import migrations

DB_NAME = "fieldreg.db"
BUSY_TIMEOUT_MS = 10_000


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open the database file with the PRAGMAs every connection needs."""
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute("pragma journal_mode = wal")
    conn.execute("pragma synchronous = full")
    conn.execute("pragma foreign_keys = on")
    conn.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
    return sqlite_utils.Database(conn)


@contextlib.contextmanager
def write(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """Run a multi-step write in one transaction (a savepoint when already inside one)."""
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


def insert_row(db: sqlite_utils.Database, table: str, row: dict) -> None:
    """Insert one row (plain SQL: sqlite-utils' insert introspects the table on every call)."""
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    db.execute(f"insert into {table} ({columns}) values ({marks})", list(row.values()))


def update_row(db: sqlite_utils.Database, table: str, record_id: str, changes: dict) -> None:
    """Set some columns of the row with this id."""
    assignments = ", ".join(f"{column} = ?" for column in changes)
    db.execute(f"update {table} set {assignments} where id = ?", [*changes.values(), record_id])


def setting(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    """Read one station setting."""
    rows = list(db.query("select value from settings where key = ?", [key]))
    return rows[0]["value"] if rows else default


def set_setting(db: sqlite_utils.Database, key: str, value: str) -> None:
    """Store one station setting."""
    db.execute(
        "insert into settings (key, value) values (?, ?) "
        "on conflict(key) do update set value = excluded.value",
        [key, value],
    )


def random_station_code() -> str:
    """Make a station prefix from the code alphabet."""
    return "".join(secrets.choice(codes.ALPHABET) for _ in range(codes.PREFIX_LEN))


def prepare(data_dir: str | Path) -> Path:
    """Create the data folder and database if new, migrate it, and give it a station code."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DB_NAME
    db = connect(path)
    try:
        migrations.apply(db)
        with write(db):
            if not setting(db, "station_code"):
                set_setting(db, "station_code", random_station_code())
                set_setting(db, "station_name", "")
    finally:
        db.close()
    return path


def get_db() -> sqlite_utils.Database:
    """Return this request's connection, opening it on first use."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    """Close this request's connection, if one was opened."""
    db = g.pop("db", None)
    if db is not None:
        db.close()
