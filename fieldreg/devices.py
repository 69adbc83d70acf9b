"""Tablets: their ids, their offline code blocks, and the sealed records they queue.

A tablet asks the station, while online, for a device id and a block of codes
(``tags.issue_to_device``); offline it gives those codes out itself, so they never collide
with another tablet's. What it queues is sealed for the station (ECDH P-256 + HKDF-SHA256 +
AES-256-GCM, all in WebCrypto): the tablet holds only the station's *public* key, so a lost
tablet's outbox cannot be read without the station laptop's private key. That key is kept in
the data folder encrypted under the station key (fieldreg.keyfiles).

    tablet                                          station
    eph = ECDH keypair (per record)
    k = HKDF(ECDH(eph, station_pub), salt=epk)  ->  k = HKDF(ECDH(station_priv, epk), salt=epk)
    {client_id, epk, iv, ct=AES-GCM(k, iv, record, aad=client_id)}  ->  record
"""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlite_utils import Database

from fieldreg import audit, keyfiles, tags
from fieldreg.db import write
from fieldreg.errors import DomainError

KEY_FILE = "outbox-key.pem"
_making = threading.Lock()  # two first requests must not make two key pairs
HKDF_INFO = b"fieldreg-outbox-v1"
MAX_BLOCK = 500


def b64url(data: bytes) -> str:
    """Encode bytes as unpadded base64url (what the browser sends)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    """Decode unpadded base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def station_key(data_dir: str | Path) -> ec.EllipticCurvePrivateKey:
    """Return the station's outbox key pair, made once; kept encrypted under the station key.

    Raises ``keyring.Locked`` while the station is locked: sealed records wait for the
    passphrase like everything else.
    """
    with _making:
        key = keyfiles.load(data_dir, KEY_FILE)
        if key is None:
            key = ec.generate_private_key(ec.SECP256R1())
            keyfiles.save(data_dir, KEY_FILE, key)
    return key


def public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """Return the public half as a raw uncompressed P-256 point, base64url (WebCrypto 'raw')."""
    raw = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(raw)


def _aes_key(shared: bytes, epk: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=epk, info=HKDF_INFO).derive(shared)


def seal(public_raw: bytes, client_id: str, record: dict) -> dict:
    """Seal a record for the station, as a tablet does (for tests and tools)."""
    import os

    eph = ec.generate_private_key(ec.SECP256R1())
    peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_raw)
    epk = eph.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    iv = os.urandom(12)
    body = json.dumps(record).encode()
    ct = AESGCM(_aes_key(eph.exchange(ec.ECDH(), peer), epk)).encrypt(iv, body, client_id.encode())
    return {"client_id": client_id, "epk": b64url(epk), "iv": b64url(iv), "ct": b64url(ct)}


def open_sealed(key: ec.EllipticCurvePrivateKey, envelope: dict) -> dict:
    """Open a tablet's sealed record; refuse one that was altered or sealed for another key."""
    try:
        epk = unb64url(envelope["epk"])
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), epk)
        aes = AESGCM(_aes_key(key.exchange(ec.ECDH(), peer), epk))
        body = aes.decrypt(
            unb64url(envelope["iv"]), unb64url(envelope["ct"]), str(envelope["client_id"]).encode()
        )
        record = json.loads(body)
    except (InvalidTag, ValueError, KeyError, TypeError) as exc:
        raise DomainError(
            "This record cannot be opened with this station's key.",
            {"ct": ["Sealed for another station, or damaged."]},
        ) from exc
    if not isinstance(record, dict):
        raise DomainError("A sealed record holds an object.", {"ct": ["Not an object."]})
    return record


def issue_block(db: Database, device_id: str, count: int, actor: str | None) -> list[str]:
    """Register the device if new, and reserve a fresh block of codes for it."""
    if not 1 <= count <= MAX_BLOCK:
        raise DomainError(f"Between 1 and {MAX_BLOCK} codes.", {"count": ["Out of range."]})
    stamp = tags.now()
    with write(db):
        db.execute(
            "insert into devices (id, created_at, created_by, last_seen) values (?, ?, ?, ?) "
            "on conflict(id) do update set last_seen = excluded.last_seen",
            [device_id, stamp, actor, stamp],
        )
        issued = tags.issue_to_device(db, device_id, count)
        audit.log(db, actor, "device_codes", "devices", device_id, f"{issued[0]}+{count}")
    return issued


def list_devices(db: Database) -> list[dict]:
    """Return the tablets known to this station, with how many block codes each has left."""
    return list(
        db.query(
            "select d.id, d.created_at, d.created_by, d.last_seen, "
            "(select count(*) from codes c where c.device_id = d.id and c.record_id is null) "
            "as unused from devices d order by d.last_seen desc"
        )
    )
