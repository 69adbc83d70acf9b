"""PFIF 1.4 (People Finder Interchange Format) for family-tracing services.

One ``person`` per registered person, with the fields PFIF has, and one ``note`` saying the
person was seen alive at the station (``believed_alive``, the author made contact), with the
intended destination as the last known location. Only people whose household consented to
sharing are included: tracing services publish what they receive.
"""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree as ET

from sqlite_utils import Database

from fieldreg.db import setting
from fieldreg.errors import Conflict

NS = "http://zesty.ca/pfif/1.4"
SEXES = {"female": "female", "male": "male"}


def _add(parent: ET.Element, name: str, value) -> None:
    """Append a PFIF field when it has a value."""
    if value not in (None, ""):
        ET.SubElement(parent, f"{{{NS}}}{name}").text = str(value)


def _utc(stamp: str | None) -> str:
    """Write a stored time as PFIF wants it: UTC, yyyy-mm-ddThh:mm:ssZ."""
    when = dt.datetime.fromisoformat(stamp) if stamp else dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def document(db: Database, partner: str | None = None) -> bytes:
    """Return the PFIF 1.4 XML of the people whose household consented to sharing."""
    if partner:
        raise Conflict("PFIF carries names for family tracing: it cannot be pseudonymised.")
    ET.register_namespace("pfif", NS)
    root = ET.Element(f"{{{NS}}}pfif")
    station = setting(db, "station_code") or "XXX"
    domain = f"{station.lower()}.fieldreg"
    source = f"FieldReg {station} {setting(db, 'station_name') or ''}".strip()
    for row in db.query(
        "select p.*, h.station, h.origin_district, h.origin_neighbourhood, h.destination_kind, "
        "h.destination_name, h.destination_place, h.arrived_at from people p "
        "join households h on h.id = p.household_id "
        "where p.deleted = 0 and h.deleted = 0 and h.consent_share = 1 "
        "order by h.created_at, p.position"
    ):
        _person(root, row, domain, source)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _person(root: ET.Element, row: dict, domain: str, source: str) -> None:
    """Append one person record and its note, fields in the order PFIF 1.4 defines."""
    person = ET.SubElement(root, f"{{{NS}}}person")
    record_id = f"{domain}/person.{row['id']}"
    full = " ".join(
        part for part in (row["given_name"], row["father_name"], row["family_name"]) if part
    )
    _add(person, "person_record_id", record_id)
    _add(person, "entry_date", _utc(row["updated_at"]))
    _add(person, "author_name", source)
    _add(person, "source_name", source)
    _add(person, "source_date", _utc(row["created_at"]))
    _add(person, "full_name", full)
    _add(person, "given_name", row["given_name"])
    _add(person, "family_name", row["family_name"])
    description = [f"Father: {row['father_name']}" if row["father_name"] else ""]
    description.append(f"Mother: {row['mother_name']}" if row["mother_name"] else "")
    _add(person, "description", "; ".join(part for part in description if part))
    _add(person, "sex", SEXES.get(row["sex"] or ""))
    _add(person, "date_of_birth", row["date_of_birth"])
    _add(person, "age", row["age_years"])
    _add(person, "home_neighborhood", row["origin_neighbourhood"])
    _add(person, "home_city", row["origin_district"])
    _add(person, "home_country", "SY")
    note = ET.SubElement(person, f"{{{NS}}}note")
    _add(note, "note_record_id", f"{domain}/note.{row['id']}")
    _add(note, "person_record_id", record_id)
    _add(note, "entry_date", _utc(row["updated_at"]))
    _add(note, "author_name", source)
    _add(note, "source_date", _utc(row["arrived_at"] or row["created_at"]))
    _add(note, "author_made_contact", "true")
    _add(note, "status", "believed_alive")
    where = ", ".join(part for part in (row["destination_name"], row["destination_place"]) if part)
    _add(note, "last_known_location", where or source)
    _add(note, "text", f"Registered at {source} ({row['status']}).")
