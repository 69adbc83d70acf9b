"""Repairs a station makes to its own changes HQ has not acknowledged: numbers and clocks.

- **Renumber** (after a restore from a backup): HQ may hold changes of this station made
  after the backup, on the laptop that was lost; the changes made since the restore reuse
  their numbers and would be dropped as repeats. They move after HQ's head instead.
- **Restamp** (after HQ refused a clock far ahead): changes stamped by a laptop whose clock
  runs ahead get readings just above HQ's clock, in the same order, everywhere they are
  named here (the log, field versions, tombstones, conflicts, a fact's ``hlc``).
- **Set aside** (after HQ refused a change for ever): HQ refuses the whole batch holding a
  change the station may not make (``sync.authority``: say, a deduplication decision recorded
  at a station before stations checked HQ's tables), so every later push is refused too. HQ
  names the change (its ``seq``) and why; the client keeps that in ``sync_refusals``. An
  admin moves the change, whole, into ``sync_quarantine`` (kept for audit, never deleted)
  and the later changes are numbered down by one, so the log stays gapless and they push.
  What the change wrote stays in the station's own tables: HQ's later changes win as usual.
Only changes nobody else has applied are touched: HQ took none of them (it refused them or
holds others under their numbers), so no other site has them.
"""

from __future__ import annotations

import json
from typing import Any

from sync import authority, changelog, hlc, store, tables


def renumber_own(db: Any, site: str, after: int, shift: int) -> int:
    """Move this site's changes numbered above ``after`` up by ``shift``; return how many."""
    # Through negative numbers: a direct shift would collide with (site, seq) on its way.
    moved = db.execute(
        "update changes set seq = -(seq + ?) where site = ? and seq > ?", [shift, site, after]
    ).rowcount
    db.execute("update changes set seq = -seq where site = ? and seq < 0", [site])
    return moved


def restamp_own(db: Any, site: str, after: int, floor: hlc.Timestamp) -> int:
    """Give this site's changes above seq ``after`` stamped later than ``floor`` new readings
    just above it, in order; return how many were restamped."""
    rows = db.execute(
        "select seq, hlc, tbl, record_id, op from changes where site = ? and seq > ? order by seq",
        [site, after],
    ).fetchall()
    late = [r for r in rows if hlc.Timestamp.parse(r[1]) > floor]
    moved: dict[str, str] = {}
    stamp = floor
    for seq, old, tbl, record_id, op in late:
        stamp = hlc.tick(stamp, stamp.millis)  # the next reading, never the laptop's clock
        moved[f"{old}@{site}"] = f"{stamp}@{site}"
        db.execute("update changes set hlc = ? where site = ? and seq = ?", [str(stamp), site, seq])
        if op == "append" and "hlc" in tables.columns(db, tbl):
            db.execute(f"update [{tbl}] set hlc = ? where id = ?", [str(stamp), record_id])
    if moved:
        _rename_versions(db, site, after, {(r[2], r[3]) for r in late}, moved)
        seen = db.execute("select max(hlc) from changes where site != ?", [site]).fetchone()[0]
        latest = max(stamp, hlc.Timestamp.parse(seen)) if seen else stamp
        db.execute("update settings set value = ? where key = 'hlc'", [str(latest)])
    return len(late)


def restamp_beyond(db: Any, site: str, after: int, hq_now: str, allowed_ms: int) -> int:
    """Restamp to HQ's clock the changes above seq ``after`` that HQ would refuse as stamped
    more than ``allowed_ms`` ahead of ``hq_now`` (read from HQ's signed ack); return how many.

    Over USB a refusal is seen only at HQ: the station repairs when HQ's bundle comes in.
    """
    now = hlc.Timestamp.parse(hq_now)
    last = db.execute(
        "select max(hlc) from changes where site = ? and seq > ?", [site, after]
    ).fetchone()[0]
    if last is None or hlc.ahead_ms(hlc.Timestamp.parse(last), now.millis) <= allowed_ms:
        return 0
    moved = restamp_own(db, site, after, now)
    store.put_setting(db, "sync_restamped", f"{moved} changes to HQ's clock {hq_now}")
    return moved


