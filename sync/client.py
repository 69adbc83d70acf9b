"""The station's side of sync: its checkpoints, and the HTTP client that pushes then pulls.

State lives in the station's ``settings`` table: ``sync_acked`` (own seq HQ acknowledged),
``sync_cursor`` (HQ storage position pulled), ``sync_last_ok``, ``sync_last_error``,
``sync_credential``. Checkpoints only move forward, and only after what they cover is
committed. Testable in-process: pass ``transport=httpx.WSGITransport(app=hq_app)``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import httpx

from sync import apply, changelog, keys, protocol

TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def get(db: Any, key: str, default: str | None = None) -> str | None:
    """Read one sync setting."""
    row = db.execute("select value from settings where key = ?", [key]).fetchone()
    return row[0] if row else default


def put(db: Any, key: str, value: str) -> None:
    """Store one sync setting."""
    db.execute(
        "insert into settings (key, value) values (?, ?) "
        "on conflict(key) do update set value = excluded.value",
        [key, value],
    )


def advance(db: Any, key: str, value: int) -> int:
    """Move a checkpoint forward (never back); return where it stands."""
    now = max(int(get(db, key, "0")), int(value))
    put(db, key, str(now))
    return now


def credential(db: Any) -> dict | None:
    """Return the station's stored credential, if it joined an HQ."""
    raw = get(db, "sync_credential")
    return json.loads(raw) if raw else None


def pending(db: Any) -> int:
    """Count this station's changes HQ has not acknowledged."""
    site = changelog.site_of(db)
    acked = int(get(db, "sync_acked", "0"))
    return db.execute(
        "select count(*) from changes where site = ? and seq > ?", [site, acked]
    ).fetchone()[0]


