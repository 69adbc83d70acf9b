"""Private keys kept in the data folder (tablets' outbox, TLS), encrypted under the station key.

    database key (keyring) --HKDF-SHA256(info = "fieldreg-keyfile-v1:" + name)--> password
    private key --PKCS#8 PEM, encrypted with the password--> DATA/<name>   (0600)

Encrypted PKCS#8 rather than a format of our own: OpenSSL (Python's ``ssl``) loads such a key
with its password, so the TLS key is never written or handed over in clear. The password
exists only while the station's key is held: a locked station cannot open its key files
(``Locked``), and a copied data folder gives them to nobody without the passphrase.

A key file kept in clear by an older version is encrypted in place the first time it is read.
A passphrase change (``db.rekey``) writes each key file again under the new key as
``NAME.new`` before the database changes key, and renames them after; a change cut short in
between is finished by the next ``load``, whichever key the folder ended with.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fieldreg import keyring

INFO = b"fieldreg-keyfile-v1:"
ENCRYPTED = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"
CLEAR = b"-----BEGIN PRIVATE KEY-----"
PENDING = ".new"


def password(key: bytes, name: str) -> bytes:
    """Derive the password of one key file from the station key (hex: OpenSSL takes text)."""
    derived = HKDF(hashes.SHA256(), 32, salt=None, info=INFO + name.encode()).derive(key)
    return derived.hex().encode()


def _name(data_dir: Path, path: Path) -> str:
    return path.relative_to(data_dir).as_posix()


def _station_key(data_dir: Path) -> bytes:
    """Return the data folder's key, or raise Locked."""
    return keyring.key_for(data_dir / "fieldreg.db", home=data_dir)


def _encrypted(private_key, key: bytes, name: str) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password(key, name)),
    )


def save(data_dir: str | Path, name: str, private_key) -> Path:
    """Write a private key into the data folder, encrypted under the station key."""
    data_dir = Path(data_dir).resolve()
    path = data_dir / name
    keyring.write_private(path, _encrypted(private_key, _station_key(data_dir), name))
    return path


def load(data_dir: str | Path, name: str):
    """Read a private key from the data folder (None if there is none), or raise Locked."""
    data_dir = Path(data_dir).resolve()
    path, key = data_dir / name, _station_key(data_dir)
    _finish_rewrap(path, key, name)
    if not path.exists():
        return None
    pem = path.read_bytes()
    if pem.startswith(CLEAR):  # kept in clear by an older version: encrypt it now
        private_key = serialization.load_pem_private_key(pem, password=None)
        save(data_dir, name, private_key)
        return private_key
    return serialization.load_pem_private_key(pem, password=password(key, name))


def _finish_rewrap(path: Path, key: bytes, name: str) -> None:
    """Take a copy written by a passphrase change if it opens with the key held now."""
    pending = path.with_name(path.name + PENDING)
    if not pending.exists():
        return
    try:
        serialization.load_pem_private_key(pending.read_bytes(), password(key, name))
    except ValueError:
        pending.unlink()  # the change never reached the database: the old file stands
        return
    pending.replace(path)


def key_files(data_dir: Path) -> list[Path]:
    """List the encrypted key files of a data folder."""
    found = []
    for path in sorted(Path(data_dir).rglob("*")):
        if path.is_file() and path.suffix in (".pem", ".key"):
            with path.open("rb") as handle:
                head = handle.read(len(ENCRYPTED))
            if head.startswith((ENCRYPTED, CLEAR)):
                found.append(path)
    return found


def prepare_rewrap(data_dir: str | Path, old: bytes, new: bytes) -> list[Path]:
    """Write each key file again under a new station key, beside the old one (``.new``)."""
    data_dir = Path(data_dir).resolve()
    written = []
    for path in key_files(data_dir):
        name = _name(data_dir, path)
        pem = path.read_bytes()
        secret = None if pem.startswith(CLEAR) else password(old, name)
        private_key = serialization.load_pem_private_key(pem, password=secret)
        pending = path.with_name(path.name + PENDING)
        keyring.write_private(pending, _encrypted(private_key, new, name))
        written.append(pending)
    return written


def commit_rewrap(pending: list[Path]) -> None:
    """Put the key files written under the new key in place of the old ones."""
    for path in pending:
        path.replace(path.with_name(path.name[: -len(PENDING)]))
