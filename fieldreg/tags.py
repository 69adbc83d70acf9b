"""Issue human codes and bind pre-printed tags. Owns the ``codes`` table."""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from fieldreg import codes
from fieldreg.db import set_setting, setting
from fieldreg.errors import Conflict, InvalidCode, NotFound
from fieldreg.schemas import messages as M

MAX_SHEET = 500


def now() -> str:
    """Return the current UTC time as ISO text."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _reserve(db: Database, count: int) -> tuple[int, list[str]]:
    """Advance this station's code sequence by ``count``; return the first number and codes."""
    prefix = setting(db, "station_code")
    start = int(setting(db, "code_seq", "0"))
    if start + count > codes.MAX_SEQ:
        raise Conflict("This station has used all its codes.", code="codes_exhausted")
    set_setting(db, "code_seq", str(start + count))
    return start + 1, [codes.make_code(prefix, seq) for seq in range(start + 1, start + count + 1)]


def issue(db: Database, kind: str, count: int = 1) -> list[str]:
    """Reserve ``count`` fresh codes of this station, not yet naming a record; inside a write."""
    first, issued = _reserve(db, count)
    stamp = now()
    db.conn.executemany(
        "insert into codes (code, seq, kind, issued_at) values (?, ?, ?, ?)",
        [(code, first + i, kind, stamp) for i, code in enumerate(issued)],
    )
    return issued


def issue_for(db: Database, records: list[tuple[str, str]]) -> list[str]:
    """Issue one fresh code naming each ``(kind, record_id)``; call inside a write."""
    first, issued = _reserve(db, len(records))
    stamp = now()
    db.conn.executemany(
        "insert into codes (code, seq, kind, record_id, issued_at, bound_at) "
        "values (?, ?, ?, ?, ?, ?)",
        [
            (code, first + i, kind, record_id, stamp, stamp)
            for i, (code, (kind, record_id)) in enumerate(zip(issued, records, strict=True))
        ],
    )
    return issued


def codes_for(db: Database, wanted: list[tuple[str, str, str | None]]) -> list[str]:
    """Give each ``(kind, record_id, tag or None)`` its code: the pre-printed tag, or a new one."""
    fresh = [(kind, rid) for kind, rid, tag in wanted if not tag]
    issued = iter(issue_for(db, fresh) if fresh else [])
    return [
        bind_preprinted(db, tag, kind, rid) if tag else next(issued) for kind, rid, tag in wanted
    ]


def assign(db: Database, code: str, kind: str, record_id: str) -> None:
    """Record that a code now names a record."""
    db.execute(
        "update codes set kind = ?, record_id = ?, bound_at = ? where code = ?",
        [kind, record_id, now(), code],
    )


def bind_preprinted(db: Database, text: str, kind: str, record_id: str) -> str:
    """Bind a pre-printed, still unbound code to a record, and return it."""
    code = codes.parse(text)
    if code is None:
        raise InvalidCode("Not a valid code.", {"tag_code": [str(M.NOT_A_CODE)]})
    rows = list(db.query("select kind, record_id from codes where code = ?", [code]))
    if not rows:
        raise NotFound(
            "This tag was not printed at this station.", {"tag_code": [str(M.UNKNOWN_TAG)]}
        )
    if rows[0]["record_id"] is not None or rows[0]["kind"] != "free":
        raise Conflict(
            "This tag is already bound.", {"tag_code": [str(M.TAG_IN_USE)]}, "tag_in_use"
        )
    assign(db, code, kind, record_id)
    return code


def lookup(db: Database, text: str) -> tuple[str, str | None, str | None]:
    """Return ``(code, kind, record_id)`` for a typed or scanned code."""
    code = codes.parse(text)
    if code is None:
        raise InvalidCode("Not a valid code.", {"code": ["Not a valid code."]})
    rows = list(db.query("select kind, record_id from codes where code = ?", [code]))
    if not rows:
        return code, None, None
    return code, rows[0]["kind"], rows[0]["record_id"]


def free_codes(db: Database) -> list[dict]:
    """Return the pre-printed codes not yet bound, oldest first."""
    return list(
        db.query("select code, issued_at from codes where kind = 'free' order by seq limit 1000")
    )


def issue_to_device(db: Database, device_id: str, count: int) -> list[str]:
    """Reserve a block of codes that only this device may give out; call inside a write."""
    issued = issue(db, "device", count)
    db.conn.executemany(
        "update codes set device_id = ? where code = ?", [(device_id, code) for code in issued]
    )
    return issued


def unused_device_codes(db: Database, device_id: str) -> list[str]:
    """Return the codes of this device's blocks that no record uses yet, oldest first."""
    rows = db.query(
        "select code from codes where device_id = ? and record_id is null order by seq",
        [device_id],
    )
    return [row["code"] for row in rows]


def claim_device_code(
    db: Database, text: str, device_id: str | None, kind: str, record_id: str
) -> str:
    """Give a record the code its device chose offline, if the block is that device's and free."""
    code = codes.parse(text)
    if code is None:
        raise InvalidCode("Not a valid code.", {"device_code": [str(M.NOT_A_CODE)]})
    rows = list(db.query("select device_id, record_id from codes where code = ?", [code]))
    if not rows or not device_id or rows[0]["device_id"] != str(device_id):
        raise Conflict(
            "This code was not issued to this device.",
            {"device_code": [str(M.CODE_NOT_ISSUED)]},
            "code_not_issued",
        )
    if rows[0]["record_id"] is not None:
        raise Conflict(
            "This code is already used.", {"device_code": [str(M.TAG_IN_USE)]}, "tag_in_use"
        )
    assign(db, code, kind, record_id)
    return code
