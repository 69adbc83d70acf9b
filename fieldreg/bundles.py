"""USB bundles: a station's unacknowledged changes out to HQ, and HQ's for a station back.

A bundle is the envelope drawn in sync/bundle.py, the same as sync over HTTP. At HQ, a
station's bundle is received like a push (fieldreg.syncing.receive: the same admission and
authority checks, nothing applied on refusal); HQ's bundle for a station holds what that
station needs to know (sync/need_to_know.py) and HQ's signed ack, which the station reads
like any ack (sync.client.reconcile: its numbering after a restore, HQ's clock).
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from fieldreg.db import write
from fieldreg.errors import Conflict, DomainError, NotFound
from fieldreg.syncing import (
    after_apply,
    hq_box,
    hq_keys,
    max_ahead_ms,
    open_sealed,
    receive,
    seal_for,
    station_key,
)
from sync import apply, changelog, client, need_to_know, protocol, repair, store
from sync.client import credential


def export_bundle(db: Database, for_station: str | None = None) -> tuple[bytes, int]:
    """Write a bundle: a station's unacknowledged changes, or (at HQ) all HQ has for one."""
    if for_station:
        return _export_for_station(db, for_station.upper())
    cred = credential(db)
    if not cred:
        raise DomainError(
            "This station has not joined an HQ (use: join CREDENTIAL).", code="not_joined"
        )
    if store.setting(db, "sync_restored_seq", ""):
        raise Conflict(
            "This station was restored from a backup and has not heard from HQ since: import "
            "HQ's latest bundle first (or sync over the network), or HQ would take the "
            "changes made since the restore for repeats of older ones and drop them."
        )
    site = changelog.site_of(db)
    acked = int(store.setting(db, "sync_acked", "0"))
    changes = changelog.changes_since(db, site, acked, limit=10**9)
    payload = {"kind": "push", "site": site}
    return protocol.seal(payload, changes, site, cred["sign"], cred["hq_box_pub"]), len(changes)


def _export_for_station(db: Database, code: str) -> tuple[bytes, int]:
    """Seal all HQ has for a station, cut down to what it needs to know, with a signed ack."""
    if not list(db.query("select 1 from sync_stations where code = ?", [code])):
        raise NotFound(f"No station {code} is registered here.")
    pairs = changelog.stored_after(db, 0, code, limit=10**9)
    redact = need_to_know.redactor(db, code)
    with write(db):
        sign = hq_keys(db)["sign"]
    ack = {**protocol.ack_for(db, code), "max_ahead_ms": max_ahead_ms()}
    payload = {
        "kind": "pull",
        "for": code,
        "next": pairs[-1][0] if pairs else 0,
        "ack": protocol.sign_ack(ack, sign),
    }
    changes = [redact(c) for _, c in pairs]
    return seal_for(db, code, payload, changes), len(changes)


def import_bundle(db: Database, data: bytes) -> dict[str, Any]:
    """Check and apply a bundle (HQ: from a station; station: from HQ); nothing on refusal."""
    cred = credential(db)
    if cred:
        hq_key = cred["hq_sign_pub"]
        _sender, payload, changes = open_sealed(
            db, data, cred["box"], lambda s: hq_key if s == cred["hq"] else None
        )
        return _import_at_station(db, cred, payload, changes)
    sender, payload, changes = open_sealed(db, data, hq_box(db), lambda s: station_key(db, s))
    if payload.get("kind") != "push":
        raise DomainError("This bundle is not meant for HQ.", code="batch_refused")
    ack = receive(db, sender, changes, "bundle")["ack"]
    return {"from": sender, "changes": len(changes), **ack}


def _import_at_station(db: Database, cred: dict, payload: dict, changes: list) -> dict:
    """Apply HQ's bundle at the station: HQ's ack, then what HQ has (counting what was new)."""
    if payload.get("kind") != "pull":
        raise DomainError("This bundle is not meant for a station.", code="batch_refused")
    site = changelog.site_of(db)
    try:
        ack = protocol.check_ack(payload.get("ack") or {}, cred["hq_sign_pub"], site)
        with write(db):
            acked = client.reconcile(db, site, ack)
            cursor = int(store.setting(db, "sync_cursor", "0"))
            following, result = protocol.apply_pull(
                db, {**payload, "since": 0}, changes, cursor, after_apply
            )
            store.advance(db, "sync_cursor", following)
            restamped = repair.restamp_beyond(
                db, site, acked, ack["now"], int(ack.get("max_ahead_ms", max_ahead_ms()))
            )
    except (protocol.ProtocolError, apply.Refused, ValueError, KeyError) as exc:
        raise DomainError(f"The bundle was refused: {exc}.", code="batch_refused") from None
    return {
        "from": cred["hq"],
        "changes": len(changes),
        "applied": result.applied,
        "head": ack["head"],
        "restamped": restamped,
    }
