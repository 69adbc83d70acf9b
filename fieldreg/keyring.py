"""The database key, held in process memory only, per data folder.

A station's database is encrypted with SQLCipher under a 256-bit key derived from the
passphrase chosen at set-up with a slow KDF (argon2id). The salt and the KDF's cost are stored
in the data folder (``fieldreg.salt``, not secret); the passphrase and the key never are.

    passphrase --argon2id(salt, cost)--> key --held here--> db.connect() --PRAGMA key--> file

The key arrives by ``unlock()`` (the unlock page, or the CLI) or, for unattended starts, from
``FIELDREG_PASSPHRASE`` in the environment the first time a folder's key is asked for. ``lock()``
drops it; after a lock, the environment no longer unlocks that folder in this process (a
"lock now" must hold until someone types the passphrase again).
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw

SALT_FILE = "fieldreg.salt"
ENV_PASSPHRASE = "FIELDREG_PASSPHRASE"
ENV_KDF = "FIELDREG_KDF"
# argon2id costs by profile. "fast" exists for the test suite only (FIELDREG_KDF=fast).
KDF_PROFILES = {
    # About a second on a cheap laptop: paid once per unlock, never per request.
    "argon2id": {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 2},
    "fast": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
}
MIN_PASSPHRASE = 10

_keys: dict[Path, bytes] = {}
_locked_by_hand: set[Path] = set()
_lock = threading.Lock()


class Locked(Exception):
    """The data folder's key is not in memory: the station is locked."""


class WrongPassphrase(Exception):
    """The passphrase does not open the database."""


_homes: dict[str, Path] = {}


def _home(path: str | Path) -> Path:
    """Find the data folder a database file belongs to (the nearest folder with a salt)."""
    if (known := _homes.get(str(path))) is not None:
        return known
    start = Path(path).resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *list(folder.parents)[:3]):
        if (candidate / SALT_FILE).exists():
            _homes[str(path)] = candidate  # a folder with a salt stays one: remember it
            return candidate
    return folder


def kdf_params(folder: Path, create: bool = True) -> dict:
    """Return the folder's salt and KDF cost, writing new ones on first use."""
    path = folder / SALT_FILE
    if path.exists():
        return json.loads(path.read_text())
    if not create:
        raise Locked("no salt: this folder was never set up")
    profile = os.environ.get(ENV_KDF, "argon2id")
    params = {"kdf": "argon2id", "salt": secrets.token_hex(16), **KDF_PROFILES[profile]}
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(params))
    path.chmod(0o600)
    return params


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


def key_for(path: str | Path, create: bool = False) -> bytes:
    """Return the key of the data folder holding ``path``, or raise Locked.

    A file outside any data folder (a temporary copy, say) gets the key held last, so that
    what the station writes elsewhere is encrypted too; ``create`` makes a new data folder's
    salt instead (``db.prepare``).
    """
    folder = _home(path)
    with _lock:
        if folder in _keys:
            return _keys[folder]
        has_salt = (folder / SALT_FILE).exists()
        if not has_salt and not create and _keys:
            return next(reversed(_keys.values()))
        passphrase = os.environ.get(ENV_PASSPHRASE)
        if not passphrase or folder in _locked_by_hand:
            raise Locked(str(folder))
        key = derive(passphrase, kdf_params(folder))
        _keys[folder] = key
        return key


def held(path: str | Path) -> bytes | None:
    """Return the key held in memory for the data folder of ``path``, if any."""
    folder = _home(path)
    with _lock:
        return _keys.get(folder)


def is_unlocked(folder: str | Path) -> bool:
    """Tell whether the folder's key is available (in memory, or from the environment)."""
    try:
        key_for(Path(folder) / "x", create=True)
    except Locked:
        return False
    return True


def remember(folder: str | Path, key: bytes) -> None:
    """Hold a verified key for a folder."""
    folder = Path(folder).resolve()
    with _lock:
        _keys.pop(folder, None)  # re-inserted last: the most recent key
        _keys[folder] = key
        _locked_by_hand.discard(folder)


def lock(folder: str | Path) -> None:
    """Drop the folder's key from memory; the environment will not bring it back."""
    folder = Path(folder).resolve()
    with _lock:
        _keys.pop(folder, None)
        _locked_by_hand.add(folder)


def is_new(folder: str | Path) -> bool:
    """Tell whether the folder has no passphrase yet (first start)."""
    return not (Path(folder) / SALT_FILE).exists()
