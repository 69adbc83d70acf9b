"""Exports: households, people (and triage, movements where they exist) as CSV or XLSX.

An export is a table of rows. Options shape it on the way out:
- ``hxl``: a row of HXL hashtags under the header, so HDX tools understand the columns;
- ``partner``: a pseudonymised copy for a partner: no names, phones, codes or notes, and every
  id replaced by a pseudonym (HMAC-SHA256 of the id under a secret kept per partner), so one
  partner's files join with each other but not with another partner's.
Every export is written to the audit log by the caller (views, CLI) with what was exported.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

from sqlite_utils import Database

from fieldreg import audit, clusters
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
# Tables other areas own; exported as they are when they exist.
FACT_TABLES = ("triage", "movements")
KINDS = ("households", "people", *FACT_TABLES)
# Never leave in a partner's copy: they identify a person directly.
IDENTIFYING = {
    "given_name", "father_name", "mother_name", "family_name", "phone", "phone_norm", "code",
    "household_code", "notes", "note", "vehicle_ref", "date_of_birth", "origin_neighbourhood",
    "client_id", "client_hash", "created_by", "author", "by", "actor", "text",
}  # fmt: skip


def kinds(db: Database) -> list[str]:
    """Return what can be exported here: households, people, and the fact tables present."""
    return [kind for kind in KINDS if kind not in FACT_TABLES or db[kind].exists()]


def table(db: Database, kind: str, partner: str | None = None) -> tuple[list[str], list[dict]]:
    """Return the columns and rows of one export, pseudonymised for a partner if given."""
    if kind not in kinds(db):
        raise NotFound(f"Nothing to export as {kind!r}.")
    columns, rows = {
        "households": _households,
        "people": _people,
    }.get(kind, _facts)(db, kind)
    if partner:
        columns, rows = pseudonymise(db, partner, columns, rows)
    return columns, rows


def hashtags(kind: str, columns: list[str]) -> list[str]:
    """Return the HXL hashtag of each column (a #meta tag for columns without a standard one)."""
    known = {"households": HOUSEHOLD_COLUMNS, "people": PERSON_COLUMNS}.get(kind, {})
    return [known.get(col) or "#meta+" + re.sub(r"[^a-z0-9]+", "_", col.lower()) for col in columns]


def _households(db: Database, _kind: str) -> tuple[list[str], list[dict]]:
    """Read every household with its number of members."""
    rows = list(
        db.query(
            "select h.*, (select count(*) from people p where p.household_id = h.id "
            "and p.deleted = 0) as members from households h where h.deleted = 0 "
            "order by h.created_at, h.id"
        )
    )
    return list(HOUSEHOLD_COLUMNS), [{c: row.get(c) for c in HOUSEHOLD_COLUMNS} for row in rows]


def _people(db: Database, _kind: str) -> tuple[list[str], list[dict]]:
    """Read every person, with household fields and their dedup cluster (own id if none)."""
    found = clusters.person_clusters(db)
    rows = []
    for row in db.query(
        "select p.*, h.code as household_code, h.station, h.arrived_at, h.origin_district, "
        "h.destination_kind, h.destination_name from people p "
        "join households h on h.id = p.household_id where p.deleted = 0 "
        "order by h.created_at, p.household_id, p.position"
    ):
        row["cluster_id"] = clusters.cluster_of(found, row["id"])
        row["age_group"] = age_group(row["age_years"])
        rows.append({c: row.get(c) for c in PERSON_COLUMNS})
    return list(PERSON_COLUMNS), rows


def _facts(db: Database, kind: str) -> tuple[list[str], list[dict]]:
    """Read a fact table (triage entries, movements) as it is."""
    columns = [col.name for col in db[kind].columns]
    return columns, list(db.query(f"select * from [{kind}] order by rowid"))


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
    db: Database, partner: str, columns: list[str], rows: list[dict]
) -> tuple[list[str], list[dict]]:
    """Drop identifying columns and replace ids by the partner's pseudonyms."""
    if not partner.strip():
        raise NotFound("A partner name is needed for a pseudonymised export.")
    secret = partner_secret(db, partner)
    kept = [col for col in columns if col not in IDENTIFYING]
    is_id = [col for col in kept if col == "id" or col.endswith("_id")]
    out = []
    for row in rows:
        clean = {col: row.get(col) for col in kept}
        for col in is_id:
            if clean[col]:
                clean[col] = pseudonym(secret, str(clean[col]))
        out.append(clean)
    return kept, out


def _cell(value) -> str | int | float:
    """Write a stored value as a cell: lists joined, None empty."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith("["):
        try:
            return " ".join(json.loads(value))
        except (ValueError, TypeError):
            return value
    return value


def _lines(
    kind: str, columns: list[str], rows: Iterable[dict], hxl: bool, tags: list[str] | None = None
) -> Iterable[list]:
    """Yield the header, the optional HXL row (``tags``, else the kind's), then the rows."""
    yield columns
    if hxl:
        yield tags or hashtags(kind, columns)
    for row in rows:
        yield [_cell(row.get(col)) for col in columns]


def to_csv(
    kind: str, columns: list[str], rows: list[dict], hxl: bool = False, tags: list | None = None
) -> bytes:
    """Write an export as CSV (UTF-8 with a BOM, so spreadsheet programs read Arabic)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in _lines(kind, columns, rows, hxl, tags):
        writer.writerow([_safe(cell) for cell in line])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _safe(cell):
    """Defuse cells a spreadsheet would run as formulas (CSV injection)."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@") and not cell[1:2].isdigit():
        return "'" + cell
    return cell


def to_xlsx(
    sheets: dict[str, tuple[list[str], list[dict]]], hxl: bool = False, tags: dict | None = None
) -> bytes:
    """Write exports as one XLSX workbook, a sheet per kind (``tags``: HXL row per sheet)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for kind, (columns, rows) in sheets.items():
        sheet = book.create_sheet(kind)
        for line in _lines(kind, columns, rows, hxl, (tags or {}).get(kind)):
            sheet.append([_safe(cell) for cell in line])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export(
    db: Database,
    fmt: str,
    kind: str = "people",
    hxl: bool = False,
    partner: str | None = None,
    actor: str | None = None,
) -> bytes:
    """Build one export file (csv: one kind; xlsx: every kind; pfif: people) and audit it."""
    if fmt == "pfif":
        from fieldreg import pfif

        body = pfif.document(db, partner)
        kind = "people"
    elif fmt == "xlsx":
        body = to_xlsx({k: table(db, k, partner) for k in kinds(db)}, hxl)
        kind = "all"
    else:
        body = to_csv(kind, *table(db, kind, partner), hxl=hxl)
    detail = json.dumps({"format": fmt, "kind": kind, "hxl": hxl, "partner": partner})
    with write(db):
        audit.log(db, actor, "export", kind, None, detail)
    return body


def write_file(path: Path, body: bytes) -> None:
    """Write an export where asked, readable by its owner only (it holds personal data)."""
    path.write_bytes(body)
    path.chmod(0o600)
