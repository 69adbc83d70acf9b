"""The station's side of sync: its checkpoints, and the HTTP client that pushes then pulls.

State lives in the station's ``settings`` table: ``sync_acked`` (own seq HQ acknowledged),
``sync_cursor`` (HQ storage position pulled), ``sync_last_ok``, ``sync_last_error``,
``sync_credential``; after a restore from a backup, ``sync_restored_seq`` (the backup's own
head, until HQ was heard from), ``sync_prefix_seq`` (the same, kept: changes up to it are the
lost laptop's too) and ``sync_take_back`` (own changes only HQ still holds). Checkpoints only
move forward, and only after what they cover is committed. Every ack is read by
:func:`reconcile`, over HTTP and from USB bundles alike. Bodies travel sealed (sync.bundle).
Testable in-process: pass ``transport=httpx.WSGITransport(app=hq_app)``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import httpx

from sync import apply, bundle, changelog, hlc, protocol, repair, store

TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def credential(db: Any) -> dict | None:
    """Return the station's stored credential, if it joined an HQ."""
    raw = store.setting(db, "sync_credential")
    return json.loads(raw) if raw else None


def pending(db: Any) -> int:
    """Count this station's changes HQ has not acknowledged."""
    site = changelog.site_of(db)
    acked = int(store.setting(db, "sync_acked", "0"))
    return db.execute(
        "select count(*) from changes where site = ? and seq > ?", [site, acked]
    ).fetchone()[0]


