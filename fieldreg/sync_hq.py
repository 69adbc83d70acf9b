"""HQ's side of a station's network sync: sealed batches in, sealed pulls and own changes out.

Every body is the envelope of USB bundles (sync/bundle.py): a push must be signed by the
station whose credential called, and what goes back is sealed to that station's own key and
signed by HQ, cut down to what it needs to know (sync/need_to_know.py). The endpoints are in
fieldreg/api/sync.py; receiving, refusals and bundles are in fieldreg/syncing.py.
"""

from __future__ import annotations

from sqlite_utils import Database

from fieldreg import syncing
from fieldreg.errors import DomainError
from sync import need_to_know, protocol

MOST = 5000  # changes in one answer, whatever a station asks for


def receive_push(db: Database, station: str, body: bytes) -> dict:
    """Open a station's sealed batch (signed by that station, for HQ) and apply it."""
    public = syncing.station_key(db, station)
    _sender, payload, changes = syncing.open_sealed(
        db,
        body,
        syncing.hq_box(db),
        lambda s: public if s == station else None,
        protocol.HTTP_MAX_PLAIN,
    )
    if payload.get("kind") != "push":
        raise DomainError("The batch was refused: not a station's push.", code="batch_refused")
    return syncing.receive(db, station, changes, "network")


def pull_for(db: Database, station: str, since: int, limit: int) -> bytes:
    """Seal what HQ has for a station after ``since``, cut down to what it needs to know."""
    redact = need_to_know.redactor(db, station)
    payload, changes = protocol.pull_batch(db, station, max(0, since), _limit(limit), redact)
    return syncing.seal_for(db, station, payload, changes)


def own_for(db: Database, station: str, after: int, limit: int) -> bytes:
    """Seal HQ's copies of a station's own changes after seq ``after``."""
    payload, changes = protocol.own_batch(db, station, max(0, after), _limit(limit))
    return syncing.seal_for(db, station, payload, changes)


def _limit(limit: int) -> int:
    return max(1, min(limit, MOST))
