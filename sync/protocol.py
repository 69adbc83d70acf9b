"""The sync protocol between a station and HQ: push, signed acknowledgement, pull.

```
 station                                                     HQ
 ───────                                                     ──
 acked = highest own seq HQ acknowledged (settings: sync_acked)
 own changes seq > acked, up to BATCH ──── POST /api/v1/sync/push ───▶ check credential;
   sealed: encrypted to HQ, signed by     body = envelope (sync.bundle) open: signed by
   the station (Authorization:                                         that station; then
   Station <code>:<token>)                                             every change: site =
                                                                       caller, clock sane,
                                                                       numbers not reused,
                                                                       authority (sync.
                                                                       authority); ONE
                                                                       transaction: apply
                                                                       (dup → skip, gap →
 verify HQ's signature; the ack's      ◀─── {"ack": {site, head,        hold), commit, then
 head and head_hlc confirm the station's     head_hlc, now, held, ...}, answer
 numbering (client.reconcile),               "sig": Ed25519(HQ)}
 acked = max(acked, head)
 repeat while changes remain
   (a lost answer: resend from the old acked; HQ skips what it has)

 cursor = HQ storage position seen (settings: sync_cursor)
 GET /api/v1/sync/pull?since=cursor ──────────────────────────────▶ changes stored at HQ
                                                                    after `since`, in HQ's
 open the envelope (sealed to this      ◀── envelope {changes,      storage order, from every
 station's own key, signed by HQ);          next, more}             site except the caller's,
 ONE transaction: apply + cursor = next                             each cut down to what
 repeat while more                                                  the station needs to know
```
What HQ sends down is everything it stores except the station's own changes: the other
stations' records, and HQ's own decisions (corrections, links, ownership), each cut down by
HQ's need-to-know rule (a change is never left out: numbering stays gapless, its content may
be emptied). Each side advances a checkpoint only after the data it covers is committed, and
applying is idempotent (``(site, seq)`` at most once), so a cut at any byte, a repeat, a
reorder or a restart on either side is repaired by the next sync. Both directions travel in
the envelope of USB bundles (sync.bundle), so plain HTTP on a shared network shows nothing
readable, and a sniffed station token can neither read a pull nor forge a push. A USB bundle
carries the same push payload, and a bundle back carries a pull payload plus a signed ack.

HQ refuses a whole batch (nothing applied) when a change is malformed, is another site's,
or is not admitted (sync.admission): stamped too far ahead of HQ's clock, numbered like a
different change HQ holds, or not the sender's to make (sync.authority).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any

from sync import admission, apply, bundle, changelog, hlc, keys
from sync.changelog import Change

VERSION = 1
BATCH = 2000
HTTP_MAX_PLAIN = 64 * 1024 * 1024  # a batch of BATCH changes unpacks to a few MB
After = Callable[[Any, apply.Result], None]
Redact = Callable[[Change], Change]


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


SCALARS = (str, int, float, type(None))  # what a column holds (bool is an int)


def _change(row: list) -> Change:
    """Read one change; raise ValueError unless its parts have the shapes a site writes (a
    value that is a list or an object, or a seq that is not a number, answered 500 at HQ)."""
    site, seq, stamp, tbl, record_id, op, data, prev = row
    if not isinstance(seq, int) or isinstance(seq, bool) or not isinstance(data, dict):
        raise ValueError("a change's seq is a number and its data an object")
    for values in (data, prev or {}):
        if not isinstance(values, dict) or not all(
            isinstance(k, str) and isinstance(v, SCALARS) for k, v in values.items()
        ):
            raise ValueError("a change holds column values")
    return Change(str(site), seq, str(stamp), str(tbl), str(record_id), str(op), data, prev)


def rows(changes: list[Change]) -> list[list]:
    """Return changes as the lists a payload carries."""
    return [_row(c) for c in changes]


def from_rows(items: Any) -> list[Change]:
    """Read a payload's changes, or raise ProtocolError if any is malformed."""
    try:
        return [_change(r) for r in items]
    except (ValueError, TypeError):
        raise ProtocolError("the batch is damaged or incomplete") from None


