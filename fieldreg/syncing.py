"""Sync as the station and HQ see it: stations and keys, receiving, bundles, after-apply work.

The protocol itself is in sync/ (no Flask); this module stores keys and credentials, keeps
HQ's list of stations, and does what the registry must after records arrive (search keys,
normalised phones). The conflicts a coordinator resolves are in fieldreg/conflicts.py.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

import httpx
from sqlite_utils import Database

from fieldreg import codes, dedup, search_index, stats, subject
from fieldreg.db import set_setting, setting, write
from fieldreg.errors import Conflict, DomainError, Forbidden, NotFound
from sync import apply, bundle, changelog, client, keys, names, protocol
from sync.client import advance, credential, get, put, stamp


def after_apply(db: Database, result: apply.Result) -> None:
    """Bring local derived data (search keys, phones) up to date; forget what was erased."""
    _update_derived(db, result)
    subject.forget_erased(db, *subject.erased_among(db, result.touched, result.created))


def _update_derived(db: Database, result: apply.Result) -> None:
    """Index new and changed people, normalise new and changed phones."""
    for (tbl, record_id), (rowid, row) in result.created.items():
        if tbl == "people":
            search_index.index_new_people(db, [(rowid, row)])
        elif tbl == "households" and row.get("phone"):
            phone = names.normalize_phone(row["phone"]) or None
            db.conn.execute("update households set phone_norm = ? where id = ?", [phone, record_id])
    for tbl, record_id in result.touched - result.created.keys():
        if tbl == "people":
            row = apply.current_row(db, "people", record_id)
            if row is not None and row["deleted"]:
                search_index.unindex_person(db, record_id)
            elif row is not None:
                search_index.index_person(db, row)
        elif tbl == "households":
            row = next(db.query("select phone from households where id = ?", [record_id]), None)
            if row is not None:
                phone = names.normalize_phone(row["phone"]) if row["phone"] else None
                db.execute(
                    "update households set phone_norm = ? where id = ?", [phone or None, record_id]
                )


def last_syncs(db: Database, period: stats.Period) -> dict | None:
    """Provide each station's last sync time (HQ only; None elsewhere)."""
    if not db["sync_stations"].exists():
        return None
    rows = db.query("select code, last_sync_at from sync_stations")
    return {r["code"]: r["last_sync_at"] for r in rows} or None


def register() -> None:
    """Contribute HQ's last sync per station to the figures."""
    stats.provide("last_sync", last_syncs)


def hq_keys(db: Database) -> dict[str, str]:
    """Return HQ's private keys, making them on first use (call inside a write)."""
    raw = setting(db, "sync_keys")
    if raw:
        return json.loads(raw)
    made = keys.generate()
    set_setting(db, "sync_keys", json.dumps(made))
    return made


def add_station(db: Database, code: str, name: str, url: str) -> str:
    """Register a station at HQ; return its one-line credential (shown once)."""
    code = (code or "").strip().upper()
    if not codes.is_valid_prefix(code):
        raise DomainError(f"A station code is three characters from {codes.ALPHABET}.")
    with write(db):
        if code == setting(db, "station_code"):
            raise Conflict("This is HQ's own code.")
        if list(db.query("select 1 from sync_stations where code = ?", [code])):
            raise Conflict(f"Station {code} is already registered.")
        hq = hq_keys(db)
        own, token = keys.generate(), secrets.token_urlsafe(32)
        public = keys.public(own)
        db.table("sync_stations").insert(
            {
                "code": code,
                "name": name,
                "token_hash": keys.token_hash(token),
                "sign_pub": public["sign_pub"],
                "box_pub": public["box_pub"],
                "created_at": stamp(),
            }
        )
        hq_public = keys.public(hq)
    return keys.encode_credential(
        {
            "hq": setting(db, "station_code"),
            "hq_url": url,
            "hq_sign_pub": hq_public["sign_pub"],
            "hq_box_pub": hq_public["box_pub"],
            "station": code,
            "token": token,
            **own,
        }
    )


