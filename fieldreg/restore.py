"""Bring a station back from a backup file, refusing while a server holds the data folder.

The database being replaced is moved aside (never deleted), the backup is copied in through
the backup API (so it stays encrypted like every other copy), and the code counter is moved
past anything the backup or the old database issued, plus a margin: tags printed after the
backup was taken must never be issued again to someone else.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from fieldreg import backup, keyring
from fieldreg import db as storage
from fieldreg.lock import DataLock

SKIP_CODES = 1000  # codes left unissued after a restore; a station has 28 million


class RestoreRefused(Exception):
    """The file cannot be restored; ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _code_seq(path: Path, key: bytes) -> int | None:
    """Read a database's code counter, or None if the file is missing or unreadable."""
    if not path.exists():
        return None
    try:
        database = storage.connect(path, key)
        try:
            return int(storage.setting(database, "code_seq", "0"))
        finally:
            database.close()
    except (*storage.DatabaseError, ValueError, keyring.Locked):
        return None


def _validate(source: Path, key: bytes) -> None:
    """Refuse a file that is not a sound FieldReg database."""
    if not source.is_file():
        raise RestoreRefused(f"{source} is not a file.")
    try:
        verdict = backup.check(source, key)
        station = _station(source, key)
    except (*storage.DatabaseError, keyring.Locked) as exc:
        raise RestoreRefused(f"{source} cannot be read as a FieldReg database: {exc}") from exc
    if verdict != "ok":
        raise RestoreRefused(f"{source} failed its integrity check: {verdict}")
    if not station:
        raise RestoreRefused(f"{source} has no station code: not a FieldReg database.")


def _station(path: Path, key: bytes) -> str | None:
    database = storage.connect(path, key)
    try:
        return storage.setting(database, "station_code")
    finally:
        database.close()


def _move_aside(path: Path) -> Path | None:
    """Move the current database (and its -wal, -shm) into ``replaced/``; return the new path."""
    if not path.exists():
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    aside = path.parent / "replaced" / f"{path.stem}-{stamp}.db"
    aside.parent.mkdir(mode=0o700, exist_ok=True)
    for extra in ("-wal", "-shm", ""):  # the main file last: a crash leaves it in place
        if Path(str(path) + extra).exists():
            os.replace(str(path) + extra, str(aside) + extra)
    return aside


def bring_salt(data_dir: str | Path, source: str | Path) -> bool:
    """On a new laptop, take the salt kept beside the backup, so the passphrase opens it."""
    data_dir, source = Path(data_dir), Path(source)
    if not keyring.is_new(data_dir):
        return False
    station = source.name.split("-")[1] if source.name.count("-") >= 2 else ""
    kept = backup.salt_path(source.parent, station)
    if not kept.exists():
        return False
    keyring.make_folder(data_dir)
    keyring.write_private(data_dir / keyring.SALT_FILE, kept.read_bytes())
    return True


def _own_head(db) -> int:
    """Return the highest change-log seq of this station's own changes."""
    site = storage.setting(db, "station_code")
    return db.execute(
        "select coalesce(max(seq), 0) from changes where site = ?", [site]
    ).fetchone()[0]


def restore(data_dir: str | Path, source: str | Path, skip_codes: int = SKIP_CODES) -> dict:
    """Replace the data folder's database with ``source``; return what was done."""
    data_dir, source = Path(data_dir), Path(source).resolve()
    target = data_dir / storage.DB_NAME
    key = keyring.key_for(target, create=True)  # the backup is under the folder's key
    _validate(source, key)
    with DataLock(data_dir, "restore"):
        highest = max(_code_seq(source, key) or 0, _code_seq(target, key) or 0)
        aside = _move_aside(target)
        src, dst = storage.connect(source, key), storage.connect(target, key)
        try:
            src.conn.backup(dst.conn)
            with storage.write(dst):
                storage.set_setting(dst, "code_seq", str(highest + skip_codes))
                storage.set_setting(dst, "restored_from", source.name)
                storage.set_setting(dst, "restored_at", backup._now())
                # HQ may hold changes of this station made after the backup: the first ack
                # heard from HQ (network or bundle) moves the changes made from here on
                # after them (sync.client.reconcile). Those up to the backup's head are the
                # lost laptop's too, whatever HQ holds of them (the prefix).
                head = str(_own_head(dst))
                storage.set_setting(dst, "sync_restored_seq", head)
                storage.set_setting(dst, "sync_prefix_seq", head)
        finally:
            src.close()
            dst.close()
        storage.prepare(data_dir)  # a backup from an older version gets migrated
    return {"replaced": aside, "code_seq": highest + skip_codes}