def encode(payload: dict[str, Any], changes: list[Change]) -> bytes:
    """Pack a payload and its changes as compressed JSON (unsealed: in-process use only)."""
    body = {"v": VERSION, **payload, "changes": rows(changes)}
    return zlib.compress(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(), 6)


def decode(data: bytes, limit: int = HTTP_MAX_PLAIN) -> tuple[dict[str, Any], list[Change]]:
    """Unpack a compressed batch, or raise ProtocolError if any byte is wrong or missing."""
    try:
        body = bundle.loads(bundle.inflate(data, limit))
        if body.get("v") != VERSION:
            raise ProtocolError(f"unsupported batch version {body.get('v')!r}")
        changes = [_change(r) for r in body.pop("changes")]
    except (zlib.error, ValueError, TypeError, KeyError, AttributeError) as exc:
        if isinstance(exc, ProtocolError | bundle.TooLarge):
            raise
        raise ProtocolError("the batch is damaged or incomplete") from None
    return body, changes


def seal(
    payload: dict[str, Any], changes: list[Change], sender: str, sign: str, to_box_pub: str
) -> bytes:
    """Seal a payload and its changes: encrypted to the receiver, signed by the sender."""
    body = {"v": VERSION, **payload, "changes": rows(changes)}
    return bundle.seal(body, sender, sign, to_box_pub)


def open_sealed(
    data: bytes,
    box: str,
    sender_key: Callable[[str], str | None],
    max_plain: int | None = None,
) -> tuple[str, dict[str, Any], list[Change]]:
    """Open a sealed batch; return sender, payload and changes (bundle.BundleError if bad)."""
    sender, payload = bundle.open_bundle(data, box, sender_key, max_plain)
    if not isinstance(payload, dict) or not isinstance(payload.get("changes", []), list):
        raise bundle.BundleError("The bundle's content is damaged.")
    try:
        changes = from_rows(payload.pop("changes", []))
    except ProtocolError:
        raise bundle.BundleError("The bundle's content is damaged.") from None
    return sender, payload, changes


def canonical(obj: dict[str, Any]) -> bytes:
    """Serialise an object the same way on both sides, for signing."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def outgoing(db: Any, site: str, acked: int, limit: int = BATCH) -> list[Change]:
    """Return the station's own changes HQ has not acknowledged, oldest first."""
    return changelog.changes_since(db, site, acked, limit)


def receive(
    db: Any,
    sender: str,
    changes: list[Change],
    after: After | None = None,
    max_ahead_ms: int | None = None,
) -> dict:
    """Apply a station's batch at HQ (call in one transaction); return the ack to sign.

    Refuse the whole batch if any change is another site's (ProtocolError), malformed
    (apply.Refused), or not admitted (sync.admission: clock, numbers, authority).
    """
    strangers = {c.site for c in changes} - {sender}
    if strangers:
        raise ProtocolError(f"station {sender} cannot send changes of {sorted(strangers)}")
    for change in changes:
        apply.check(change)
    admission.admit(db, sender, changes, max_ahead_ms)
    here = changelog.site_of(db)
    result = apply.apply_changes(db, changes, here)
    if after:
        after(db, result)
    return {
        **ack_for(db, sender),
        "held": result.held,
        "applied": result.applied,
        "duplicates": result.duplicates,
    }


def ack_for(db: Any, site: str) -> dict:
    """Return what HQ acknowledges of a site: its head, that change's clock, HQ's clock now."""
    head = apply.applied_head(db, site)
    row = db.execute("select hlc from changes where site = ? and seq = ?", [site, head]).fetchone()
    return {
        "hq": changelog.site_of(db),
        "site": site,
        "head": head,
        "head_hlc": row[0] if row else None,
        "now": str(hlc.Timestamp(hlc.wall_millis())),
    }


