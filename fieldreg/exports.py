"""Exports: households, people (and triage, movements where they exist) as CSV or XLSX.

An export is a table of rows. Options shape it on the way out:
- ``hxl``: a row of HXL hashtags under the header, so HDX tools understand the columns;
- ``medical``: the reader may read medical detail (triage conditions, free-text conditions,
  mobility, referral, medics' and movement notes); without it those columns are left out, as
  pages leave them out for such a reader;
- ``partner``: a pseudonymised copy for a partner: only the columns in ``PARTNER_COLUMNS``
  (no name of any kind, no free text, no phone, code or referral), and every id replaced by
  a pseudonym (HMAC-SHA256 of the id under a secret kept per partner), so one partner's files
  join with each other but not with another partner's.
Cells are written formula-safe by ``fieldreg.sheets``; files are streamed by ``fieldreg.streams``
(written as they are read, in constant memory, with progress).
Every export is written to the audit log by the caller (views, CLI) with what was exported.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlite_utils import Database

from fieldreg import audit, clusters, sheets, streams
from fieldreg.db import set_setting, setting, write
from fieldreg.errors import NotFound
from fieldreg.stats import age_group

HOUSEHOLD_COLUMNS = {
    "id": "#meta+household+id",
    "code": "#meta+household+code",
    "station": "#loc+station+code",
    "arrived_at": "#date+arrival",
    "transport": "#indicator+transport",
    "vehicle_ref": "#meta+vehicle",
    "arrival_vehicle_id": "#meta+vehicle+id",
    "origin_district": "#adm2+origin+name",
    "origin_neighbourhood": "#loc+origin+name",
    "destination_kind": "#loc+destination+type",
    "destination_name": "#loc+destination+name",
    "destination_place": "#loc+destination+place",
    "phone": "#contact+phone",
    "members": "#affected+num",
    "vulnerabilities": "#indicator+vulnerability",
    "consent_share": "#meta+consent",
    "status": "#status",
    "notes": "#description",
    "created_at": "#date+registered",
}
PERSON_COLUMNS = {
    "id": "#meta+person+id",
    "code": "#meta+person+code",
    "station": "#loc+station+code",
    "cluster_id": "#meta+cluster+id",
    "household_id": "#meta+household+id",
    "household_code": "#meta+household+code",
    "given_name": "#affected+name+given",
    "father_name": "#affected+name+father",
    "mother_name": "#affected+name+mother",
    "family_name": "#affected+name+family",
    "sex": "#sex",
    "age_years": "#age",
    "age_estimated": "#age+estimated",
    "age_group": "#age+group",
    "date_of_birth": "#date+birth",
    "relationship": "#affected+relationship",
    "vulnerabilities": "#indicator+vulnerability",
    "status": "#status",
    "arrived_at": "#date+arrival",
    "origin_district": "#adm2+origin+name",
    "destination_kind": "#loc+destination+type",
    "destination_name": "#loc+destination+name",
}
TRIAGE_COLUMNS = (
    "id", "person_id", "category", "conditions", "condition_other", "mobility", "referral",
    "note", "actor", "at",
)  # fmt: skip
MOVEMENT_COLUMNS = (
    "id", "household_id", "person_id", "kind", "destination_kind", "destination_name",
    "destination_place", "transport", "note", "actor", "at",
)  # fmt: skip
# Tables other areas own; exported (these columns only) when they exist.
FACT_TABLES = {"triage": TRIAGE_COLUMNS, "movements": MOVEMENT_COLUMNS}
KINDS = ("households", "people", *FACT_TABLES)
# Medical detail: only for roles that may read it in pages (access "medical:read"). The
# category (a flag's colour) is shown to every role, so it is not detail.
MEDICAL_DETAIL = {
    "triage": {"conditions", "condition_other", "mobility", "referral", "note"},
    "movements": {"note"},
}
# The only columns a partner's pseudonymised copy may carry: coded values, counts, dates,
# district-level places and pseudonymised ids. No name of any kind (not a host's, not a
# hospital's, not a user's), no free text, no code, phone or referral.
PARTNER_COLUMNS = {
    "households": {
        "id", "station", "arrived_at", "transport", "origin_district", "destination_kind",
        "members", "vulnerabilities", "consent_share", "status", "created_at",
    },
    "people": {
        "id", "station", "cluster_id", "household_id", "sex", "age_years", "age_estimated",
        "age_group", "relationship", "vulnerabilities", "status", "arrived_at",
        "origin_district", "destination_kind",
    },
    "triage": {"id", "person_id", "category", "conditions", "mobility", "at"},
    "movements": {"id", "household_id", "person_id", "kind", "destination_kind", "transport", "at"},
}  # fmt: skip


def columns_for(kind: str, medical: bool = False, partner: bool = False) -> list[str]:
    """Return the columns an export of ``kind`` carries for this reader."""
    every = {"households": HOUSEHOLD_COLUMNS, "people": PERSON_COLUMNS, **FACT_TABLES}[kind]
    hidden = set() if medical else MEDICAL_DETAIL.get(kind, set())
    return [c for c in every if c not in hidden and (not partner or c in PARTNER_COLUMNS[kind])]


def kinds(db: Database) -> list[str]:
    """Return what can be exported here: households, people, and the fact tables present."""
    return [kind for kind in KINDS if kind not in FACT_TABLES or db[kind].exists()]


def table(
    db: Database, kind: str, partner: str | None = None, medical: bool = False
) -> tuple[list[str], list[dict]]:
    """Return one export's columns and rows (medical detail if asked, pseudonymised if given)."""
    columns, rows = table_rows(db, kind, partner, medical)
    return columns, list(rows)


