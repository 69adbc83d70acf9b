"""Family tracing with partners in PFIF 1.4: open cases out (with consent), enquiries in.

Out: each open case whose consent allows sharing is a PFIF person with one note. A child
alone is "found": the child's names and what it said of its family, a note ``believed_alive``
(the author made contact) at the station; its photo, if any, travels inside the file (a data
URL: there is no server to point at). An enquiry is "looking for": the person sought, a note
``information_sought`` with where they were last seen. Cases that came from a partner are
not sent back.

In: a partner's PFIF file (1.2 to 1.4) becomes enquiries, one per person record, updated in
place when the same record comes again. The file is hostile until parsed: a size cap, no
DOCTYPE at all (so no entities, internal or external, and no network), a cap on records.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from xml.etree import ElementTree as ET

from lxml import etree
from sqlite_utils import Database

from fieldreg import audit, records, tags
from fieldreg.db import insert_row, setting, update_row, write
from fieldreg.db import rows as db_rows
from fieldreg.errors import DomainError, Refused
from fieldreg.pfif import NS, utc
from fieldreg.tracing_photos import photo_for_partner
from sync import changelog

MAX_BYTES = 8 * 1024 * 1024
MAX_RECORDS = 20_000
MAX_TEXT = 1000
NAMESPACES = tuple(f"http://zesty.ca/pfif/1.{minor}" for minor in (2, 3, 4))


def _add(parent: ET.Element, name: str, value) -> None:
    """Append a PFIF field when it has a value."""
    if value not in (None, ""):
        ET.SubElement(parent, f"{{{NS}}}{name}").text = str(value)


def _full(case: dict) -> str:
    """Return the name chain of a case's person (the child, or the one sought)."""
    return " ".join(case[k] for k in ("given_name", "father_name", "family_name") if case[k])


def _about(case: dict) -> str:
    """Return what the case says in words, for the PFIF description."""
    parts = []
    if case["kind"] == "child":
        parts.append(f"Separated child ({case['separation'] or 'unaccompanied'}).")
    else:
        parts.append(f"Sought by {case['enquirer_name'] or 'a relative'} "
                     f"({case['relationship'] or 'relative'}).")  # fmt: skip
    for label, key in (("Father", "father_name"), ("Mother", "mother_name")):
        if case[key]:
            parts.append(f"{label}: {case[key]}.")
    if case["siblings"] not in (None, "", "[]"):
        parts.append(f"Siblings: {', '.join(json.loads(case['siblings']))}.")
    if case["separated_place"] or case["separated_on"]:
        parts.append(f"Separated at {case['separated_place'] or '?'} on "
                     f"{case['separated_on'] or '?'}.")  # fmt: skip
    if case["description"]:
        parts.append(case["description"])
    return " ".join(parts)


def export(db: Database, actor: str | None) -> bytes:
    """Return the PFIF 1.4 XML of the open cases with consent to share (an audited export)."""
    ET.register_namespace("pfif", NS)
    root = ET.Element(f"{{{NS}}}pfif")
    station = setting(db, "station_code") or "XXX"
    domain, source = f"{station.lower()}.fieldreg", f"FieldReg {station}"
    cases = db_rows(
        db,
        "select * from tracing_cases where status = 'open' and deleted = 0 and "
        "consent_share = 1 and coalesce(source, '') != 'pfif' order by created_at",
    )
    for case in cases:
        _person(root, db, case, domain, source)
    with write(db):
        audit.log(db, actor, "export", "tracing_cases", None, f"pfif {len(cases)} cases")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _person(root: ET.Element, db: Database, case: dict, domain: str, source: str) -> None:
    """Append one case as a PFIF person and its note, fields in PFIF 1.4's order."""
    person = ET.SubElement(root, f"{{{NS}}}person")
    record_id = f"{domain}/tracing.{case['id']}"
    for name, value in (
        ("person_record_id", record_id), ("entry_date", utc(case["updated_at"])),
        ("author_name", source), ("source_name", source),
        ("source_date", utc(case["created_at"])), ("full_name", _full(case)),
        ("given_name", case["given_name"]), ("family_name", case["family_name"]),
        ("description", _about(case)), ("sex", case["sex"] if case["sex"] in ("female", "male")
                                        else None),
        ("date_of_birth", case["date_of_birth"]), ("age", case["age_years"]),
        ("home_city", case["origin"]), ("home_country", "SY"),
        ("photo_url", photo_for_partner(db, case["id"])),
    ):  # fmt: skip
        _add(person, name, value)
    note = ET.SubElement(person, f"{{{NS}}}note")
    found = case["kind"] == "child"
    for name, value in (
        ("note_record_id", f"{domain}/tracing-note.{case['id']}"),
        ("person_record_id", record_id), ("entry_date", utc(case["updated_at"])),
        ("author_name", source if found else case["enquirer_name"] or source),
        ("source_date", utc(case["created_at"])),
        ("author_made_contact", "true" if found else "false"),
        ("status", "believed_alive" if found else "information_sought"),
        ("last_known_location", source if found else case["separated_place"]),
        ("text", f"Found: cared for at {source}, looking for family." if found else
         f"Looking for {_full(case) or 'a relative'}."),
    ):  # fmt: skip
        _add(note, name, value)


