"""The database: one connection per request, durable PRAGMAs, numbered migrations.

A request has one connection of its own for its whole life. Connections are not opened per
request, though: opening an encrypted connection (key, PRAGMAs) and closing the last one (a
WAL checkpoint) cost more CPU than a whole registration's SQL. Each app keeps the connections
its finished requests gave back (``ConnectionPool``); a request takes one, or opens one if
none is idle. A connection handed back mid-transaction is rolled back first; a connection
opened under another key (after a lock or a passphrase change) is never handed out again.

The file is encrypted with SQLCipher: every connection gives the data folder's key (held in
memory by fieldreg.keyring) before anything else, so pages, WAL and backups are never in clear.

SQLite in WAL mode with ``synchronous=FULL``: a registration that was answered is on disk,
even across a power cut. Writes take the lock up front (``BEGIN IMMEDIATE``) so that two
writers queue on the busy timeout instead of failing on a lock upgrade.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlcipher3.dbapi2 as sqlcipher
import sqlite_utils
from flask import current_app, g
from sqlite_utils.utils import dedupe_keys

from fieldreg import codes, keyfiles, keyring
from fieldreg.migrations import migrations
from sync import store

DB_NAME = "fieldreg.db"
BUSY_TIMEOUT_MS = 10_000
PLAIN_HEADER = b"SQLite format 3\x00"
# SQLCipher raises its own exception classes: catch these tuples rather than sqlite3's.
DatabaseError = (sqlite3.DatabaseError, sqlcipher.DatabaseError)
IntegrityError = (sqlite3.IntegrityError, sqlcipher.IntegrityError)
OperationalError = (sqlite3.OperationalError, sqlcipher.OperationalError)


class Database(sqlite_utils.Database):
    """sqlite-utils' Database, reading without a SAVEPOINT per query.

    sqlite-utils wraps every ``query()`` in a SAVEPOINT of its own (to undo a statement that
    turns out to write). A plain ``select`` cannot write: it runs as it is, which saves two
    statements per read on every request.
    """

    def query(self, sql: str, params=None):
        """Run a query and return its rows as dicts (lazily, like sqlite-utils)."""
        if sql.lstrip()[:6].lower() != "select":
            return super().query(sql, params)
        cursor = self.conn.execute(sql, params if params is not None else ())
        keys = dedupe_keys(d[0] for d in cursor.description)
        return (dict(zip(keys, row, strict=True)) for row in cursor)


def _key_pragma(key: bytes) -> str:
    # A raw key in hex skips SQLCipher's own PBKDF2, so opening a connection per request is cheap.
    return f"pragma key = \"x'{key.hex()}'\""


def connect(
    path: str | Path, key: bytes | None = None, home: str | Path | None = None
) -> sqlite_utils.Database:
    """Open the (encrypted) database file with the PRAGMAs every connection needs.

    The key is the one of the folder holding the file, or of ``home`` (the data folder of a
    file kept elsewhere, such as a backup), unless given.
    """
    key = key or keyring.key_for(path, home=home)
    _create_private(Path(path))
    conn = sqlcipher.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(_key_pragma(key))
    conn.execute("pragma secure_delete = on")
    conn.execute("pragma journal_mode = wal")
    conn.execute("pragma synchronous = full")
    conn.execute("pragma foreign_keys = on")
    # Sorts and groupings in memory: SQLCipher would encrypt temporary files, at a cost.
    conn.execute("pragma temp_store = memory")
    conn.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
    db = Database(conn)
    db.file_path = str(Path(path).resolve())
    db.file_id = _file_id(db.file_path)
    return db


def _create_private(path: Path) -> None:
    """Create a new database file 0600: SQLite gives its -wal and -shm the same mode."""
    if path.exists() or str(path) == ":memory:":
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # another thread made it first
    except OSError:
        pass  # a folder that does not exist: SQLite says so in its own words


def secure_folder(data_dir: Path) -> None:
    """Make the data folder 0700 and what is in it 0600 (folders made by older versions)."""
    if os.name == "nt":
        return
    keyring.make_folder(data_dir)
    for path in data_dir.rglob("*"):
        try:
            if not path.is_symlink():
                path.chmod(0o700 if path.is_dir() else 0o600)
        except OSError:
            continue  # gone meanwhile (a backup being pruned)


def _file_id(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def same_file(db: sqlite_utils.Database, path: str | Path) -> bool:
    """Tell whether ``db`` is still open on the file at ``path`` (not one since replaced)."""
    return getattr(db, "file_id", None) == _file_id(str(path))


_writers: dict[str, threading.RLock] = {}
_writers_mutex = threading.Lock()
_holding = threading.local()


def file_of(db: sqlite_utils.Database) -> str:
    """Return the path of the database file ``db`` is open on."""
    return getattr(db, "file_path", None) or db.execute("pragma database_list").fetchone()[2]


def _lock_key(db: sqlite_utils.Database) -> str:
    """Name what a write locks: the database file (an in-memory database is its connection)."""
    return file_of(db) or f"memory:{id(db.conn)}"


def _writer_lock(db: sqlite_utils.Database) -> threading.RLock:
    """Return this process's write lock for the database file ``db`` is open on."""
    path = _lock_key(db)
    lock = _writers.get(path)
    if lock is None:
        with _writers_mutex:
            lock = _writers.setdefault(path, threading.RLock())
    return lock