def stamp() -> str:
    """Return the current time as ISO text."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class Report:
    """What one sync did."""

    pushed: int = 0
    pulled: int = 0
    acked: int = 0
    cursor: int = 0


class Client:
    """Push a station's changes to HQ and pull what HQ has for it."""

    def __init__(self, db: Any, url: str | None = None, transport=None, after=None):
        self.db, self.after = db, after
        self.cred = credential(db)
        if not self.cred:
            raise ValueError("this station has not joined an HQ (use: join CREDENTIAL)")
        self.site = changelog.site_of(db)
        auth = f"Station {self.cred['station']}:{self.cred['token']}"
        self.http = httpx.Client(
            base_url=(url or self.cred["hq_url"]).rstrip("/"),
            transport=transport,
            timeout=TIMEOUT,
            headers={"Authorization": auth, "User-Agent": "fieldreg-sync"},
        )

    def close(self) -> None:
        """Close the HTTP connection."""
        self.http.close()

    def push(self, batch: int = protocol.BATCH) -> tuple[int, int]:
        """Send unacknowledged changes until HQ has them all; return (sent, acked)."""
        sent = 0
        if self._restored() is not None:
            self._resume_after_restore()
        acked = int(get(self.db, "sync_acked", "0"))
        own_head = self.db.execute(
            "select coalesce(max(seq), 0) from changes where site = ?", [self.site]
        ).fetchone()[0]
        while changes := protocol.outgoing(self.db, self.site, acked, batch):
            body = protocol.encode({"site": self.site}, changes)
            answer = self.http.post("/api/v1/sync/push", content=body, headers=_octets())
            _raise_for(answer)
            ack = protocol.check_ack(answer.json(), self.cred["hq_sign_pub"], self.site, own_head)
            with apply.transaction(self.db):
                acked = advance(self.db, "sync_acked", ack["head"])
            sent += len(changes)
            if ack["head"] < changes[-1].seq:
                raise protocol.ProtocolError("HQ holds this batch behind a gap; retry later")
        return sent, acked

    def _restored(self) -> int | None:
        """Return this station's own head in the backup it was restored from, if it was."""
        raw = get(self.db, "sync_restored_seq", "")
        return int(raw) if raw else None

    def _resume_after_restore(self) -> None:
        """After a restore, number the changes made since after those HQ already holds.

        HQ may hold changes of this station beyond the backup: made before the laptop was
        lost, they reached HQ. The changes made since the restore reuse their numbers, and HQ
        would take them for repeats and drop them. So HQ is asked first (an empty batch) how
        far it holds; the changes made since move after that, and nothing is lost: HQ keeps
        both, and the station takes back HQ's copies of what it had made after the backup.
        Only a station restored and not yet synced does this.
        """
        restored = self._restored() or 0
        empty = protocol.encode({"site": self.site}, [])
        answer = self.http.post("/api/v1/sync/push", content=empty, headers=_octets())
        _raise_for(answer)
        ack = protocol.check_ack(answer.json(), self.cred["hq_sign_pub"], self.site, 2**62)
        head = ack["head"]
        if head > restored:
            with apply.transaction(self.db):
                moved = changelog.renumber_own(self.db, self.site, restored, head - restored)
                put(self.db, "sync_resumed", f"{stamp()} {moved} changes after HQ's {head}")
                advance(self.db, "sync_acked", head)
            self._take_back_own(restored, head)
        with apply.transaction(self.db):
            put(self.db, "sync_restored_seq", "")

    def _take_back_own(self, restored: int, head: int, batch: int = protocol.BATCH) -> None:
        """Take back from HQ what this station made after its backup (seq restored+1..head)."""
        after = restored
        while after < head:
            payload, changes = self._signed_batch("/own", {"after": after, "limit": batch})
            changes = [c for c in changes if c.seq <= head]
            if not changes:
                break
            with apply.transaction(self.db):
                after = protocol.take_own(self.db, payload, changes, self.after)

    def _signed_batch(self, path: str, params: dict) -> tuple[dict, list]:
        """GET a batch of changes from HQ's sync API; check HQ's signature, then unpack it."""
        answer = self.http.get("/api/v1/sync" + path, params=params)
        _raise_for(answer)
        signature = answer.headers.get("X-FieldReg-Signature", "")
        if not keys.verify(self.cred["hq_sign_pub"], signature, answer.content):
            raise protocol.ProtocolError("HQ's batch is not signed by HQ's key")
        return protocol.decode(answer.content)

    def pull(self, batch: int = protocol.BATCH) -> tuple[int, int]:
        """Fetch and apply what HQ has for this station; return (received, cursor)."""
        received, more = 0, True
        cursor = int(get(self.db, "sync_cursor", "0"))
        while more:
            payload, changes = self._signed_batch("/pull", {"since": cursor, "limit": batch})
            with apply.transaction(self.db):
                following = protocol.take_pull(self.db, payload, changes, cursor, self.after)
                cursor = advance(self.db, "sync_cursor", following)
            received += len(changes)
            more = bool(payload.get("more"))
        return received, cursor

    def sync(self) -> Report:
        """Push, then pull; record the outcome for the status panel."""
        try:
            pushed, acked = self.push()
            pulled, cursor = self.pull()
        except (httpx.HTTPError, protocol.ProtocolError, apply.Refused, SyncFailed) as exc:
            with apply.transaction(self.db):
                put(self.db, "sync_last_error", f"{stamp()} {exc}")
            raise
        with apply.transaction(self.db):
            put(self.db, "sync_last_ok", stamp())
            put(self.db, "sync_last_error", "")
        return Report(pushed, pulled, acked, cursor)


class SyncFailed(RuntimeError):
    """HQ answered with an error."""


def _octets() -> dict[str, str]:
    return {"Content-Type": "application/octet-stream"}


def _raise_for(answer: httpx.Response) -> None:
    if answer.status_code >= 400:
        try:
            message = answer.json().get("error", answer.text)
        except ValueError:
            message = answer.text[:200]
        raise SyncFailed(f"HQ answered {answer.status_code}: {message}")
