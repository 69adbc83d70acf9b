"""PFIF 1.4 (People Finder Interchange Format) for family-tracing services.

One ``person`` per registered person, with the fields PFIF has, and one ``note`` saying the
person was seen alive at the station (``believed_alive``, the author made contact), with the
intended destination as the last known location. Only people whose household consented to
sharing are included: tracing services publish what they receive. Registrations HQ linked
as one person are linked in PFIF's own way (a note's ``linked_person_record_id``). The file
is written as it is read (``chunks``), a thousand people at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from xml.sax.saxutils import escape

from sqlite_utils import Database

from fieldreg import clusters
from fieldreg.db import setting
from fieldreg.errors import Conflict
from fieldreg.streams import UNWRITABLE

NS = "http://zesty.ca/pfif/1.4"
SEXES = {"female": "female", "male": "male"}


PERSON_FIELDS = (
    "person_record_id", "entry_date", "author_name", "source_name", "source_date", "full_name",
    "given_name", "family_name", "description", "sex", "date_of_birth", "age",
    "home_neighborhood", "home_city", "home_country",
)  # fmt: skip
NOTE_FIELDS = (
    "note_record_id", "person_record_id", "linked_person_record_id", "entry_date",
    "author_name", "source_date", "author_made_contact", "status", "last_known_location", "text",
)  # fmt: skip
PEOPLE_SQL = (
    "select p.*, h.station, h.origin_district, h.origin_neighbourhood, h.destination_kind, "
    "h.destination_name, h.destination_place, h.arrived_at from households h "
    "cross join people p on p.household_id = h.id "
    "where p.deleted = 0 and h.deleted = 0 and h.consent_share = 1 order by h.rowid, p.position"
)
BATCH = 1000


def utc(stamp: str | None) -> str:
    """Write a stored time as PFIF wants it: UTC, yyyy-mm-ddThh:mm:ssZ."""
    when = dt.datetime.fromisoformat(stamp) if stamp else dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def count(db: Database) -> int:
    """Return how many people a PFIF export holds (those whose household agreed to share)."""
    sql = PEOPLE_SQL.replace("select p.*,", "select count(*),").split(" order by")[0]
    return db.execute(sql).fetchone()[0]


def document(db: Database, partner: str | None = None) -> bytes:
    """Return the PFIF 1.4 XML of the people whose household consented to sharing."""
    return b"".join(chunks(db, partner))


def chunks(db: Database, partner: str | None = None, progress=None) -> Iterator[bytes]:
    """Write the PFIF 1.4 XML as it is read: a chunk per batch of people.

    Registrations HQ linked as one person (a dedup cluster) say so as PFIF does: each note
    names, as ``linked_person_record_id``, the cluster's first record (by id) in this file.
    """
    if partner:  # refused now, not when the first chunk is asked for
        raise Conflict("PFIF carries names for family tracing: it cannot be pseudonymised.")
    return _chunks(db, progress)


def _chunks(db: Database, progress) -> Iterator[bytes]:
    """Write the PFIF document a batch of people at a time."""
    station = setting(db, "station_code") or "XXX"
    domain = f"{station.lower()}.fieldreg"
    source = f"FieldReg {station} {setting(db, 'station_name') or ''}".strip()
    yield f'<?xml version="1.0" encoding="utf-8"?>\n<pfif:pfif xmlns:pfif="{NS}">'.encode()
    for batch in _batches(db.query(PEOPLE_SQL)):
        links = _links(db, [row["id"] for row in batch])
        text = "".join(_person(row, domain, source, links.get(row["id"])) for row in batch)
        if progress is not None:
            progress.done += len(batch)
        yield text.encode("utf-8")
    yield b"\n</pfif:pfif>\n"


def _batches(rows: Iterator[dict]) -> Iterator[list[dict]]:
    """Yield rows in lists of at most BATCH."""
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _links(db: Database, ids: list[str]) -> dict[str, str]:
    """Return, for these people, the record each is linked to: the first (by id) of its
    cluster in this file, for every other member of the cluster in this file."""
    found = clusters.person_clusters(db, ids) or {}
    members = clusters.cluster_members(db, sorted(set(found.values())))
    shared = [people for people in members.values() if len(people) > 1]
    listed = _consenting(db, sorted({p for people in shared for p in people}))
    wanted, links = set(ids), {}
    for people in shared:
        kept = [p for p in sorted(people) if p in listed]
        links.update({p: kept[0] for p in kept[1:] if p in wanted})
    return links


def _consenting(db: Database, ids: list[str]) -> set[str]:
    """Return which of these people are in the file (their household agreed to share)."""
    kept: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        kept.update(row[0] for row in db.execute(
            "select p.id from people p join households h on h.id = p.household_id where "
            f"p.deleted = 0 and h.deleted = 0 and h.consent_share = 1 and p.id in "
            f"({','.join('?' * len(chunk))})", chunk))  # fmt: skip
    return kept


def _element(fields: dict, order: tuple, pad: str) -> str:
    """Write an element's fields (those with a value), in PFIF's order, escaped."""
    return "".join(
        f"{pad}<pfif:{key}>{escape(UNWRITABLE.sub('', str(fields[key])))}</pfif:{key}>"
        for key in order
        if fields.get(key) not in (None, "")
    )


def _person(row: dict, domain: str, source: str, link: str | None) -> str:
    """Write one person record and its note, fields in the order PFIF 1.4 defines."""
    record_id = f"{domain}/person.{row['id']}"
    full = " ".join(
        part for part in (row["given_name"], row["father_name"], row["family_name"]) if part
    )
    description = [f"Father: {row['father_name']}" if row["father_name"] else ""]
    description.append(f"Mother: {row['mother_name']}" if row["mother_name"] else "")
    person = {
        "person_record_id": record_id, "entry_date": utc(row["updated_at"]),
        "author_name": source, "source_name": source, "source_date": utc(row["created_at"]),
        "full_name": full, "given_name": row["given_name"], "family_name": row["family_name"],
        "description": "; ".join(part for part in description if part),
        "sex": SEXES.get(row["sex"] or ""), "date_of_birth": row["date_of_birth"],
        "age": row["age_years"], "home_neighborhood": row["origin_neighbourhood"],
        "home_city": row["origin_district"], "home_country": "SY",
    }  # fmt: skip
    where = ", ".join(part for part in (row["destination_name"], row["destination_place"]) if part)
    note = {
        "note_record_id": f"{domain}/note.{row['id']}", "person_record_id": record_id,
        "linked_person_record_id": f"{domain}/person.{link}" if link else None,
        "entry_date": utc(row["updated_at"]), "author_name": source,
        "source_date": utc(row["arrived_at"] or row["created_at"]),
        "author_made_contact": "true", "status": "believed_alive",
        "last_known_location": where or source,
        "text": f"Registered at {source} ({row['status']}).",
    }  # fmt: skip
    return (
        f"\n  <pfif:person>{_element(person, PERSON_FIELDS, chr(10) + '    ')}"
        f"\n    <pfif:note>{_element(note, NOTE_FIELDS, chr(10) + '      ')}"
        "\n    </pfif:note>\n  </pfif:person>"
    )