def table_rows(
    db: Database, kind: str, partner: str | None = None, medical: bool = False
) -> tuple[list[str], Iterator[dict]]:
    """Return the columns of one export and its rows as they are read.

    The rows come in the order they were stored (an index order: nothing is sorted or held
    in memory, however many there are); only the columns this reader may have are kept.
    """
    if kind not in kinds(db):
        raise NotFound(f"Nothing to export as {kind!r}.")
    columns = columns_for(kind, medical, bool(partner))
    read = {"households": _households, "people": _people}.get(kind, _facts)(db, kind)
    rows = ({col: row.get(col) for col in columns} for row in read)
    if partner:
        rows = pseudonymise(db, partner, columns, rows)
    return columns, rows


def count(db: Database, kind: str) -> int:
    """Return how many rows an export of ``kind`` will have (for its progress)."""
    sql = {
        "households": "select n from tally_households",
        "people": "select n from tally_people",
    }.get(kind)
    if sql:
        return sum(row[0] for row in db.execute(sql))
    return db.execute(f"select count(*) from [{kind}]").fetchone()[0]


def hashtags(kind: str, columns: list[str]) -> list[str]:
    """Return the HXL hashtag of each column (a #meta tag for columns without a standard one)."""
    known = {"households": HOUSEHOLD_COLUMNS, "people": PERSON_COLUMNS}.get(kind, {})
    return [known.get(col) or "#meta+" + re.sub(r"[^a-z0-9]+", "_", col.lower()) for col in columns]


def _households(db: Database, _kind: str) -> Iterator[dict]:
    """Read every household with its number of members."""
    return db.query(
        "select h.*, (select count(*) from people p where p.household_id = h.id "
        "and p.deleted = 0) as members from households h where h.deleted = 0 order by h.rowid"
    )


def _people(db: Database, _kind: str) -> Iterator[dict]:
    """Read every person, with household fields and their dedup cluster (own id if none)."""
    rows = db.query(
        "select p.*, h.code as household_code, h.station, h.arrived_at, h.origin_district, "
        "h.destination_kind, h.destination_name from households h "
        # CROSS JOIN keeps households outside: rows come in index order, never sorted in memory
        "cross join people p on p.household_id = h.id where p.deleted = 0 "
        "order by h.rowid, p.position"
    )
    return _with_clusters(db, rows)


def _with_clusters(db: Database, rows: Iterable[dict]) -> Iterator[dict]:
    """Give each person row its cluster and age group, asking for clusters a batch at a time."""
    for batch in _batches(rows, streams.CHUNK_ROWS):
        found = clusters.person_clusters(db, [row["id"] for row in batch])
        for row in batch:
            row["cluster_id"] = clusters.cluster_of(found, row["id"])
            row["age_group"] = age_group(row["age_years"])
            yield row