def join(db: Database, text: str) -> dict:
    """Store HQ's credential at the station (taking its station code if still free)."""
    try:
        cred = keys.decode_credential(text)
    except ValueError as exc:
        raise DomainError(f"This credential cannot be used: {exc}.") from None
    with write(db):
        here = setting(db, "station_code")
        if here != cred["station"]:
            if list(db.query("select 1 from changes limit 1")):
                raise Conflict(
                    f"This station ({here}) already has records; the credential is for "
                    f"{cred['station']}."
                )
            set_setting(db, "station_code", cred["station"])
        put(db, "sync_credential", json.dumps(cred))
    return cred


def authenticate(db: Database, header: str | None) -> str | None:
    """Return the station code a ``Station CODE:TOKEN`` header proves, or None."""
    scheme, _, value = (header or "").partition(" ")
    code, _, token = value.partition(":")
    if scheme.lower() != "station" or not code or not token:
        return None
    rows = list(db.query("select token_hash from sync_stations where code = ?", [code]))
    if not rows or not secrets.compare_digest(rows[0]["token_hash"], keys.token_hash(token)):
        return None
    return code


def receive(db: Database, station: str, changes: list, path: str) -> dict:
    """Apply a station's batch in one transaction; return HQ's signed ack."""
    try:
        with write(db):
            ack = protocol.receive(db, station, changes, after_apply)
            db.execute(
                "update sync_stations set last_sync_at = ?, last_path = ?, "
                "received = received + ?, last_error = null where code = ?",
                [stamp(), path, ack["applied"], station],
            )
            signed = protocol.sign_ack(ack, hq_keys(db)["sign"])
    except (protocol.ProtocolError, apply.Refused) as exc:
        _note_error(db, station, str(exc))
        if isinstance(exc, protocol.ProtocolError):
            raise Forbidden(str(exc)) from None
        raise DomainError(f"The batch was refused: {exc}.", code="batch_refused") from None
    if ack["applied"]:
        _dedup_new(db)
    return signed


def _dedup_new(db: Database) -> None:
    """Deduplicate the people just received, after the batch is committed."""
    try:
        dedup.after_receive(db)
    except Exception:  # noqa: BLE001  the batch is applied and acked; a full run catches up
        logging.getLogger(__name__).exception("incremental dedup failed")


def _note_error(db: Database, station: str, message: str) -> None:
    with write(db):
        db.execute("update sync_stations set last_error = ? where code = ?", [message, station])


def receive_push(db: Database, station: str, body: bytes) -> dict:
    """Decode a pushed batch and apply it."""
    try:
        _payload, changes = protocol.decode(body)
    except protocol.ProtocolError as exc:
        raise DomainError(f"The batch was refused: {exc}.", code="batch_refused") from None
    return receive(db, station, changes, "network")


def pull_for(db: Database, station: str, since: int, limit: int) -> tuple[bytes, str]:
    """Return what HQ has for a station after ``since``, and HQ's signature of it."""
    return _signed(db, protocol.pull_payload, station, since, limit)


def own_for(db: Database, station: str, after: int, limit: int) -> tuple[bytes, str]:
    """Return HQ's copies of a station's own changes after seq ``after``, signed."""
    return _signed(db, protocol.own_payload, station, after, limit)


def _signed(db: Database, payload, station: str, position: int, limit: int) -> tuple:
    """Pack a batch for a station (limit kept within 1..5000) and sign it with HQ's key."""
    with write(db):
        sign = hq_keys(db)["sign"]
    body = payload(db, station, max(0, position), max(1, min(limit, 5000)))
    return body, keys.sign(sign, body)


def export_bundle(db: Database, for_station: str | None = None) -> tuple[bytes, int]:
    """Write a bundle: a station's unacknowledged changes, or (at HQ) all HQ has for one."""
    if for_station:
        return _export_for_station(db, for_station.upper())
    cred = credential(db)
    if not cred:
        raise DomainError(
            "This station has not joined an HQ (use: join CREDENTIAL).", code="not_joined"
        )
    if get(db, "sync_restored_seq", ""):
        raise Conflict(
            "This station was restored from a backup and has not heard from HQ since: import "
            "HQ's latest bundle first (or sync over the network), or HQ would take the "
            "changes made since the restore for repeats of older ones and drop them."
        )
    site = changelog.site_of(db)
    acked = int(get(db, "sync_acked", "0"))
    changes = changelog.changes_since(db, site, acked, limit=10**9)
    payload = {"kind": "push", "site": site, "changes": [protocol._row(c) for c in changes]}
    return bundle.seal(payload, site, cred["sign"], cred["hq_box_pub"]), len(changes)