def sign_ack(ack: dict, hq_sign: str) -> dict:
    """Wrap an ack with HQ's signature."""
    return {"ack": ack, "sig": keys.sign(hq_sign, canonical(ack))}


def check_ack(answer: dict, hq_sign_pub: str, site: str, own_head: int | None = None) -> dict:
    """Verify HQ's signed ack for this station, or raise ProtocolError.

    An ack may be ahead of ``own_head`` (a restored station): client.reconcile deals with it.
    """
    ack, sig = answer.get("ack"), answer.get("sig")
    if not isinstance(ack, dict) or not isinstance(sig, str):
        raise ProtocolError("HQ's answer is not an acknowledgement")
    if not keys.verify(hq_sign_pub, sig, canonical(ack)):
        raise ProtocolError("HQ's acknowledgement is not signed by HQ's key")
    head = ack.get("head")
    if ack.get("site") != site or not isinstance(head, int) or isinstance(head, bool):
        raise ProtocolError("HQ's acknowledgement does not match this station")
    if own_head is not None and head > own_head:
        raise ProtocolError("HQ's acknowledgement does not match this station")
    return ack


def pull_batch(
    db: Any, station: str, since: int, limit: int = BATCH, redact: Redact | None = None
) -> tuple[dict[str, Any], list[Change]]:
    """Return what HQ holds for ``station`` after position ``since``, cut down by ``redact``."""
    pairs = changelog.stored_after(db, since, station, limit)
    following = pairs[-1][0] if pairs else since
    changes = [c for _, c in pairs]
    if redact is not None:
        changes = [redact(c) for c in changes]
    payload = {"hq": changelog.site_of(db), "for": station, "since": since, "next": following}
    return {**payload, "more": len(pairs) == limit}, changes


def pull_payload(db: Any, station: str, since: int, limit: int = BATCH) -> bytes:
    """Pack what HQ holds for ``station`` after position ``since`` (unsealed, in-process)."""
    return encode(*pull_batch(db, station, since, limit))


def own_batch(
    db: Any, station: str, after: int, limit: int = BATCH
) -> tuple[dict[str, Any], list[Change]]:
    """Return HQ's copies of ``station``'s own changes numbered after ``after`` (in seq order).

    Only a station restored from a backup asks for these: the changes it made after the
    backup reached HQ, and the laptop that made them is gone.
    """
    rows_ = db.query(
        "select * from changes where site = ? and seq > ? order by seq limit ?",
        [station, after, limit],
    )
    changes = [changelog.from_row(r) for r in rows_]
    payload = {"hq": changelog.site_of(db), "for": station, "own_after": after}
    return {**payload, "more": len(changes) == limit}, changes


def own_payload(db: Any, station: str, after: int, limit: int = BATCH) -> bytes:
    """Pack HQ's copies of ``station``'s own changes after ``after`` (unsealed, in-process)."""
    return encode(*own_batch(db, station, after, limit))


def take_own(db: Any, payload: dict, changes: list[Change], after: After | None = None) -> int:
    """Apply a restored station's own changes back from HQ (call in one transaction).

    Their numbers must be free here: the station moved what it made since the restore after
    HQ's head first (client.reconcile). Return the last seq taken.
    """
    here = changelog.site_of(db)
    if payload.get("for") != here or any(c.site != here for c in changes):
        raise ProtocolError("this batch holds changes of another station")
    result = apply.restore_own(db, changes)
    if after:
        after(db, result)
    return changes[-1].seq if changes else int(payload.get("own_after", 0))


def apply_pull(
    db: Any, payload: dict, changes: list[Change], cursor: int, after: After | None = None
) -> tuple[int, apply.Result]:
    """Apply a pulled batch at the station (call in one transaction); return cursor, result.

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
        return cursor, result
    return max(cursor, int(payload["next"])), result


def take_pull(
    db: Any, payload: dict, changes: list[Change], cursor: int, after: After | None = None
) -> int:
    """Apply a pulled batch at the station (call in one transaction); return the new cursor."""
    return apply_pull(db, payload, changes, cursor, after)[0]