def _rename_versions(db: Any, site: str, after: int, records: set, moved: dict) -> None:
    """Replace moved versions in field versions, tombstones, later ``prev`` and conflicts."""
    for tbl, record_id in records:
        versions, deleted = changelog.meta(db, tbl, record_id)
        renamed = {name: moved.get(v, v) for name, v in versions.items()}
        changelog.save_meta(db, tbl, record_id, renamed, moved.get(deleted, deleted))
    for seq, prev in db.execute(
        "select seq, prev from changes where site = ? and seq > ? and prev is not null",
        [site, after],
    ).fetchall():
        old = json.loads(prev)
        new = {name: moved.get(v, v) for name, v in old.items()}
        if new != old:
            db.execute(
                "update changes set prev = ? where site = ? and seq = ?",
                [json.dumps(new, sort_keys=True), site, seq],
            )
    for old, new in moved.items():
        for column in ("kept_version", "lost_version"):
            db.execute(f"update sync_conflicts set {column} = ? where {column} = ?", [new, old])


def note_refusal(db: Any, site: str, seq: int, reason: str, at: str) -> None:
    """Remember that HQ refused this site's change ``seq``, and why (call in a transaction)."""
    row = db.execute("select hlc from changes where site = ? and seq = ?", [site, seq]).fetchone()
    if row:
        db.execute(
            "insert or replace into sync_refusals (seq, hlc, reason, at) values (?,?,?,?)",
            [seq, row[0], reason, at],
        )


def refused(db: Any, site: str, own_check: bool = True) -> list[dict]:
    """Return this site's unacknowledged changes HQ refused, oldest first, with HQ's reason.

    ``own_check`` adds those this site's own check of the authority rule refuses (over USB,
    HQ's reason stays at HQ); it reads every unsent change, so a page leaves it to the CLI.
    """
    acked = int(store.setting(db, "sync_acked", "0"))
    told = {
        seq: (stamp, reason, at)
        for seq, stamp, reason, at in db.execute(
            "select seq, hlc, reason, at from sync_refusals where seq > ?", [acked]
        ).fetchall()
    }
    where = "" if own_check else f" and seq in ({','.join('?' * len(told))})"
    found = []
    for seq, stamp, tbl, record_id, op, data in db.execute(
        f"select seq, hlc, tbl, record_id, op, data from changes where site = ? and seq > ?"
        f"{where} order by seq",
        [site, acked, *([] if own_check else told)],
    ).fetchall():
        hq = told.get(seq)
        if hq and hq[0] == stamp:
            reason, at = hq[1], hq[2]
        elif own_check and (why := _own_check(db, site, (tbl, record_id, op, json.loads(data)))):
            reason, at = f"this station's own check: {why}", None
        else:
            continue
        found.append({"seq": seq, "hlc": stamp, "tbl": tbl, "record_id": record_id, "op": op,
                      "reason": reason, "refused_at": at})  # fmt: skip
    return found


def _own_check(db: Any, site: str, write: tuple) -> str | None:
    """Return why HQ would refuse one of this site's own changes, as far as known here."""
    try:
        return authority.refusal(db, site, write)
    except KeyError:  # a table that no longer syncs: HQ refuses it too
        return f"{write[0]} does not sync"


def set_aside(db: Any, site: str, seq: int, by: str | None, at: str) -> dict:
    """Move this site's unacknowledged change ``seq`` into the quarantine and number the later
    ones down by one (call in a transaction); return what was set aside."""
    if seq <= int(store.setting(db, "sync_acked", "0")):
        raise ValueError(f"HQ already holds change {seq}: it cannot be set aside")
    listed = {c["seq"]: c for c in refused(db, site)}
    if seq not in listed:
        raise ValueError(f"change {seq} is not one HQ refused (see the list of refused changes)")
    db.execute(
        "insert into sync_quarantine (site, seq, hlc, tbl, record_id, op, data, prev, reason, "
        "refused_at, set_aside_at, set_aside_by) select site, seq, hlc, tbl, record_id, op, "
        "data, prev, ?, ?, ?, ? from changes where site = ? and seq = ?",
        [listed[seq]["reason"], listed[seq]["refused_at"], at, by, site, seq],
    )
    db.execute("delete from changes where site = ? and seq = ?", [site, seq])
    db.execute("delete from sync_refusals where seq = ?", [seq])
    renumber_own(db, site, seq, -1)
    # The refusals of later changes follow their changes (through negatives, as above).
    db.execute("update sync_refusals set seq = -(seq - 1) where seq > ?", [seq])
    db.execute("update sync_refusals set seq = -seq where seq < 0")
    return listed[seq]