def holds_write_lock(db: sqlite_utils.Database) -> bool:
    """Tell whether this thread is inside a write on the file of ``db``."""
    return _lock_key(db) in getattr(_holding, "paths", ())


@contextlib.contextmanager
def write(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """Run a multi-step write in one transaction (a savepoint when already inside one).

    The threads of one process queue for the write on a lock of their own before SQLite's:
    SQLite's busy handler sleeps in steps of milliseconds, a lock wakes the next writer at
    once. Other processes (the command line) still wait on SQLite's busy timeout.
    """
    if db.conn.in_transaction:
        # One fixed savepoint name (SQLite nests equal names): a statement prepared once.
        db.conn.execute("savepoint fieldreg_write")
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("rollback to fieldreg_write")
                db.conn.execute("release fieldreg_write")
            raise
        db.conn.execute("release fieldreg_write")
        return
    path = _lock_key(db)
    with _writer_lock(db):
        _holding.paths = (*getattr(_holding, "paths", ()), path)
        try:
            db.conn.execute("begin immediate")
            try:
                yield db
                db.conn.execute("commit")
            except BaseException:
                if db.conn.in_transaction:
                    db.conn.execute("rollback")
                raise
        finally:
            _holding.paths = _holding.paths[:-1]


def insert_row(db: sqlite_utils.Database, table: str, row: dict) -> None:
    """Insert one row (plain SQL: sqlite-utils' insert introspects the table on every call)."""
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    db.execute(f"insert into {table} ({columns}) values ({marks})", list(row.values()))


def insert_rows(db: sqlite_utils.Database, table: str, rows: list[dict]) -> dict[str, int]:
    """Insert rows (each with an ``id``), one statement per set of columns; return id -> rowid."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    rowids: dict[str, int] = {}
    for columns, group in groups.items():
        marks = "(" + ", ".join("?" for _ in columns) + ")"
        sql = (
            f"insert into {table} ({', '.join(columns)}) values "
            f"{', '.join(marks for _ in group)} returning id, rowid"
        )
        cursor = db.execute(sql, [value for row in group for value in row.values()])
        rowids.update(cursor.fetchall())
    return rowids


def update_row(db: sqlite_utils.Database, table: str, record_id: str, changes: dict) -> None:
    """Set some columns of the row with this id."""
    assignments = ", ".join(f"{column} = ?" for column in changes)
    db.execute(f"update {table} set {assignments} where id = ?", [*changes.values(), record_id])


def rows(db: sqlite_utils.Database, sql: str, params: list | tuple = ()) -> list[dict]:
    """Read rows as dicts on a hot path (sqlite-utils' query() adds a SAVEPOINT per call)."""
    cursor = db.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# Station settings live where sync keeps its own: one reader and one writer for both.
setting = store.setting
set_setting = store.put_setting


def random_station_code() -> str:
    """Make a station prefix from the code alphabet."""
    return "".join(secrets.choice(codes.ALPHABET) for _ in range(codes.PREFIX_LEN))


def prepare(data_dir: str | Path) -> Path:
    """Create the data folder and database if new, migrate it, and give it a station code."""
    data_dir = Path(data_dir)
    secure_folder(data_dir)
    path = data_dir / DB_NAME
    key = keyring.key_for(path, create=True)
    encrypt_if_plain(path, key)
    db = connect(path, key)
    try:
        migrations.apply(db)
        with write(db):
            if not setting(db, "station_code"):
                set_setting(db, "station_code", random_station_code())
                set_setting(db, "station_name", "")
    finally:
        db.close()
    return path


class ConnectionPool:
    """The idle connections of one app, each bound to the key it was opened with."""

    MAX_IDLE = 32

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._idle: list[tuple[bytes, sqlite_utils.Database]] = []
        self._mutex = threading.Lock()

    def take(self) -> sqlite_utils.Database:
        """Return an idle connection opened under the current key, or a new one."""
        key = keyring.key_for(self.path)
        with self._mutex:
            while self._idle:
                held_key, db = self._idle.pop()
                if held_key == key and same_file(db, self.path):
                    db.pool_key = key
                    return db
                db.close()
        db = connect(self.path, key)
        db.pool_key = key
        return db

    def give_back(self, db: sqlite_utils.Database) -> None:
        """Take a connection back after a request (rolled back if a transaction is open)."""
        if keyring.held(self.path) != db.pool_key:  # locked or re-keyed meanwhile
            db.close()
            return
        try:
            if db.conn.in_transaction:
                db.conn.execute("rollback")
        except DatabaseError:
            db.close()
            return
        with self._mutex:
            if len(self._idle) < self.MAX_IDLE:
                self._idle.append((db.pool_key, db))
                return
        db.close()

    def clear(self) -> None:
        """Close every idle connection (before a lock, a passphrase change, a restore)."""
        with self._mutex:
            idle, self._idle = self._idle, []
        for _key, db in idle:
            db.close()


def pool() -> ConnectionPool:
    """Return this app's connection pool."""
    found = current_app.extensions.get("fieldreg_pool")
    if found is None or found.path != current_app.config["DATABASE"]:
        found = current_app.extensions["fieldreg_pool"] = ConnectionPool(
            current_app.config["DATABASE"]
        )
    return found


def get_db() -> sqlite_utils.Database:
    """Return this request's connection, taking it on first use."""
    if "db" not in g:
        g.db = pool().take()
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    """Give this request's connection back, if it took one."""
    db = g.pop("db", None)
    if db is not None:
        pool().give_back(db)


def is_plain(path: Path) -> bool:
    """Tell whether a database file is an unencrypted SQLite file."""
    if not path.exists() or path.stat().st_size < len(PLAIN_HEADER):
        return False
    with path.open("rb") as handle:
        return handle.read(len(PLAIN_HEADER)) == PLAIN_HEADER


def encrypt_if_plain(path: Path, key: bytes) -> None:
    """Encrypt a database made before encryption existed, in place (sqlcipher_export)."""
    if not is_plain(path):
        return
    tmp = path.with_suffix(".encrypting")
    tmp.unlink(missing_ok=True)
    conn = sqlcipher.connect(str(path), isolation_level=None)
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.execute(f"attach database ? as enc key \"x'{key.hex()}'\"", [str(tmp)])
    conn.execute("select sqlcipher_export('enc')")
    conn.execute("detach database enc")
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    tmp.replace(path)


def verify_key(path: Path, key: bytes) -> bool:
    """Tell whether ``key`` opens the database file (a new file accepts any key)."""
    conn = sqlcipher.connect(str(path), isolation_level=None)
    # A wrong key is an answer here, not an error: SQLCipher would log "hmac check failed"
    # lines on stderr (a person typing a passphrase sees them). Its log level is global.
    (level,) = conn.execute("pragma cipher_log_level").fetchone()
    conn.execute("pragma cipher_log_level = none")
    try:
        conn.execute(_key_pragma(key))
        conn.execute("select count(*) from sqlite_master").fetchall()
        return True
    except sqlcipher.DatabaseError:
        return False
    finally:
        conn.execute(f"pragma cipher_log_level = {level}")
        conn.close()


def unlock(data_dir: str | Path, passphrase: str) -> None:
    """Check the passphrase against the data folder, hold its key, and migrate the database."""
    data_dir = Path(data_dir).resolve()
    path = data_dir / DB_NAME
    if keyring.is_inherited(data_dir):
        key = _adopt_inherited(data_dir, passphrase)
    else:
        if keyring.is_new(data_dir) and len(passphrase) < keyring.MIN_PASSPHRASE:
            raise keyring.WrongPassphrase(f"at least {keyring.MIN_PASSPHRASE} characters")
        key = keyring.derive(passphrase, keyring.kdf_params(data_dir))
        if path.exists() and not is_plain(path) and not verify_key(path, key):
            key = _pending_rekey(data_dir, passphrase)
    keyring.remember(data_dir, key)
    prepare(data_dir)


def unlock_inherited_from_environment(data_dir: str | Path) -> None:
    """Adopt, with FIELDREG_PASSPHRASE, a folder keyed by a parent's salt (before issue 13)."""
    passphrase = os.environ.get(keyring.ENV_PASSPHRASE)
    if passphrase and keyring.is_inherited(Path(data_dir)):
        with contextlib.suppress(keyring.WrongPassphrase):
            unlock(data_dir, passphrase)


def _adopt_inherited(data_dir: Path, passphrase: str) -> bytes:
    """Open a database keyed by a parent folder's salt and move it to a salt of its own.

    Before issue 13 a data folder took the nearest salt up to three folders above it (a
    checkout's committed test salt, for ``./data``): the first unlock re-keys it once.
    """
    if (data_dir / (keyring.SALT_FILE + ".new")).exists():  # re-keyed, cut short
        with contextlib.suppress(keyring.WrongPassphrase):
            return _pending_rekey(data_dir, passphrase)
    for parent in list(data_dir.parents)[:3]:
        if not (parent / keyring.SALT_FILE).exists():
            continue
        old_key = keyring.derive(passphrase, keyring.kdf_params(parent, create=False))
        if verify_key(data_dir / DB_NAME, old_key):
            params = keyring.new_params()
            new_key = keyring.derive(passphrase, params)
            _change_key(data_dir, old_key, new_key, params)
            return new_key
    raise keyring.WrongPassphrase("wrong passphrase")


def _pending_rekey(data_dir: Path, passphrase: str) -> bytes:
    """Finish a passphrase change cut short after the file changed key; else refuse."""
    pending = data_dir / (keyring.SALT_FILE + ".new")
    if pending.exists():
        key = keyring.derive(passphrase, json.loads(pending.read_text()))
        if verify_key(data_dir / DB_NAME, key):
            pending.replace(data_dir / keyring.SALT_FILE)
            return key
    raise keyring.WrongPassphrase("wrong passphrase")


def rekey(data_dir: str | Path, old: str, new: str) -> None:
    """Re-encrypt the database under a new passphrase (and a new salt)."""
    data_dir = Path(data_dir).resolve()
    if len(new) < keyring.MIN_PASSPHRASE:
        raise keyring.WrongPassphrase(f"at least {keyring.MIN_PASSPHRASE} characters")
    old_key = keyring.derive(old, keyring.kdf_params(data_dir))
    if not verify_key(data_dir / DB_NAME, old_key):
        raise keyring.WrongPassphrase("wrong passphrase")
    params = keyring.new_params()  # a new salt, and the production cost whatever the old one
    _change_key(data_dir, old_key, keyring.derive(new, params), params)


def _change_key(data_dir: Path, old_key: bytes, new_key: bytes, params: dict) -> None:
    """Re-encrypt the database and the key files under a new key, then hold it."""
    path = data_dir / DB_NAME
    # The new salt is on disk before the file changes key, so a crash between the two
    # leaves a folder that unlock() can still open (it tries the pending salt too).
    pending = data_dir / (keyring.SALT_FILE + ".new")
    keyring.write_private(pending, json.dumps(params).encode())
    key_files = keyfiles.prepare_rewrap(data_dir, old_key, new_key)  # the same, per key file
    db = connect(path, old_key)
    try:
        db.execute("pragma wal_checkpoint(truncate)")
        db.execute(f"pragma rekey = \"x'{new_key.hex()}'\"")
    finally:
        db.close()
    pending.replace(data_dir / keyring.SALT_FILE)
    keyfiles.commit_rewrap(key_files)
    keyring.remember(data_dir, new_key)
