"""Signed counts: a convoy's final count as a statement a second agency can check.

    {"statement": {...the counts...}, "algorithm": "Ed25519", "public_key": ...,
     "fingerprint": ..., "signature": Ed25519(station's signing key, canonical statement)}

The key is the site's sync signing key (sync/keys.py): a station's own, from the credential
HQ gave it (HQ holds its public half), or HQ's; a station that has not joined yet makes one
the first time, as HQ does. The statement holds counts and a digest of the codes behind them,
never a name: it can travel to another agency by e-mail or on paper. Changing any byte of the
statement breaks the signature; ``verify`` says so, and whose key signed it (the fingerprint
is read out over the phone, or compared with the key HQ registered for that station).
"""

from __future__ import annotations

import hashlib
import json

from sqlite_utils import Database

from fieldreg import audit, bodies, convoys, reconcile, syncing, tags
from fieldreg.db import rows as db_rows
from fieldreg.db import setting, write
from sync import keys
from sync.client import credential

FORMAT = "fieldreg-convoy-count/1"
CONVOY_SHOWN = ("id", "reference", "agency", "origin", "departure_point", "destination",
                "planned_departure", "departed_at")  # fmt: skip
VEHICLE_SHOWN = ("id", "kind", "label", "plate", "expected", "announced",
                 "boarding_closed_at", "arrival_closed_at")  # fmt: skip


def canonical(statement: dict) -> bytes:
    """Return the bytes that are signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(statement, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()  # fmt: skip


def signing_key(db: Database) -> str:
    """Return this site's private signing key (the credential's, else HQ's or its own)."""
    cred = credential(db)
    if cred:
        return cred["sign"]
    with write(db):
        return syncing.hq_keys(db)["sign"]


def _digest(db: Database, vehicle_ids: list[str]) -> tuple[str, int]:
    """Hash the codes behind the counts (kind, vehicle, code), so a detailed list can be checked."""
    if not vehicle_ids:
        return hashlib.sha256(b"").hexdigest(), 0
    marks = ",".join("?" * len(vehicle_ids))
    lines = sorted(
        f"{r['kind']},{r['vehicle_id']},{r['code']}"
        for r in db_rows(
            db,
            f"select kind, vehicle_id, code from convoy_scans where vehicle_id in ({marks})",
            vehicle_ids,
        )  # fmt: skip
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest(), len(lines)


def statement(db: Database, convoy_id: str) -> dict:
    """Build the statement of a convoy's count (not signed yet)."""
    convoy = convoys.get_convoy(db, convoy_id)
    found = reconcile.convoy(db, convoy_id, limit=0)
    by_id = {v["id"]: v for v in found["vehicles"]}
    digest, lines = _digest(db, [v["id"] for v in convoy["vehicles"]])
    return {
        "format": FORMAT,
        "convoy": {k: convoy[k] for k in CONVOY_SHOWN},
        "signed_by": {
            "station": setting(db, "station_code"),
            "station_name": setting(db, "station_name") or "",
        },  # fmt: skip
        "signed_at": tags.now(),
        "vehicles": [
            {
                **{k: v[k] for k in VEHICLE_SHOWN},
                **{k: by_id[v["id"]][k] for k in ("boarded", "arrived")},
            }
            for v in convoy["vehicles"]
        ],  # fmt: skip
        "totals": {
            "vehicles": len(convoy["vehicles"]),
            "expected": found["expected"],
            "boarded": found["boarded"],
            "arrived": found["arrived"],
            **found["list_sizes"],
        },
        "scans": {"sha256": digest, "lines": lines},
    }


def sign(db: Database, convoy_id: str, actor: str | None) -> dict:
    """Sign a convoy's count with this site's key; audited."""
    body = statement(db, convoy_id)
    private = signing_key(db)
    public = keys.signing_public(private)
    signed = {
        "statement": body,
        "algorithm": "Ed25519",
        "public_key": public,
        "fingerprint": keys.fingerprint(public),
        "signature": keys.sign(private, canonical(body)),
    }
    with write(db):
        audit.log(db, actor, "sign_count", "convoys", convoy_id, signed["fingerprint"])
    return signed


def verify(data: bytes | dict, expected: str | None = None) -> dict:
    """Check a signed statement: intact and signed by the key it names (and the expected one)."""
    try:
        signed = bodies.loads(data) if isinstance(data, bytes | str) else data
        body, public = signed["statement"], signed["public_key"]
        valid = isinstance(body, dict) and keys.verify(public, signed["signature"],
                                                       canonical(body))  # fmt: skip
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return _checked(False, "This is not a FieldReg signed statement.")
    signer = (body.get("signed_by") or {}).get("station")
    if not valid:
        return _checked(False, "ALTERED: the signature does not match this statement.",
                        signer, public)  # fmt: skip
    if expected and expected not in (public, keys.fingerprint(public)):
        return _checked(False, "Signed, but by another key than the one expected.",
                        signer, public, body)  # fmt: skip
    return _checked(True, "Intact: signed by the key it names.", signer, public, body)


def _checked(valid, message, signer=None, public=None, body=None) -> dict:
    """Say what a check found (the statement only when its signature holds)."""
    return {"valid": valid, "message": message, "signer": signer, "public_key": public,
            "fingerprint": keys.fingerprint(public) if public else None, "known_key": None,
            "statement": body}  # fmt: skip


def known_key(db: Database, public: str | None) -> str | None:
    """Say whose key this is, when this site knows it (HQ's stations, this station's HQ)."""
    if not public:
        return None
    for row in db_rows(db, "select code from sync_stations where sign_pub = ?", [public]):
        return f"station {row['code']}"
    cred = credential(db)
    if cred and cred.get("hq_sign_pub") == public:
        return f"HQ {cred['hq']}"
    if public == keys.signing_public(signing_key(db)):
        return "this site"
    return None
