"""Who wrote a fact that came by sync: the station's word, and the station that proves it.

A fact from a station (a note, a tracing decision, a triage entry) names its author
(``actor``, ``found_by``): that is the station's claim, as a user name there means nothing
here. Which station sent it is proven: HQ takes a change only under the sending station's
credential, stamped with its code (``changes.site``, sync.authority.senders). Pages, the API
and the audit log show both: "reg1 at station K7M (as sent by K7M)".
"""

from __future__ import annotations

from sqlite_utils import Database

from fieldreg.db import setting
from sync import authority


def mark(db: Database, tbl: str, rows: list[dict]) -> list[dict]:
    """Add ``sent_by`` to fact rows: the station that sent each (None: written here)."""
    here = setting(db, "station_code")
    sent = authority.senders(db, tbl, [r["id"] for r in rows])
    for row in rows:
        site = sent.get(row["id"])
        row["sent_by"] = site if site and site != here else None
    return rows


def label(actor: str | None, sent_by: str | None, station: str | None = None) -> str | None:
    """Say who wrote a fact: the actor alone if written here, else with the sending station."""
    if not sent_by:
        return actor
    return f"{actor or '?'} at station {station or sent_by} (as sent by {sent_by})"


def sender_label(db: Database, tbl: str, record_id: str, actor: str | None) -> str | None:
    """Label the actor of one fact with the station that sent it (for the audit log)."""
    (row,) = mark(db, tbl, [{"id": record_id}])
    return label(actor, row["sent_by"])
