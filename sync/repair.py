"""Repairs a station makes to its own changes HQ has not acknowledged: numbers and clocks.

- **Renumber** (after a restore from a backup): HQ may hold changes of this station made
  after the backup, on the laptop that was lost; the changes made since the restore reuse
  their numbers and would be dropped as repeats. They move after HQ's head instead.
- **Restamp** (after HQ refused a clock far ahead): changes stamped by a laptop whose clock
  runs ahead get readings just above HQ's clock, in the same order, everywhere they are
  named here (the log, field versions, tombstones, conflicts, a fact's ``hlc``).
Only changes nobody else has applied are touched: HQ took none of them (it refused them or
holds others under their numbers), so no other site has them.
"""

from __future__ import annotations

import json
from typing import Any

from sync import changelog, hlc, store, tables


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
