"""Encrypted, signed sync bundles for the USB stick.

```
MAGIC | u32 header length | header (JSON) | u64 body length | body | signature (64 bytes)

header = {"v": 1, "from": site, "to": fingerprint of the recipient's X25519 key,
          "eph": ephemeral X25519 public key, "nonce": 12 bytes}
key    = HKDF-SHA256(X25519(eph, recipient), salt = eph_pub + recipient_pub)
body   = AES-256-GCM(key, nonce, zlib(JSON payload), associated data = header)
signature = Ed25519(sender, MAGIC + header + SHA-256(body))
```
Only the recipient can read it (X25519), the recipient knows who wrote it (Ed25519 over
everything), and any changed, cut or foreign byte is refused before anything is applied.
The same envelope carries sync over HTTP (sync.protocol). Unpacking is bounded: a body that
would inflate beyond ``max_plain`` (default: 64 MiB, or 50 times the file for big USB
bundles) is refused (:class:`TooLarge`) before it fills memory.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import zlib
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from sync import keys

MAGIC = b"FIELDREG-BUNDLE-1\n"
INFO = b"fieldreg bundle v1"
SIG_LEN = 64
MAX_PLAIN = 64 * 1024 * 1024
MAX_RATIO = 50  # JSON of changes compresses 5-15 times; a zlib bomb, a thousand


class BundleError(ValueError):
    """A bundle that is refused; the message says why, and nothing was applied."""


class TooLarge(BundleError):
    """A bundle or batch that would unpack to more than allowed; nothing was applied."""


def inflate(data: bytes, limit: int) -> bytes:
    """Decompress zlib ``data``, refusing (TooLarge) output beyond ``limit`` bytes."""
    inflater = zlib.decompressobj()
    plain = inflater.decompress(data, limit)
    if inflater.unconsumed_tail or (len(plain) >= limit and not inflater.eof):
        raise TooLarge(f"The content unpacks to more than {limit:,} bytes: refused.")
    if not inflater.eof:
        raise zlib.error("incomplete compressed data")
    return plain


def loads(text: bytes | str) -> Any:
    """Parse JSON another site sent as strictly as a web body (raise ValueError): no nesting
    that exhausts the parser, no lone surrogate (SQLite cannot store one; issue 13)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    stack = [value]
    while stack:  # a loop, not recursion: the value may be as deep as the parser allowed
        item = stack.pop()
        if isinstance(item, str):
            item.encode("utf-8")  # UnicodeEncodeError (a ValueError) on a lone surrogate
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return value


def _key(shared: bytes, eph_pub: bytes, recipient_pub: bytes) -> bytes:
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=eph_pub + recipient_pub, info=INFO)
    return kdf.derive(shared)


def seal(payload: dict[str, Any], sender: str, sender_sign: str, recipient_box_pub: str) -> bytes:
    """Encrypt ``payload`` to the recipient and sign it as ``sender``."""
    eph = X25519PrivateKey.generate()
    eph_pub = eph.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    recipient = keys.unb64(recipient_box_pub)
    key = _key(eph.exchange(X25519PublicKey.from_public_bytes(recipient)), eph_pub, recipient)
    nonce = os.urandom(12)
    header = json.dumps(
        {
            "v": 1,
            "from": sender,
            "to": keys.fingerprint(recipient_box_pub),
            "eph": keys.b64(eph_pub),
            "nonce": keys.b64(nonce),
        },
        sort_keys=True,
    ).encode()
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    plain = zlib.compress(text.encode(), 6)
    body = AESGCM(key).encrypt(nonce, plain, header)
    signature = keys.unb64(keys.sign(sender_sign, MAGIC + header + hashlib.sha256(body).digest()))
    return b"".join(
        [
            MAGIC,
            struct.pack(">I", len(header)),
            header,
            struct.pack(">Q", len(body)),
            body,
            signature,
        ]
    )


def _split(data: bytes) -> tuple[bytes, bytes, bytes]:
    """Cut a bundle into header, body and signature, refusing a wrong or cut file."""
    if not data.startswith(MAGIC):
        raise BundleError("This file is not a FieldReg sync bundle.")
    at = len(MAGIC)
    try:
        (hlen,) = struct.unpack_from(">I", data, at)
        header = data[at + 4 : at + 4 + hlen]
        (blen,) = struct.unpack_from(">Q", data, at + 4 + hlen)
    except struct.error:
        raise BundleError("The bundle is truncated (the copy was cut short).") from None
    start = at + 4 + hlen + 8
    if len(header) != hlen or len(data) < start + blen + SIG_LEN:
        raise BundleError("The bundle is truncated (the copy was cut short).")
    if len(data) > start + blen + SIG_LEN:
        raise BundleError("The bundle has extra bytes at its end (damaged or tampered with).")
    return header, data[start : start + blen], data[start + blen :]


def open_bundle(
    data: bytes,
    recipient_box: str,
    sender_sign_pub: Callable[[str], str | None],
    max_plain: int | None = None,
) -> tuple[str, dict[str, Any]]:
    """Check and decrypt a bundle; return its sender and payload, or raise BundleError."""
    header_bytes, body, signature = _split(data)
    try:
        header = loads(header_bytes)
        sender = str(header["from"])
    except (ValueError, KeyError, TypeError):
        raise BundleError("The bundle's header is damaged.") from None
    public = sender_sign_pub(sender)
    if public is None:
        raise BundleError(f"The bundle comes from {sender!r}, which is not known here.")
    signed = MAGIC + header_bytes + hashlib.sha256(body).digest()
    if not keys.verify(public, keys.b64(signature), signed):
        raise BundleError("The bundle's signature does not match: it was altered or forged.")
    mine = keys.public({"sign": keys.b64(bytes(32)), "box": recipient_box})["box_pub"]
    if header.get("to") != keys.fingerprint(mine):
        raise BundleError("The bundle was made for another recipient, not for this site.")
    limit = max_plain or max(MAX_PLAIN, MAX_RATIO * len(data))
    return sender, _decrypt(header, header_bytes, body, recipient_box, mine, limit)


def _decrypt(
    header: dict, header_bytes: bytes, body: bytes, box: str, mine: str, limit: int
) -> dict:
    try:
        eph_pub = keys.unb64(header["eph"])
        private = X25519PrivateKey.from_private_bytes(keys.unb64(box))
        key = _key(
            private.exchange(X25519PublicKey.from_public_bytes(eph_pub)), eph_pub, keys.unb64(mine)
        )
        plain = AESGCM(key).decrypt(keys.unb64(header["nonce"]), body, header_bytes)
    except (InvalidTag, ValueError, KeyError):
        raise BundleError("The bundle cannot be decrypted with this site's key.") from None
    try:
        return loads(inflate(plain, limit))
    except (ValueError, zlib.error) as exc:
        if isinstance(exc, TooLarge):
            raise
        raise BundleError("The bundle's content is damaged.") from None
