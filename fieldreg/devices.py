"""Tablets: their ids, their offline code blocks, and the sealed records they queue.

A tablet asks the station, while online, for a device id and a block of codes
(``tags.issue_to_device``); offline it gives those codes out itself, so they never collide
with another tablet's. Codes are finite (about 28 million a station) and a device id is
whatever the tablet says, so blocks are bounded: a device holds at most ``DEVICE_UNUSED_MAX``
unused codes and gets at most ``DEVICE_PER_HOUR`` an hour, and all devices together at most
``STATION_PER_HOUR`` an hour (429 ``quota_exceeded`` beyond, with Retry-After).

What a tablet queues is sealed for the station (ECDH P-256 + HKDF-SHA256 + AES-256-GCM, all
in WebCrypto): the tablet holds only the station's *public* key, so a lost tablet's outbox
cannot be read without the station laptop's private key. That key is kept in the data folder
encrypted under the station key (fieldreg.keyfiles).

    tablet                                          station
    eph = ECDH keypair (per record)
    k = HKDF(ECDH(eph, station_pub), salt=epk)  ->  k = HKDF(ECDH(station_priv, epk), salt=epk)
    {client_id, epk, iv, ct=AES-GCM(k, iv, record, aad=client_id)}  ->  record
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlite_utils import Database

from fieldreg import audit, bodies, keyfiles, tags
from fieldreg.db import write
from fieldreg.errors import DomainError

KEY_FILE = "outbox-key.pem"
_making = threading.Lock()  # two first requests must not make two key pairs
HKDF_INFO = b"fieldreg-outbox-v1"
MAX_BLOCK = 500
DEVICE_UNUSED_MAX = 1000  # two full blocks: days of registrations for one tablet
DEVICE_PER_HOUR = 1000
STATION_PER_HOUR = 10_000  # 20 tablets each taking two blocks in one hour


class QuotaExceeded(DomainError):
    """A device (or all devices) asked for more codes than the quota allows."""

    status = 429
    default_code = "quota_exceeded"


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
        # A station's public key is handed to every tablet: the body is as hostile as any.
        record = bodies.loads(body)
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
        _check_quota(db, device_id, count, stamp)
        db.execute(
            "insert into devices (id, created_at, created_by, last_seen) values (?, ?, ?, ?) "
            "on conflict(id) do update set last_seen = excluded.last_seen",
            [device_id, stamp, actor, stamp],
        )
        issued = tags.issue_to_device(db, device_id, count)
        audit.log(db, actor, "device_codes", "devices", device_id, f"{issued[0]}+{count}")
    return issued


def _check_quota(db: Database, device_id: str, count: int, stamp: str) -> None:
    """Refuse a block beyond the device's unused codes or the hourly quotas."""
    unused = db.execute(
        "select count(*) from codes where device_id = ? and record_id is null", [device_id]
    ).fetchone()[0]
    if unused + count > DEVICE_UNUSED_MAX:
        raise QuotaExceeded(
            f"This tablet already holds {unused} unused codes: use them first.",
            {"count": [f"At most {DEVICE_UNUSED_MAX - unused} more."]},
        )
    since = (dt.datetime.fromisoformat(stamp) - dt.timedelta(hours=1)).isoformat()
    for who, limit, extra in (
        ("This tablet", DEVICE_PER_HOUR, ("and device_id = ?", [device_id])),
        ("The tablets", STATION_PER_HOUR, ("", [])),
    ):
        issued, oldest = db.execute(
            "select count(*), min(issued_at) from codes where device_id is not null "
            f"and issued_at > ? {extra[0]}",
            [since, *extra[1]],
        ).fetchone()
        if issued + count > limit:
            error = QuotaExceeded(
                f"{who} got {issued} codes in the last hour: at most {limit}.",
                {"count": ["Too many codes this hour."]},
            )
            if oldest:  # the quota frees up as the oldest code of the hour ages out
                waited = dt.datetime.fromisoformat(stamp) - dt.datetime.fromisoformat(oldest)
                error.retry_after = max(1, 3600 - int(waited.total_seconds()))
            raise error


def list_devices(db: Database) -> list[dict]:
    """Return the tablets known to this station, with how many block codes each has left."""
    return list(
        db.query(
            "select d.id, d.created_at, d.created_by, d.last_seen, "
            "(select count(*) from codes c where c.device_id = d.id and c.record_id is null) "
            "as unused from devices d order by d.last_seen desc"
        )
    )
