"""The database key, held in process memory only, per data folder.

A station's database is encrypted with SQLCipher under a 256-bit key derived from the
passphrase chosen at set-up with a slow KDF (argon2id). The salt and the KDF's cost are stored
in the data folder (``fieldreg.salt``, not secret); the passphrase and the key never are.

    passphrase --argon2id(salt, cost)--> key --held here--> db.connect() --PRAGMA key--> file

A data folder is the folder that holds the file, and its key comes from that folder's own salt
only: never from a parent's (a salt left in a checkout would otherwise key every ``./data``
under it), and never from another folder whose key happens to be held. A file kept elsewhere
(a backup on a USB stick) is opened with its data folder named (``home=``) or its key given.

The key arrives by ``unlock()`` (the unlock page, or the CLI) or, for unattended starts, from
``FIELDREG_PASSPHRASE`` in the environment the first time a folder's key is asked for. ``lock()``
drops it; after a lock, the environment no longer unlocks that folder in this process (a
"lock now" must hold until someone types the passphrase again).

New salts always get the production cost. The cheap "fast" profile exists for the test suite
only: it is honoured when tests/conftest.py called ``use_test_kdf()`` (pytest is loaded), or,
in a process a running test started, when ``FIELDREG_KDF=fast`` comes with pytest's own
``PYTEST_CURRENT_TEST``. A station started by hand has neither.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import threading
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw

SALT_FILE = "fieldreg.salt"
ENV_PASSPHRASE = "FIELDREG_PASSPHRASE"
ENV_KDF = "FIELDREG_KDF"
# argon2id costs by profile. "fast" exists for the test suite only (see the module docstring).
KDF_PROFILES = {
    # About a second on a cheap laptop: paid once per unlock, never per request.
    "argon2id": {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 2},
    "fast": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
}
MIN_PASSPHRASE = 10

_keys: dict[Path, bytes] = {}
_locked_by_hand: set[Path] = set()
_lock = threading.Lock()
_folders: dict[str, Path] = {}
_test_kdf = False


class Locked(Exception):
    """The data folder's key is not in memory: the station is locked."""


class WrongPassphrase(Exception):
    """The passphrase does not open the database."""


def use_test_kdf() -> None:
    """Give new data folders the cheap KDF: the test suite's hook (refused outside pytest)."""
    global _test_kdf
    if "pytest" not in sys.modules:
        raise RuntimeError("the fast KDF is for the test suite only")
    _test_kdf = True
    os.environ[ENV_KDF] = "fast"  # servers and commands a test starts inherit it


def profile() -> str:
    """Return the KDF profile new salts get: production, unless inside the test suite."""
    if _test_kdf and "pytest" in sys.modules:
        return "fast"
    if os.environ.get(ENV_KDF) == "fast" and os.environ.get("PYTEST_CURRENT_TEST"):
        return "fast"
    return "argon2id"


def folder_of(path: str | Path) -> Path:
    """Return the data folder of a database file: the folder that holds it, nothing above."""
    return _resolved(path, parent=True)


def _resolved(path: str | Path, parent: bool = False) -> Path:
    """Return a path made absolute (asked on every request: remembered when absolute)."""
    name = ("file:" if parent else "dir:") + str(path)
    found = _folders.get(name)
    if found is None:
        found = Path(path).resolve()
        found = found.parent if parent else found
        if Path(path).is_absolute():  # a relative one depends on the working folder
            _folders[name] = found
    return found


def kdf_params(folder: Path, create: bool = True) -> dict:
    """Return the folder's salt and KDF cost, writing new ones on first use."""
    path = Path(folder) / SALT_FILE
    if path.exists():
        return json.loads(path.read_text())
    if not create:
        raise Locked("no salt: this folder was never set up")
    if is_inherited(Path(folder)):
        raise Locked(f"{folder}'s database was keyed by a parent's salt: unlock it once")
    params = new_params()
    make_folder(Path(folder))
    write_private(path, json.dumps(params).encode())
    return params


def new_params() -> dict:
    """Return the KDF parameters of a new salt (the production cost outside the tests)."""
    return {"kdf": "argon2id", "salt": secrets.token_hex(16), **KDF_PROFILES[profile()]}


def is_inherited(folder: Path) -> bool:
    """Tell whether the folder holds an encrypted database but no salt: a parent's was used.

    Before issue 13 a folder took the nearest salt above it; ``db.unlock`` re-keys such a
    database once under a salt of its own. A new salt must never be made for it.
    """
    database = folder / "fieldreg.db"
    if (folder / SALT_FILE).exists() or not database.is_file():
        return False
    with database.open("rb") as handle:
        head = handle.read(16)
    return len(head) == 16 and head != b"SQLite format 3\x00"


def make_folder(folder: Path) -> Path:
    """Create a folder readable by the owner only (0700), or make an existing one so."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name != "nt":
        folder.chmod(0o700)
    return folder


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by the owner only (0600), from its first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if os.name != "nt":
            os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
        os.write(fd, data)
    finally:
        os.close(fd)


def derive(passphrase: str, params: dict) -> bytes:
    """Derive the 256-bit database key from a passphrase (argon2id)."""
    return hash_secret_raw(
        passphrase.encode(),
        bytes.fromhex(params["salt"]),
        time_cost=params["time_cost"],
        memory_cost=params["memory_cost"],
        parallelism=params["parallelism"],
        hash_len=32,
        type=Type.ID,
    )


def key_for(path: str | Path, create: bool = False, home: str | Path | None = None) -> bytes:
    """Return the key of the data folder holding ``path`` (or of ``home``), or raise Locked.

    A folder without a salt is no data folder: its key is refused (Locked) unless ``create``
    makes it one (``db.prepare``), with a salt of its own.
    """
    folder = _resolved(home) if home is not None else folder_of(path)
    return folder_key(folder, create)


def folder_key(folder: Path, create: bool = False) -> bytes:
    """Return a data folder's key: held, or derived from the environment's passphrase."""
    with _lock:
        if folder in _keys:
            return _keys[folder]
        if not create and not (folder / SALT_FILE).exists():
            raise Locked(f"{folder} has no {SALT_FILE}: name its data folder")
        passphrase = os.environ.get(ENV_PASSPHRASE)
        if not passphrase or folder in _locked_by_hand:
            raise Locked(str(folder))
        key = derive(passphrase, kdf_params(folder))
        _keys[folder] = key
        return key


def held(path: str | Path) -> bytes | None:
    """Return the key held in memory for the data folder of ``path``, if any."""
    with _lock:
        return _keys.get(folder_of(path))


def is_unlocked(folder: str | Path) -> bool:
    """Tell whether the folder's key is available (in memory, or from the environment)."""
    try:
        folder_key(_resolved(folder), create=True)
    except Locked:
        return False
    return True


def remember(folder: str | Path, key: bytes) -> None:
    """Hold a verified key for a folder."""
    folder = _resolved(folder)
    with _lock:
        _keys[folder] = key
        _locked_by_hand.discard(folder)


def lock(folder: str | Path) -> None:
    """Drop the folder's key from memory; the environment will not bring it back."""
    folder = _resolved(folder)
    with _lock:
        _keys.pop(folder, None)
        _locked_by_hand.add(folder)


def is_new(folder: str | Path) -> bool:
    """Tell whether the folder has no passphrase yet (first start)."""
    return not (Path(folder) / SALT_FILE).exists() and not is_inherited(Path(folder))
