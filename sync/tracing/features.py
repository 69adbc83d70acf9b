"""What tracing compares, as rows the dedup features understand.

A child says names as a chain ("Omar Ahmad al-Halabi": own, father's, family) or in parts;
an adult's record holds its parts. Every name is cut to the part that identifies: the first
token of a given, father's or mother's name (compounds such as عبد الرحمن stay one token), the
last of a family name. A chain fills the parts the child did not give separately.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from sync.names import normalize, skeleton

NAME_KEYS = ("given_name", "father_name", "mother_name", "family_name")


@lru_cache(maxsize=200_000)
def chain(raw: str | None) -> tuple[str, ...]:
    """Return the normalised tokens of a name (compound names are one token)."""
    return tuple(normalize(raw).split()) if raw else ()


def first(raw: str | None) -> str:
    """Return the first token of a name, or ''."""
    tokens = chain(raw)
    return tokens[0] if tokens else ""


def last(raw: str | None) -> str:
    """Return the last token of a name, or ''."""
    tokens = chain(raw)
    return tokens[-1] if tokens else ""


def _base(record: dict) -> dict:
    """Return the fields every comparable row carries besides names."""
    return {
        "id": record.get("id"),
        "sex": record.get("sex") or "",
        "age_years": record.get("age_years"),
        "date_of_birth": record.get("date_of_birth") or "",
        "origin": record.get("origin") or "",
        "household_id": record.get("household_id") or "",
    }


def parts(record: dict) -> dict:
    """Split a record's names into comparable parts, filling parts a chain gives."""
    given, father = chain(record.get("given_name")), chain(record.get("father_name"))
    row = {
        "given_name": given[0] if given else "",
        "father_name": father[0] if father else "",
        "mother_name": first(record.get("mother_name")),
        "family_name": last(record.get("family_name")),
    }
    if not row["father_name"] and len(given) >= 2:
        row["father_name"] = given[1]
    if not row["family_name"] and len(given) >= 3:
        row["family_name"] = given[-1]
    if not row["family_name"] and len(father) >= 2:
        row["family_name"] = father[-1]
    return row


def person_row(person: dict) -> dict:
    """Shape a registered person as a comparable row."""
    return {**_base(person), **parts(person)}


def sibling_rows(case: dict) -> list[dict]:
    """Return one row per sibling the child named (only the given name compares)."""
    named = [first(s) for s in case.get("siblings") or []]
    return [
        {**_base({}), "id": f"{case['id']}#{i}", "given_name": name}
        for i, name in enumerate(dict.fromkeys(n for n in named if n))
    ]


RELATIVE_OF = {"father": "father_name", "mother": "mother_name"}


def sought_row(enquiry: dict) -> dict:
    """Shape the person an enquiry looks for; a parent's own names fill the child's parts.

    A father looking for his son is the son's father: his given name is the son's father's
    name and his family name the son's; a mother's given name is the son's mother's name.
    """
    row = {**_base(enquiry), **parts(enquiry)}
    enquirer = enquiry.get("enquirer") or {}
    column = RELATIVE_OF.get(enquiry.get("relationship") or "")
    if column and not row[column]:
        row[column] = first(enquirer.get("given_name"))
    if enquiry.get("relationship") == "father" and not row["family_name"]:
        row["family_name"] = last(enquirer.get("family_name"))
    return row


@lru_cache(maxsize=20_000)
def place_key(raw: str | None) -> str:
    """Return the cross-script key of a place ('' when none)."""
    key = skeleton(raw) if raw else ""
    return "place:" + key if key else ""


def day_number(raw: str | dt.date | None) -> int:
    """Return a date as a day number (0 when unknown or unreadable)."""
    if not raw:
        return 0
    if isinstance(raw, dt.date):
        return raw.toordinal()
    try:
        return dt.date.fromisoformat(str(raw)[:10]).toordinal()
    except ValueError:
        return 0
