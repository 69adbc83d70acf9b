"""What encryption at rest costs: the KDF at unlock, a connection per request, writes and reads.

Run: python -m bench.bench_security  (or ``main()`` from ``python -m bench``).
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

import sqlite_utils

from fieldreg import db, keyring

ROWS = 20_000


def _timed(fn, repeat: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def _plain(path: Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode = wal", "synchronous = full", "foreign_keys = on"):
        conn.execute(f"pragma {pragma}")
    return sqlite_utils.Database(conn)


def _fill(database: sqlite_utils.Database) -> None:
    database.execute("create table if not exists p (id integer primary key, name text, n int)")
    database.execute("create virtual table if not exists s using fts5(keys)")
    with db.write(database):
        for i in range(ROWS):
            database.execute("insert into p (name, n) values (?, ?)", [f"name {i}", i])
            database.execute("insert into s (keys) values (?)", [f"mhmd hlb {i}"])


def _read(database: sqlite_utils.Database) -> None:
    list(database.query("select count(*), sum(n) from p"))
    list(database.query("select rowid from s where s match 'hlb' limit 50"))


def main() -> dict:
    """Measure and print the figures."""
    folder = Path(tempfile.mkdtemp())
    params = {"kdf": "argon2id", "salt": "00" * 16, **keyring.KDF_PROFILES["argon2id"]}
    figures = {"kdf_unlock_s": _timed(lambda: keyring.derive("a passphrase here", params), 3)}
    key = keyring.derive("bench", {**params, **keyring.KDF_PROFILES["fast"]})
    enc, plain = db.connect(folder / "enc.db", key), _plain(folder / "plain.db")
    figures["insert_enc_s"], figures["insert_plain_s"] = _timed(lambda: _fill(enc)), 0.0
    figures["insert_plain_s"] = _timed(lambda: _fill(plain))
    figures["read_enc_ms"] = 1000 * _timed(lambda: _read(enc), 20)
    figures["read_plain_ms"] = 1000 * _timed(lambda: _read(plain), 20)
    enc.close()
    plain.close()
    figures["connect_enc_ms"] = 1000 * _timed(
        lambda: db.connect(folder / "enc.db", key).close(), 50
    )
    figures["connect_plain_ms"] = 1000 * _timed(lambda: _plain(folder / "plain.db").close(), 50)
    for name, value in figures.items():
        print(f"{name:18} {value:10.3f}")
    return figures


if __name__ == "__main__":
    main()
