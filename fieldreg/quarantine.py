"""Changes HQ refuses for ever, and the admin's repair: set one aside, kept for audit.

A station whose log holds a change HQ will never take (a deduplication decision recorded at
a station before stations checked HQ's tables, an edit of a record HQ has since handed to
another station) has every later push refused: HQ takes a batch whole or not at all. HQ
names the change and why (sync/client.py keeps it); an admin sets it aside here
(sync/repair.py: moved whole into ``sync_quarantine``, never deleted), the later changes
are numbered down, and they push. Every set-aside is in the audit log.
"""

from __future__ import annotations

from sqlite_utils import Database

from fieldreg import audit, tags
from fieldreg.db import rows as db_rows
from fieldreg.db import write
from fieldreg.errors import Conflict, Forbidden
from sync import changelog, client, repair


def refused(db: Database, own_check: bool = True) -> list[dict]:
    """Return this station's changes HQ refused (each holds back every later push).

    ``own_check``: also those this station's own check of the rule refuses (reads every
    unsent change: the command line does it, the page shows what HQ said).
    """
    return repair.refused(db, changelog.site_of(db), own_check)


def quarantined(db: Database) -> list[dict]:
    """Return the changes set aside so far, newest first (without their payload)."""
    return db_rows(
        db,
        "select id, seq, hlc, tbl, record_id, op, reason, refused_at, set_aside_at, "
        "set_aside_by from sync_quarantine order by id desc",
    )


def set_aside(db: Database, seq: int, actor: str | None) -> dict:
    """Set aside this station's refused change ``seq``, audited; return what was set aside."""
    if client.credential(db) is None:
        raise Forbidden("Only a station that syncs to an HQ sets aside changes HQ refused.")
    with write(db):
        try:
            done = repair.set_aside(db, changelog.site_of(db), seq, actor, tags.now())
        except ValueError as exc:
            raise Conflict(f"{exc}.", {"seq": [str(exc)]}) from None
        audit.log(db, actor, "sync_set_aside", done["tbl"], done["record_id"],
                  f"change {seq} ({done['op']}): {done['reason']}"[:500])  # fmt: skip
    return done
