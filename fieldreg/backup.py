"""Hot backups of the station database, and their record.

    live db ──backup API──> fieldreg-SSS-<stamp>.db.part      (both ends opened by db.connect,
                                │                              so a backup is encrypted exactly
                      journal_mode=delete, close               like the database)
                                │
                    fsync ── reopen ── integrity_check ── rename ── fsync folder ── prune to K

Only a file that passed every step carries the final name, so a full disk, a read-only
folder or a USB stick pulled out mid-write leaves no backup that looks good: the ``.part``
is removed (or, if the medium is gone, swept on the next run). Every attempt, good or not,
goes to the ``backups`` table with a message a coordinator can act on, and to the log.
The WAL lets writers go on while the copy reads, so registration never pauses.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from sqlite_utils import Database

from fieldreg import db as storage
from fieldreg import keyring, portable

log = logging.getLogger("fieldreg.backup")
PART = ".part"


class BackupFailed(Exception):
    """A backup that did not complete; ``message`` says what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def settings(config: Mapping) -> tuple[Path, float, int]:
    """Return the backup folder, the interval in minutes and how many to keep."""
    folder = config.get("BACKUP_DIR") or Path(config["DATA"]) / "backups"
    return Path(folder), float(config["BACKUP_MINUTES"]), max(1, int(config["BACKUP_KEEP"]))


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S-%f")[:-3]


def explain(exc: BaseException, folder: Path) -> str:
    """Turn an OS or SQLite error into a sentence a coordinator can act on."""
    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    if code in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in text:
        return f"The backup folder {folder} is full. Free some space or choose another folder."
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly" in text:
        return f"The backup folder {folder} cannot be written to (read-only or no permission)."
    if code in (errno.ENOENT, errno.ENODEV, errno.EIO, errno.ENXIO) or "unable to open" in text:
        return f"The backup folder {folder} is not reachable: was the USB stick removed?"
    if isinstance(exc, BackupFailed):
        return exc.message
    return f"The backup to {folder} failed: {exc}"


def _fsync(path: Path) -> None:
    """Flush a written file to the disk (portable: Windows needs a handle open for writing)."""
    portable.fsync_file(path)


def _remove(path: Path) -> None:
    for extra in ("", "-wal", "-shm", "-journal"):
        try:
            Path(str(path) + extra).unlink()
        except OSError:
            pass  # already gone, or the medium is: swept next time


def check(path: Path, key: bytes | None = None) -> str:
    """Open a database file afresh and return its integrity_check verdict."""
    copy = storage.connect(path, key)
    try:
        return copy.execute("pragma integrity_check").fetchone()[0]
    finally:
        copy.close()


def _copy(source: Database, part: Path, key: bytes) -> None:
    """Copy the live database into ``part`` through the backup API, under the same key."""
    target = storage.connect(part, key)
    try:
        source.conn.backup(target.conn)
        # One self-contained file: no -wal beside it to lose when the stick is copied.
        target.execute("pragma journal_mode = delete")
    finally:
        target.close()


def write_backup(db_path: str | Path, folder: Path, keep: int) -> Path:
    """Make one checked backup in ``folder``, keep the newest ``keep``; return its path."""
    key = keyring.key_for(db_path)
    source = storage.connect(db_path, key)
    try:
        station = storage.setting(source, "station_code") or "XXX"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        _probe(folder, station)
        sweep(folder, station)
        _keep_salt(Path(db_path).parent, folder, station)
        final = folder / f"fieldreg-{station}-{_stamp()}.db"
        part = final.with_name(final.name + PART)
        try:
            _copy(source, part, key)
            _fsync(part)
            verdict = check(part, key)
            if verdict != "ok":
                raise BackupFailed(f"The copy failed its integrity check ({verdict}).")
            os.replace(part, final)
            portable.fsync_folder(folder)
        except BaseException:
            _remove(part)
            raise
    finally:
        source.close()
    prune(folder, station, keep)
    return final


def _probe(folder: Path, station: str) -> None:
    """Write and remove a small file in the folder, raising the OS's own error if it refuses."""
    # SQLite reports every refusal as "unable to open"; the OS error says full, read-only...
    probe = folder / f".fieldreg-{station}-probe"
    try:
        with open(probe, "wb") as handle:
            handle.write(b"probe")
            handle.flush()
            os.fsync(handle.fileno())
    finally:
        _remove(probe)