def stamp() -> str:
    """Return the current time as ISO text."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def reconcile(db: Any, site: str, ack: dict) -> int:
    """Read HQ's verified ack of this station (call in a transaction); return ``sync_acked``.

    When HQ holds this station's changes up to ``head`` and the one at ``head`` is not this
    station's (another clock, or missing: the changes a lost laptop made after the backup
    this station was restored from), the changes not yet confirmed move after ``head`` so
    that HQ takes them, and HQ's copies are to be taken back (``sync_take_back``).
    """
    head, acked = int(ack["head"]), int(store.setting(db, "sync_acked", "0"))
    if head > acked:
        mine = db.execute(
            "select hlc from changes where site = ? and seq = ?", [site, head]
        ).fetchone()
        if mine is None or mine[0] != ack.get("head_hlc", mine[0]):
            floor = max(acked, int(store.setting(db, "sync_prefix_seq", "0") or 0))
            if head > floor:
                moved = repair.renumber_own(db, site, floor, head - floor)
                store.put_setting(
                    db, "sync_resumed", f"{stamp()} {moved} changes after HQ's {head}"
                )
                store.put_setting(db, "sync_take_back", f"{floor}:{head}")
        acked = store.advance(db, "sync_acked", head)
    store.put_setting(db, "sync_restored_seq", "")
    return acked


@dataclass
class Report:
    """What one sync did."""

    pushed: int = 0
    pulled: int = 0
    acked: int = 0
    cursor: int = 0


class SyncFailed(RuntimeError):
    """HQ answered with an error (``code`` is the error's stable code, ``fields`` its fields)."""

    def __init__(self, message: str, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.code = code
        self.fields = fields or {}


# HQ refusals the client repairs itself once, then sends again.
REPAIRABLE = ("clock_ahead", "seq_reused")


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
        sent, repaired = 0, set()
        if store.setting(self.db, "sync_restored_seq", ""):
            self._hear_from_hq()  # a restored station learns HQ's numbering first
        self._take_back_own()
        acked = int(store.setting(self.db, "sync_acked", "0"))
        while changes := protocol.outgoing(self.db, self.site, acked, batch):
            try:
                ack = self._send(changes)
            except SyncFailed as exc:
                self._note_refusal(exc)
                if exc.code not in REPAIRABLE or exc.code in repaired:
                    raise
                repaired.add(exc.code)
                self._repair(exc.code)
                acked = int(store.setting(self.db, "sync_acked", "0"))
                continue
            acked = int(store.setting(self.db, "sync_acked", "0"))
            sent += len(changes)
            if ack["head"] < changes[-1].seq:
                raise protocol.ProtocolError("HQ holds this batch behind a gap; retry later")
        return sent, acked

    def _send(self, changes: list) -> dict:
        """Push one sealed batch; read HQ's verified ack into the checkpoints; return it."""
        body = protocol.seal(
            {"kind": "push", "site": self.site},
            changes,
            self.site,
            self.cred["sign"],
            self.cred["hq_box_pub"],
        )
        answer = self.http.post("/api/v1/sync/push", content=body, headers=_octets())
        _raise_for(answer)
        ack = protocol.check_ack(answer.json(), self.cred["hq_sign_pub"], self.site)
        with store.transaction(self.db):
            reconcile(self.db, self.site, ack)
        return ack

    def _note_refusal(self, exc: SyncFailed) -> None:
        """Keep the change HQ refused for ever (``not_owner``) and HQ's reason, for an admin."""
        seq = (exc.fields.get("seq") or [""])[0]
        if exc.code == "not_owner" and str(seq).isdigit():
            with store.transaction(self.db):
                repair.note_refusal(self.db, self.site, int(seq), str(exc), stamp())

    def _hear_from_hq(self) -> dict:
        """Send an empty batch: HQ's ack says how far it holds this station, and its clock."""
        return self._send([])

    def _repair(self, code: str) -> None:
        """Repair what HQ refused: numbers HQ holds for other changes, or a clock far ahead."""
        ack = self._hear_from_hq()
        if code == "clock_ahead":
            with store.transaction(self.db):
                acked = int(store.setting(self.db, "sync_acked", "0"))
                moved = repair.restamp_own(
                    self.db, self.site, acked, hlc.Timestamp.parse(ack["now"])
                )
                store.put_setting(
                    self.db, "sync_restamped", f"{stamp()} {moved} changes to HQ's clock"
                )
        self._take_back_own()

    def _take_back_own(self, batch: int = protocol.BATCH) -> None:
        """Take back from HQ what this station made after its backup (``sync_take_back``)."""
        raw = store.setting(self.db, "sync_take_back", "")
        if not raw:
            return
        after, head = (int(n) for n in raw.split(":"))
        while after < head:
            payload, changes = self._sealed("/own", {"after": after, "limit": batch})
            changes = [c for c in changes if c.seq <= head]
            if not changes:
                break
            with store.transaction(self.db):
                after = protocol.take_own(self.db, payload, changes, self.after)
        with store.transaction(self.db):
            store.put_setting(self.db, "sync_take_back", "")

    def _sealed(self, path: str, params: dict) -> tuple[dict, list]:
        """GET a batch from HQ's sync API, sealed to this station and signed by HQ."""
        answer = self.http.get("/api/v1/sync" + path, params=params)
        _raise_for(answer)
        try:
            sender, payload, changes = protocol.open_sealed(
                answer.content,
                self.cred["box"],
                lambda s: self.cred["hq_sign_pub"] if s == self.cred["hq"] else None,
                protocol.HTTP_MAX_PLAIN,
            )
        except bundle.BundleError as exc:
            raise protocol.ProtocolError(f"HQ's batch is refused: {exc}") from None
        if payload.get("for") != self.site:
            raise protocol.ProtocolError("this batch was made for another station")
        return payload, changes

    def pull(self, batch: int = protocol.BATCH) -> tuple[int, int]:
        """Fetch and apply what HQ has for this station; return (received, cursor)."""
        received, more = 0, True
        cursor = int(store.setting(self.db, "sync_cursor", "0"))
        while more:
            payload, changes = self._sealed("/pull", {"since": cursor, "limit": batch})
            with store.transaction(self.db):
                following = protocol.take_pull(self.db, payload, changes, cursor, self.after)
                cursor = store.advance(self.db, "sync_cursor", following)
            received += len(changes)
            more = bool(payload.get("more"))
        return received, cursor

    def sync(self) -> Report:
        """Push, then pull; record the outcome for the status panel."""
        try:
            pushed, acked = self.push()
            pulled, cursor = self.pull()
        except (httpx.HTTPError, protocol.ProtocolError, apply.Refused, SyncFailed) as exc:
            with store.transaction(self.db):
                store.put_setting(self.db, "sync_last_error", f"{stamp()} {exc}")
            raise
        with store.transaction(self.db):
            store.put_setting(self.db, "sync_last_ok", stamp())
            store.put_setting(self.db, "sync_last_error", "")
        return Report(pushed, pulled, acked, cursor)


def _octets() -> dict[str, str]:
    return {"Content-Type": "application/octet-stream"}


def _raise_for(answer: httpx.Response) -> None:
    if answer.status_code >= 400:
        code, fields = None, None
        try:
            body = answer.json()
            message, code = body.get("error", answer.text), body.get("code")
            fields = body.get("fields") if isinstance(body.get("fields"), dict) else None
        except ValueError:
            message = answer.text[:200]
        raise SyncFailed(f"HQ answered {answer.status_code}: {message}", code, fields)
