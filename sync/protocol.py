"""The sync protocol between a station and HQ: push, signed acknowledgement, pull.

```
 station                                                     HQ
 ───────                                                     ──
 acked = highest own seq HQ acknowledged (settings: sync_acked)
 own changes seq > acked, up to BATCH ──── POST /api/v1/sync/push ───▶ check credential,
   (zlib JSON, header Authorization:      body = batch                 every change's site
    Station <code>:<token>)                                            = the caller's code;
                                                                       ONE transaction:
                                                                         apply (dup → skip,
                                                                         gap → hold)
 verify HQ's signature,              ◀─── {"ack": {site, head, held,   commit, then answer
 acked = max(acked, head)                  ...}, "sig": Ed25519(HQ)}
 repeat while changes remain
   (a lost answer: resend from the old acked; HQ skips what it has)

 cursor = HQ storage position seen (settings: sync_cursor)
 GET /api/v1/sync/pull?since=cursor ──────────────────────────────▶ changes stored at HQ
                                                                    after `since`, in HQ's
 verify signature (X-FieldReg-Signature),  ◀── zlib JSON {changes,  storage order, from every
 ONE transaction: apply + cursor = next         next, more}         site except the caller's
 repeat while more
```
What HQ sends down is everything it stores except the station's own changes: the other
stations' records, and HQ's own decisions (corrections, links). Each side advances a
checkpoint only after the data it covers is committed, and applying is idempotent
(``(site, seq)`` at most once), so a cut at any byte, a repeat, a reorder or a restart on
either side is repaired by the next sync. A USB bundle (sync.bundle) carries the same
batch payload, and a bundle back carries a pull payload plus a signed ack.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any

from sync import apply, changelog, keys
from sync.changelog import Change

VERSION = 1
BATCH = 2000
After = Callable[[Any, apply.Result], None]


class ProtocolError(ValueError):
    """A message that is damaged, forged or from the wrong sender; nothing was applied."""


def _row(change: Change) -> list:
    return [
        change.site,
        change.seq,
        change.hlc,
        change.tbl,
        change.record_id,
        change.op,
        change.data,
        change.prev,
    ]


def _change(row: list) -> Change:
    site, seq, stamp, tbl, record_id, op, data, prev = row
    return Change(str(site), seq, str(stamp), str(tbl), str(record_id), str(op), data, prev)


def encode(payload: dict[str, Any], changes: list[Change]) -> bytes:
    """Pack a payload and its changes as compressed JSON."""
    body = {"v": VERSION, **payload, "changes": [_row(c) for c in changes]}
    return zlib.compress(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(), 6)


def decode(data: bytes) -> tuple[dict[str, Any], list[Change]]:
    """Unpack a compressed batch, or raise ProtocolError if any byte is wrong or missing."""
    try:
        body = json.loads(zlib.decompress(data))
        if body.get("v") != VERSION:
            raise ProtocolError(f"unsupported batch version {body.get('v')!r}")
        changes = [_change(r) for r in body.pop("changes")]
    except (zlib.error, ValueError, TypeError, KeyError, AttributeError) as exc:
        if isinstance(exc, ProtocolError):
            raise
        raise ProtocolError("the batch is damaged or incomplete") from None
    return body, changes


def canonical(obj: dict[str, Any]) -> bytes:
    """Serialise an object the same way on both sides, for signing."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def outgoing(db: Any, site: str, acked: int, limit: int = BATCH) -> list[Change]:
    """Return the station's own changes HQ has not acknowledged, oldest first."""
    return changelog.changes_since(db, site, acked, limit)


def receive(db: Any, sender: str, changes: list[Change], after: After | None = None) -> dict:
    """Apply a station's batch at HQ (call in one transaction); return the ack to sign."""
    strangers = {c.site for c in changes} - {sender}
    if strangers:
        raise ProtocolError(f"station {sender} cannot send changes of {sorted(strangers)}")
    here = changelog.site_of(db)
    result = apply.apply_changes(db, changes, here)
    if after:
        after(db, result)
    return {
        "hq": here,
        "site": sender,
        "head": apply.applied_head(db, sender),
        "held": result.held,
        "applied": result.applied,
        "duplicates": result.duplicates,
    }


def sign_ack(ack: dict, hq_sign: str) -> dict:
    """Wrap an ack with HQ's signature."""
    return {"ack": ack, "sig": keys.sign(hq_sign, canonical(ack))}


def check_ack(answer: dict, hq_sign_pub: str, site: str, own_head: int) -> dict:
    """Verify HQ's signed ack for this station, or raise ProtocolError."""
    ack, sig = answer.get("ack"), answer.get("sig")
    if not isinstance(ack, dict) or not isinstance(sig, str):
        raise ProtocolError("HQ's answer is not an acknowledgement")
    if not keys.verify(hq_sign_pub, sig, canonical(ack)):
        raise ProtocolError("HQ's acknowledgement is not signed by HQ's key")
    if ack.get("site") != site or not isinstance(ack.get("head"), int) or ack["head"] > own_head:
        raise ProtocolError("HQ's acknowledgement does not match this station")
    return ack


def pull_payload(db: Any, station: str, since: int, limit: int = BATCH) -> bytes:
    """Pack what HQ holds for ``station`` after position ``since``."""
    pairs = changelog.stored_after(db, since, station, limit)
    following = pairs[-1][0] if pairs else since
    more = len(pairs) == limit
    payload = {"hq": changelog.site_of(db), "for": station, "since": since, "next": following}
    return encode({**payload, "more": more}, [c for _, c in pairs])


def own_payload(db: Any, station: str, after: int, limit: int = BATCH) -> bytes:
    """Pack HQ's copies of ``station``'s own changes numbered after ``after`` (in seq order).

    Only a station restored from a backup asks for these: the changes it made after the
    backup reached HQ, and the laptop that made them is gone.
    """
    rows = db.query(
        "select * from changes where site = ? and seq > ? order by seq limit ?",
        [station, after, limit],
    )
    changes = [changelog.from_row(r) for r in rows]
    payload = {"hq": changelog.site_of(db), "for": station, "own_after": after}
    return encode({**payload, "more": len(changes) == limit}, changes)


def take_own(db: Any, payload: dict, changes: list[Change], after: After | None = None) -> int:
    """Apply a restored station's own changes back from HQ (call in one transaction).

    Their numbers must be free here: the station moved what it made since the restore after
    HQ's head first (changelog.renumber_own). Return the last seq taken.
    """
    here = changelog.site_of(db)
    if payload.get("for") != here or any(c.site != here for c in changes):
        raise ProtocolError("this batch holds changes of another station")
    result = apply.restore_own(db, changes)
    if after:
        after(db, result)
    return changes[-1].seq if changes else int(payload.get("own_after", 0))


def take_pull(
    db: Any, payload: dict, changes: list[Change], cursor: int, after: After | None = None
) -> int:
    """Apply a pulled batch at the station (call in one transaction); return the new cursor.

    The cursor moves only when the batch starts at or before it: a batch that arrives
    ahead of a lost one is applied (its gaps held) without skipping what was lost.
    """
    here = changelog.site_of(db)
    if payload.get("for") != here:
        raise ProtocolError("this batch was made for another station")
    result = apply.apply_changes(db, changes, here)
    if after:
        after(db, result)
    if int(payload.get("since", 0)) > cursor:
        return cursor
    return max(cursor, int(payload["next"]))