def salt_path(folder: Path, station: str) -> Path:
    """Return where the station's KDF salt is kept beside its backups."""
    return folder / f"fieldreg-{station}.salt"


def _keep_salt(data_dir: Path, folder: Path, station: str) -> None:
    """Put the (not secret) salt beside the backups: with the passphrase, it opens them."""
    salt = data_dir / keyring.SALT_FILE
    kept = salt_path(folder, station)
    if salt.exists() and (not kept.exists() or kept.read_bytes() != salt.read_bytes()):
        keyring.write_private(kept, salt.read_bytes())


def sweep(folder: Path, station: str) -> None:
    """Remove this station's half-written copies left by an interrupted run."""
    for part in folder.glob(f"fieldreg-{station}-*.db{PART}"):
        _remove(part)


def listing(folder: Path, station: str) -> list[Path]:
    """Return this station's finished backups in ``folder``, oldest first."""
    try:
        return sorted(folder.glob(f"fieldreg-{station}-*.db"))
    except OSError:
        return []


def prune(folder: Path, station: str, keep: int) -> None:
    """Delete all but the newest ``keep`` backups of this station."""
    for old in listing(folder, station)[:-keep]:
        _remove(old)


def run(db_path: str | Path, folder: Path, keep: int) -> dict:
    """Back up now, record the attempt, log it; never raise (registration must go on)."""
    started = time.monotonic()
    attempt = {"at": _now(), "ok": 0, "path": None, "bytes": None, "error": None}
    try:
        path = write_backup(db_path, folder, keep)
        attempt.update(ok=1, path=str(path), bytes=path.stat().st_size)
        log.info("backup written: %s", path)
    except (OSError, *storage.DatabaseError, BackupFailed, keyring.Locked) as exc:
        attempt["error"] = explain(exc, folder)
        log.error("BACKUP FAILED: %s (%s)", attempt["error"], exc)
    attempt["seconds"] = round(time.monotonic() - started, 3)
    _record(db_path, attempt)
    return attempt


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _record(db_path: str | Path, attempt: dict) -> None:
    """Store the attempt for the coordinator's page (only logged if the data disk refuses)."""
    try:
        database = storage.connect(db_path)
        try:
            with storage.write(database):
                database.table("backups").insert(attempt)
        finally:
            database.close()
    except (*storage.DatabaseError, keyring.Locked) as exc:
        log.error("could not record the backup attempt in the database: %s", exc)


def status(database: Database, limit: int = 20) -> dict:
    """Return the last good backup, the last failure if newer, and recent attempts."""
    recent = list(database.query("select * from backups order by id desc limit ?", [limit]))
    good = next(database.query("select * from backups where ok = 1 order by id desc limit 1"), None)
    latest = recent[0] if recent else None
    failing = latest if latest and not latest["ok"] else None
    return {"last_good": good, "failing": failing, "recent": recent}


FIRST_DELAY = 10.0  # seconds after start-up before an overdue backup, so serving comes first


def _seconds_to_next(db_path: str | Path, interval: float) -> float:
    """Wait until the interval has passed since the last attempt (briefly if overdue)."""
    try:
        database = storage.connect(db_path)
        try:
            last = next(database.query("select max(at) at from backups"))["at"]
        finally:
            database.close()
    except (*storage.DatabaseError, keyring.Locked):
        last = None
    if last is None:
        return min(interval, FIRST_DELAY)
    since = (dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(last)).total_seconds()
    return max(min(interval, FIRST_DELAY), interval - since)


def schedule(db_path: str | Path, folder: Path, minutes: float, keep: int):
    """Back up every ``minutes`` in a background thread; return a stop() function."""
    if minutes <= 0:
        return lambda: None
    stop = threading.Event()
    interval = minutes * 60

    def loop():
        delay = _seconds_to_next(db_path, interval)
        while not stop.wait(delay):
            # A locked station has no key: nothing can be read, so there is nothing to back up
            # yet (and no failure to report); try again a minute after it is unlocked.
            if not keyring.is_unlocked(Path(db_path).parent):
                delay = min(interval, 60)
                continue
            run(db_path, folder, keep)
            delay = interval

    thread = threading.Thread(target=loop, name="fieldreg-backup", daemon=True)
    thread.start()

    def halt():
        stop.set()
        thread.join(30)

    return halt
