"""Keys and the station credential: Ed25519 to sign, X25519 to receive encrypted bundles.

Private keys travel only inside a credential (printed once at HQ, typed or pasted at the
station); nothing here logs them. Keys are raw 32-byte values in URL-safe base64.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

CREDENTIAL_PREFIX = "fieldreg-station-1."
_RAW = (Encoding.Raw, PublicFormat.Raw)


def b64(data: bytes) -> str:
    """Encode bytes as unpadded URL-safe base64."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    """Decode unpadded URL-safe base64."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate() -> dict[str, str]:
    """Make a signing key and a bundle key: ``{"sign": ..., "box": ...}`` (private)."""
    return {
        "sign": b64(Ed25519PrivateKey.generate().private_bytes_raw()),
        "box": b64(X25519PrivateKey.generate().private_bytes_raw()),
    }


def public(keys: dict[str, str]) -> dict[str, str]:
    """Return the public halves: ``{"sign_pub": ..., "box_pub": ...}``."""
    sign = Ed25519PrivateKey.from_private_bytes(unb64(keys["sign"]))
    box = X25519PrivateKey.from_private_bytes(unb64(keys["box"]))
    return {
        "sign_pub": b64(sign.public_key().public_bytes(*_RAW)),
        "box_pub": b64(box.public_key().public_bytes(*_RAW)),
    }


def signing_public(private: str) -> str:
    """Return the public half of a private signing key."""
    key = Ed25519PrivateKey.from_private_bytes(unb64(private))
    return b64(key.public_key().public_bytes(*_RAW))


def sign(private: str, data: bytes) -> str:
    """Sign ``data`` with a private signing key; return the signature."""
    return b64(Ed25519PrivateKey.from_private_bytes(unb64(private)).sign(data))


def verify(public_key: str, signature: str, data: bytes) -> bool:
    """Tell whether ``signature`` over ``data`` was made by ``public_key``'s owner."""
    try:
        Ed25519PublicKey.from_public_bytes(unb64(public_key)).verify(unb64(signature), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def fingerprint(public_key: str) -> str:
    """Return a short, printable fingerprint of a public key."""
    return hashlib.sha256(unb64(public_key)).hexdigest()[:16]


def token_hash(token: str) -> str:
    """Hash a station token for storage (only the hash is kept at HQ)."""
    return hashlib.sha256(token.encode()).hexdigest()


def encode_credential(fields: dict[str, Any]) -> str:
    """Pack a station credential into one line."""
    return CREDENTIAL_PREFIX + b64(json.dumps(fields, sort_keys=True).encode())


def decode_credential(text: str) -> dict[str, Any]:
    """Unpack a credential line, or raise ValueError with what is wrong."""
    text = text.strip()
    if not text.startswith(CREDENTIAL_PREFIX):
        raise ValueError("not a FieldReg station credential")
    try:
        fields = json.loads(unb64(text[len(CREDENTIAL_PREFIX) :]))
    except ValueError:
        raise ValueError("the credential is damaged (copy it again, whole)") from None
    needed = {"hq", "hq_url", "hq_sign_pub", "hq_box_pub", "station", "token", "sign", "box"}
    if not isinstance(fields, dict) or not needed <= fields.keys():
        raise ValueError("the credential is incomplete")
    return fields