def _export_for_station(db: Database, code: str) -> tuple[bytes, int]:
    rows = list(db.query("select box_pub from sync_stations where code = ?", [code]))
    if not rows:
        raise NotFound(f"No station {code} is registered here.")
    with write(db):
        hq = hq_keys(db)
    pairs = changelog.stored_after(db, 0, code, limit=10**9)
    ack = {"hq": changelog.site_of(db), "site": code, "head": apply.applied_head(db, code)}
    payload = {
        "kind": "pull",
        "for": code,
        "next": pairs[-1][0] if pairs else 0,
        "ack": protocol.sign_ack(ack, hq["sign"]),
        "changes": [protocol._row(c) for _, c in pairs],
    }
    return bundle.seal(payload, ack["hq"], hq["sign"], rows[0]["box_pub"]), len(pairs)


def import_bundle(db: Database, data: bytes) -> dict[str, Any]:
    """Check and apply a bundle (HQ: from a station; station: from HQ); nothing on refusal."""
    cred = credential(db)
    try:
        if cred:
            sender, payload = bundle.open_bundle(
                data, cred["box"], lambda s: cred["hq_sign_pub"] if s == cred["hq"] else None
            )
        else:
            with write(db):
                box = hq_keys(db)["box"]
            sender, payload = bundle.open_bundle(data, box, lambda s: _station_key(db, s))
        changes = [protocol._change(r) for r in payload.get("changes", [])]
    except bundle.BundleError as exc:
        raise DomainError(str(exc), code="batch_refused") from None
    except (TypeError, ValueError):
        raise DomainError("The bundle's content is damaged.", code="batch_refused") from None
    if cred:
        return _import_at_station(db, cred, payload, changes)
    ack = receive(db, sender, changes, "bundle")["ack"]
    return {"from": sender, "changes": len(changes), **ack}


def _station_key(db: Database, code: str) -> str | None:
    rows = list(db.query("select sign_pub from sync_stations where code = ?", [code]))
    return rows[0]["sign_pub"] if rows else None


def _import_at_station(db: Database, cred: dict, payload: dict, changes: list) -> dict:
    if payload.get("kind") != "pull":
        raise DomainError("This bundle is not meant for a station.")
    site = changelog.site_of(db)
    own = db.execute("select coalesce(max(seq),0) from changes where site = ?", [site]).fetchone()
    restored = get(db, "sync_restored_seq", "")
    try:
        ceiling = 2**62 if restored else own[0]  # restored: HQ may hold more of ours
        ack = protocol.check_ack(payload["ack"], cred["hq_sign_pub"], site, ceiling)
        with write(db):
            if restored:  # what was made since the restore goes after what HQ holds
                if ack["head"] > int(restored):
                    shift = ack["head"] - int(restored)
                    changelog.renumber_own(db, site, int(restored), shift)
                put(db, "sync_restored_seq", "")
            cursor = int(get(db, "sync_cursor", "0"))
            following = protocol.take_pull(
                db, {**payload, "since": 0}, changes, cursor, after_apply
            )
            advance(db, "sync_cursor", following)
            advance(db, "sync_acked", ack["head"])
    except (protocol.ProtocolError, apply.Refused) as exc:
        raise DomainError(f"The bundle was refused: {exc}.", code="batch_refused") from None
    return {"from": cred["hq"], "changes": len(changes), "head": ack["head"]}


def run_sync(db: Database, url: str | None = None, transport=None) -> client.Report:
    """Push then pull once against HQ; raise DomainError with the reason if it fails."""
    try:
        station = client.Client(db, url, transport=transport, after=after_apply)
    except ValueError as exc:
        raise DomainError(str(exc)) from None
    try:
        return station.sync()
    except (httpx.HTTPError, protocol.ProtocolError, apply.Refused, client.SyncFailed) as exc:
        raise DomainError(f"Sync failed: {exc}") from None
    finally:
        station.close()