def _parse(data: bytes) -> etree._Element:
    """Parse a partner's file, refusing what is not plain PFIF XML (4xx, never a crash)."""
    if len(data) > MAX_BYTES:
        raise Refused(413, "The file is larger than a PFIF import may be.", "too_large")
    if re.search(rb"<!DOCTYPE|<!ENTITY", data[:65536], re.I):
        raise DomainError("The file declares a DOCTYPE or entities: refused.", code="pfif_invalid")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=True, remove_pis=True)  # fmt: skip
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise DomainError(f"This is not well-formed XML: {exc}.", code="pfif_invalid") from None
    if root.getroottree().docinfo.doctype or etree.QName(root).namespace not in NAMESPACES:
        raise DomainError("This is not a PFIF 1.2-1.4 file.", code="pfif_invalid")
    if len(root) > MAX_RECORDS:
        raise DomainError(f"At most {MAX_RECORDS} records per file.", code="pfif_invalid")
    return root


def _text(element, name: str) -> str:
    """Return a child element's text (PFIF namespace), stripped and bounded."""
    found = element.find(f"{{{etree.QName(element).namespace}}}{name}")
    return (found.text or "").strip()[:MAX_TEXT] if found is not None else ""


def _age(text: str) -> int | None:
    """Read a PFIF age ("10", or a range "8-10": its middle), or None."""
    found = [int(n) for n in re.findall(r"\d{1,3}", text)[:2]]
    age = sum(found) // len(found) if found else None
    return age if age is not None and 0 <= age <= 120 else None


def _day(text: str) -> str | None:
    """Read a PFIF date or time as a day (YYYY-MM-DD), or None (never one in the future)."""
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
    return day.isoformat() if day <= dt.date.today() else None


def _enquiry(person) -> dict:
    """Return the enquiry a PFIF person record makes (the person sought)."""
    given, family, full = (_text(person, k) for k in ("given_name", "family_name", "full_name"))
    if not given and full:
        words = full.split()
        given, family = words[0], family or (words[-1] if len(words) > 1 else "")
    notes = person.findall(f"{{{etree.QName(person).namespace}}}note")
    seen = next((_text(n, "last_known_location") for n in notes
                 if _text(n, "last_known_location")), "")  # fmt: skip
    sex = _text(person, "sex")
    home = _text(person, "home_city") or _text(person, "home_neighborhood")
    contact = _text(person, "author_phone") or _text(person, "author_email")
    return {
        "given_name": given[:100] or None, "family_name": family[:100] or None,
        "sex": sex if sex in ("female", "male") else None, "age_years": _age(_text(person, "age")),
        "date_of_birth": _day(_text(person, "date_of_birth")), "origin": home[:200] or None,
        "description": _text(person, "description") or None,
        "separated_place": seen[:200] or None,
        "separated_on": _day(_text(person, "source_date") or _text(person, "entry_date")),
        "enquirer_name": _text(person, "author_name")[:100] or "partner",
        "enquirer_contact": contact[:200] or None,
    }  # fmt: skip


def import_file(db: Database, data: bytes, actor: str | None) -> dict:
    """Take a partner's PFIF file as enquiries; return how many were new, updated, skipped."""
    root = _parse(data)
    own = f"{(setting(db, 'station_code') or '').lower()}.fieldreg/"
    counts = {"imported": 0, "updated": 0, "skipped": 0}
    with write(db):
        for person in root.findall(f"{{{etree.QName(root).namespace}}}person"):
            ref = _text(person, "person_record_id")[:500]
            fields = _enquiry(person)
            if not ref or ref.startswith(own) or not (fields["given_name"] or
                                                      fields["family_name"]):  # fmt: skip
                counts["skipped"] += 1
                continue
            counts[_upsert(db, ref, fields, actor)] += 1
        audit.log(db, actor, "import", "tracing_cases", None, f"pfif {counts}")
    return counts


def _upsert(db: Database, ref: str, fields: dict, actor: str | None) -> str:
    """Insert a partner's enquiry, or update it when the same record came before."""
    found = db_rows(db, "select * from tracing_cases where source = 'pfif' and source_ref = ?",
                    [ref])  # fmt: skip
    if found:
        changes = {k: v for k, v in fields.items() if found[0][k] != v}
        if changes and found[0]["status"] == "open" and not found[0]["deleted"]:
            changes["updated_at"] = tags.now()
            update_row(db, "tracing_cases", found[0]["id"], changes)
            changelog.record(db, "tracing_cases", found[0]["id"], "upsert", changes)
            return "updated"
        return "skipped"
    stamp, case_id = tags.now(), records.new_id()
    row = {**fields, "id": case_id, "kind": "enquiry", "status": "open", "siblings": "[]",
           "station": setting(db, "station_code"), "source": "pfif", "source_ref": ref,
           "consent_share": 0, "assent": 0, "created_by": actor, "created_at": stamp,
           "updated_at": stamp, "deleted": 0}  # fmt: skip
    insert_row(db, "tracing_cases", row)
    changelog.record_many(db, [("tracing_cases", case_id, "upsert", row)], fresh=True)
    return "imported"
