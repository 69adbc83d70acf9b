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
Cells are written formula-safe by ``fieldreg.sheets``.
Every export is written to the audit log by the caller (views, CLI) with what was exported.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

from sqlite_utils import Database

from fieldreg import audit, clusters, sheets
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
    if kind not in kinds(db):
        raise NotFound(f"Nothing to export as {kind!r}.")
    columns = columns_for(kind, medical, bool(partner))
    rows = {"households": _households, "people": _people}.get(kind, _facts)(db, kind)
    rows = [{col: row.get(col) for col in columns} for row in rows]
    if partner:
        rows = pseudonymise(db, partner, columns, rows)
    return columns, rows


def hashtags(kind: str, columns: list[str]) -> list[str]:
    """Return the HXL hashtag of each column (a #meta tag for columns without a standard one)."""
    known = {"households": HOUSEHOLD_COLUMNS, "people": PERSON_COLUMNS}.get(kind, {})
    return [known.get(col) or "#meta+" + re.sub(r"[^a-z0-9]+", "_", col.lower()) for col in columns]


def _households(db: Database, _kind: str) -> list[dict]:
    """Read every household with its number of members."""
    return list(
        db.query(
            "select h.*, (select count(*) from people p where p.household_id = h.id "
            "and p.deleted = 0) as members from households h where h.deleted = 0 "
            "order by h.created_at, h.id"
        )
    )


def _people(db: Database, _kind: str) -> list[dict]:
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
        rows.append(row)
    return rows


def _facts(db: Database, kind: str) -> list[dict]:
    """Read a fact table (triage entries, movements)."""
    return list(db.query(f"select * from [{kind}] order by rowid"))


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


def pseudonymise(db: Database, partner: str, columns: list[str], rows: list[dict]) -> list[dict]:
    """Replace every id of the rows by the partner's pseudonym of it."""
    if not partner.strip():
        raise NotFound("A partner name is needed for a pseudonymised export.")
    secret = partner_secret(db, partner)
    is_id = [col for col in columns if col == "id" or col.endswith("_id")]
    for row in rows:
        for col in is_id:
            if row[col]:
                row[col] = pseudonym(secret, str(row[col]))
    return rows


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
    kind: str, columns: list[str], rows: list[dict], hxl: bool = False, tags: list | None = None
) -> bytes:
    """Write an export as CSV (formula-safe, UTF-8 with a BOM)."""
    return sheets.to_csv(_lines(kind, columns, rows, hxl, tags))


def to_xlsx(
    tables: dict[str, tuple[list[str], list[dict]]], hxl: bool = False, tags: dict | None = None
) -> bytes:
    """Write exports as one XLSX workbook, a sheet per kind (``tags``: HXL row per sheet)."""
    return sheets.to_xlsx(
        {
            kind: _lines(kind, columns, rows, hxl, (tags or {}).get(kind))
            for kind, (columns, rows) in tables.items()
        }
    )


def export(
    db: Database,
    fmt: str,
    kind: str = "people",
    hxl: bool = False,
    partner: str | None = None,
    actor: str | None = None,
    medical: bool = False,
) -> bytes:
    """Build one export file (csv: one kind; xlsx: every kind; pfif: people) and audit it."""
    if fmt == "pfif":
        from fieldreg import pfif

        body = pfif.document(db, partner)
        kind = "people"
    elif fmt == "xlsx":
        body = to_xlsx({k: table(db, k, partner, medical) for k in kinds(db)}, hxl)
        kind = "all"
    else:
        body = to_csv(kind, *table(db, kind, partner, medical), hxl=hxl)
    detail = json.dumps(
        {"format": fmt, "kind": kind, "hxl": hxl, "partner": partner, "medical": medical}
    )
    with write(db):
        audit.log(db, actor, "export", kind, None, detail)
    return body


def write_file(path: Path, body: bytes) -> None:
    """Write an export where asked, readable by its owner only (it holds personal data)."""
    # Created 0600 from the first byte: a chmod after writing leaves a moment to read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(body)
    path.chmod(0o600)  # an older file of that name keeps its mode through O_CREAT