def _batches(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    """Yield rows in lists of at most ``size``."""
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _facts(db: Database, kind: str) -> Iterator[dict]:
    """Read a fact table (triage entries, movements)."""
    return db.query(f"select * from [{kind}] order by rowid")


def partner_secret(db: Database, partner: str) -> bytes:
    """Return the partner's pseudonym secret, creating it on first use."""
    key = f"partner_secret:{partner.strip().lower()}"
    with write(db):
        secret = setting(db, key)
        if not secret:
            secret = secrets.token_hex(32)
            set_setting(db, key, secret)
    return bytes.fromhex(secret)


def pseudonym(secret: bytes, record_id: str) -> str:
    """Return a stable pseudonym of an id for one partner (not reversible without the secret)."""
    return hmac.new(secret, record_id.encode(), hashlib.sha256).hexdigest()[:20]


def pseudonymise(
    db: Database, partner: str, columns: list[str], rows: Iterable[dict]
) -> Iterator[dict]:
    """Replace every id of the rows by the partner's pseudonym of it."""
    if not partner.strip():
        raise NotFound("A partner name is needed for a pseudonymised export.")
    secret = partner_secret(db, partner)
    is_id = [col for col in columns if col == "id" or col.endswith("_id")]
    for row in rows:
        for col in is_id:
            if row[col]:
                row[col] = pseudonym(secret, str(row[col]))
        yield row


def _lines(
    kind: str, columns: list[str], rows: Iterable[dict], hxl: bool, tags: list[str] | None = None
) -> Iterable[list]:
    """Yield the header, the optional HXL row (``tags``, else the kind's), then the rows."""
    yield columns
    if hxl:
        yield tags or hashtags(kind, columns)
    for row in rows:
        yield [sheets.cell(row.get(col)) for col in columns]


def to_csv(
    kind: str, columns: list[str], rows: Iterable[dict], hxl: bool = False, tags: list | None = None
) -> bytes:
    """Write an export as CSV (formula-safe, UTF-8 with a BOM, so spreadsheets read Arabic)."""
    return b"".join(streams.csv_chunks(_safe_lines(kind, columns, rows, hxl, tags)))


def _safe_lines(
    kind: str, columns: list[str], rows: Iterable[dict], hxl: bool, tags: list | None = None
) -> Iterator[list]:
    """Yield the lines of an export with every cell formula-safe."""
    for line in _lines(kind, columns, rows, hxl, tags):
        yield [sheets.safe(cell) for cell in line]


def to_xlsx(
    tables: dict[str, tuple[list[str], Iterable[dict]]], hxl: bool = False, tags: dict | None = None
) -> bytes:
    """Write exports as one XLSX workbook, a sheet per kind (``tags``: HXL row per sheet)."""
    lines = {
        kind: _safe_lines(kind, columns, rows, hxl, (tags or {}).get(kind))
        for kind, (columns, rows) in tables.items()
    }
    return b"".join(streams.xlsx_chunks(lines))


def stream(
    db: Database,
    fmt: str,
    kind: str = "people",
    hxl: bool = False,
    partner: str | None = None,
    actor: str | None = None,
    medical: bool = False,
) -> tuple[streams.Progress, Iterator[bytes]]:
    """Audit an export and return its progress and its bytes, written as they are read.

    csv: one kind; xlsx: every kind, a sheet each; pfif: the people who agreed to share.
    Nothing is read before the first chunk is asked for; the audit line is written now.
    """
    if fmt == "pfif":
        from fieldreg import pfif

        kind = "people"
        progress = streams.Progress(pfif.count(db))
        body = pfif.chunks(db, partner, progress)
    elif fmt == "xlsx":
        every = kinds(db)
        progress = streams.Progress(sum(count(db, k) for k in every))
        tables = {k: _counted(k, table_rows(db, k, partner, medical), hxl, progress) for k in every}
        body, kind = streams.xlsx_chunks(tables), "all"
    else:
        progress = streams.Progress(count(db, kind))
        rows = table_rows(db, kind, partner, medical)
        body = streams.csv_chunks(_counted(kind, rows, hxl, progress))
    detail = json.dumps(
        {"format": fmt, "kind": kind, "hxl": hxl, "partner": partner, "medical": medical}
    )
    with write(db):
        audit.log(db, actor, "export", kind, None, detail)
    return progress, _finishing(body, progress)


def _counted(kind: str, table_: tuple, hxl: bool, progress: streams.Progress) -> Iterator[list]:
    """Return an export's safe lines, counting its rows into progress."""
    return streams.counted(_safe_lines(kind, *table_, hxl), progress, 2 if hxl else 1)


def _finishing(chunks: Iterator[bytes], progress: streams.Progress) -> Iterator[bytes]:
    """Pass the chunks through and mark the progress finished after the last."""
    yield from chunks
    progress.finished = True


def export(
    db: Database,
    fmt: str,
    kind: str = "people",
    hxl: bool = False,
    partner: str | None = None,
    actor: str | None = None,
    medical: bool = False,
) -> bytes:
    """Build one export file whole (csv: one kind; xlsx: every kind; pfif: people), audited."""
    return b"".join(stream(db, fmt, kind, hxl, partner, actor, medical)[1])


def write_file(path: Path, body: bytes) -> None:
    """Write an export where asked, readable by its owner only (it holds personal data)."""
    write_chunks(path, [body])


def write_chunks(path: Path, chunks: Iterable[bytes]) -> int:
    """Write an export's chunks as they come, readable by its owner only; return its size."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    size = 0
    with os.fdopen(fd, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
            size += len(chunk)
    path.chmod(0o600)  # an older file of that name keeps its mode through O_CREAT
    return size
