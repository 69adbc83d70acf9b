"""Sync as the station and HQ see it: stations and keys, receiving a batch, after-apply work.

The protocol itself is in sync/ (no Flask); this module stores keys and credentials, keeps
HQ's list of stations, applies a station's batch at HQ (every refusal answered with its code
and logged), and does what the registry must after records arrive (search keys, normalised
phones). HQ's network endpoints are in fieldreg/sync_hq.py, USB bundles in
fieldreg/bundles.py, handing a record over in fieldreg/ownership.py, and the conflicts a
coordinator resolves in fieldreg/conflicts.py.
"""

from __future__ import annotations

import json
import logging
import secrets

import httpx
from sqlite_utils import Database

from fieldreg import codes, config, dedup, search_index, stats, subject, tracing_match
from fieldreg.db import set_setting, setting, write
from fieldreg.errors import Conflict, DomainError, Forbidden, NotFound, Refused
from sync import (
    admission,
    apply,
    bundle,
    changelog,
    client,
    keys,
    names,
    protocol,
    store,
)
from sync.authority import NotOwner
from sync.client import stamp

log = logging.getLogger(__name__)


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
        store.put_setting(db, "sync_credential", json.dumps(cred))
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


def max_ahead_ms(hours: float | None = None) -> int:
    """Return how far ahead of HQ's clock a change may be stamped, in milliseconds."""
    hours = config.from_env("SYNC_MAX_AHEAD_HOURS") if hours is None else hours
    return int(float(hours) * 3_600_000)


def receive(
    db: Database, station: str, changes: list, path: str, max_ahead_hours: float | None = None
) -> dict:
    """Apply a station's batch in one transaction; return HQ's signed ack (or refuse it all)."""
    try:
        with write(db):
            ack = protocol.receive(db, station, changes, after_apply, max_ahead_ms(max_ahead_hours))
            db.execute(
                "update sync_stations set last_sync_at = ?, last_path = ?, "
                "received = received + ?, last_error = null where code = ?",
                [stamp(), path, ack["applied"], station],
            )
            signed = protocol.sign_ack(ack, hq_keys(db)["sign"])
    except (protocol.ProtocolError, apply.Refused, admission.Refusal, NotOwner) as exc:
        _note_error(db, station, str(exc))
        log.warning("sync batch from station %s refused (%s): %s", station, path, exc)
        raise _refusal(exc, path) from None
    if ack["applied"]:
        _dedup_new(db)
        _trace_new(db)
    return signed


def _refusal(exc: Exception, path: str) -> DomainError:
    """Return the domain error a refused batch answers, with its stable code."""
    if isinstance(exc, NotOwner):
        # The change refused, by the station's own number: its admin can set it aside.
        fields = {"seq": [str(exc.seq)]} if exc.seq is not None else None
        return Forbidden(f"The batch was refused: {exc}.", fields, code="not_owner")
    if isinstance(exc, admission.ClockAhead):
        hint = (
            " Then import HQ's latest bundle at the station and export again."
            if path == "bundle"
            else ""
        )
        return DomainError(f"The batch was refused: {exc}.{hint}", code="clock_ahead")
    if isinstance(exc, admission.NumberReused):
        return Conflict(f"The batch was refused: {exc}.", code="seq_reused")
    if isinstance(exc, protocol.ProtocolError):
        return Forbidden(str(exc))
    return DomainError(f"The batch was refused: {exc}.", code="batch_refused")


def _dedup_new(db: Database) -> None:
    """Deduplicate the people just received, after the batch is committed."""
    try:
        dedup.after_receive(db)
    except Exception:  # noqa: BLE001  the batch is applied and acked; a full run catches up
        log.exception("incremental dedup failed")


def _trace_new(db: Database) -> None:
    """Match what was just received against open tracing cases (HQ: after the next sync)."""
    try:
        tracing_match.refresh(db)
    except Exception:  # noqa: BLE001  the batch is applied and acked; the page refreshes too
        logging.getLogger(__name__).exception("tracing refresh failed")


def _note_error(db: Database, station: str, message: str) -> None:
    with write(db):
        db.execute("update sync_stations set last_error = ? where code = ?", [message, station])


def hq_box(db: Database) -> str:
    """Return HQ's private bundle key (made on first use)."""
    raw = setting(db, "sync_keys")
    if raw:
        return json.loads(raw)["box"]
    with write(db):
        return hq_keys(db)["box"]


def open_sealed(db: Database, data: bytes, box: str, sender_key, limit: int | None = None) -> tuple:
    """Open a sealed batch or bundle; refuse it (413 or 400, one shape) if it is bad."""
    try:
        return protocol.open_sealed(data, box, sender_key, limit)
    except bundle.TooLarge as exc:
        raise Refused(413, str(exc), "too_large") from None
    except bundle.BundleError as exc:
        raise DomainError(str(exc), code="batch_refused") from None


def seal_for(db: Database, station: str, payload: dict, changes: list) -> bytes:
    """Seal a payload to a station's own key, signed by HQ."""
    rows = list(db.query("select box_pub from sync_stations where code = ?", [station]))
    if not rows:
        raise NotFound(f"No station {station} is registered here.")
    with write(db):
        sign = hq_keys(db)["sign"]
    return protocol.seal(payload, changes, changelog.site_of(db), sign, rows[0]["box_pub"])


def station_key(db: Database, code: str) -> str | None:
    """Return a registered station's public signing key (None if HQ does not know it)."""
    rows = list(db.query("select sign_pub from sync_stations where code = ?", [code]))
    return rows[0]["sign_pub"] if rows else None


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
