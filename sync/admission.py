"""What HQ admits of a station's batch: checked whole before anything of it is applied.

```
 check        refuses                                          why
 ─────        ───────                                          ───
 numbers      a change numbered at or below HQ's head for      a station restored from a
              the station but with another clock (not a        backup reuses numbers of the
              repeat: a different change)                      lost laptop's changes
 clocks       a new change stamped more than the allowed       a laptop whose clock runs
              skew ahead of HQ's clock                         ahead would win every later
                                                               edit, everywhere
 authority    an edit or erasure of a record another station   sync.authority
              owns
```
Each refusal raises and nothing is applied; the station repairs what it can (sync.repair:
renumber after hearing HQ's head, restamp to HQ's clock) and sends again.
"""

from __future__ import annotations

from typing import Any

from sync import apply, authority, hlc
from sync.changelog import Change


class Refusal(ValueError):
    """A batch HQ does not admit; nothing of it was applied."""


class ClockAhead(Refusal):
    """A change stamped further ahead of HQ's clock than the allowed skew."""


class NumberReused(Refusal):
    """A change numbered like a different one HQ holds (a station restored from a backup)."""


def admit(db: Any, sender: str, changes: list[Change], max_ahead_ms: int | None) -> None:
    """Refuse the batch (Refusal or authority.NotOwner) unless every check passes."""
    head = apply.applied_head(db, sender)
    refuse_reused_numbers(db, sender, changes, head)
    if max_ahead_ms is not None:
        refuse_clock_ahead(sender, changes, head, max_ahead_ms)
    authority.check_batch(db, sender, changes, head)


def refuse_reused_numbers(db: Any, sender: str, changes: list[Change], head: int) -> None:
    """Refuse repeats by number that are not repeats by content (their clocks differ)."""
    repeats = {c.seq: c.hlc for c in changes if c.seq <= head}
    if not repeats:
        return
    held = db.execute(
        "select seq, hlc from changes where site = ? and seq between ? and ?",
        [sender, min(repeats), max(repeats)],
    ).fetchall()
    if any(repeats.get(seq, stamp) != stamp for seq, stamp in held):
        raise NumberReused(
            f"station {sender} sent changes numbered like others HQ already holds (it was "
            "restored from a backup): it must hear from HQ first (sync over the network, or "
            "import HQ's latest bundle), then send again"
        )


def refuse_clock_ahead(sender: str, changes: list[Change], head: int, limit_ms: int) -> None:
    """Refuse new changes stamped more than ``limit_ms`` ahead of this site's wall clock."""
    new = [hlc.Timestamp.parse(c.hlc) for c in changes if c.seq > head]
    if new and hlc.ahead_ms(max(new)) > limit_ms:
        hours = hlc.ahead_ms(max(new)) / 3_600_000
        raise ClockAhead(
            f"station {sender}'s changes are stamped {hours:.1f} hours ahead of HQ's clock "
            f"(at most {limit_ms / 3_600_000:g} allowed): set that laptop's clock right"
        )
