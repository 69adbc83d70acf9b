"""HTML form <-> schema data: the registration form posts flat fields; schemas want records.

The head of household's fields carry plain names (``given_name``, ``age_years``...), so a
keyboard, a test or a barcode tool can address them; member ``i`` (i >= 1) uses ``m{i}-``.
"""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

from fieldreg import bodies
from fieldreg.schemas.records import MAX_MEMBERS

PERSON_INPUTS = (
    "given_name",
    "father_name",
    "mother_name",
    "family_name",
    "sex",
    "age_years",
    "date_of_birth",
    "relationship",
    "tag_code",
)
HOUSEHOLD_INPUTS = {
    "arrival": {"transport": "transport", "vehicle_ref": "vehicle_ref", "vehicle_id": "vehicle_id"},
    "origin": {"district": "origin_district", "neighbourhood": "origin_neighbourhood"},
    "destination": {
        "kind": "destination_kind",
        "name": "destination_name",
        "place": "destination_place",
    },
}
PLAIN_INPUTS = {"phone": "phone", "notes": "notes", "tag_code": "household_tag_code"}
# Errors about what the tablet filled in itself (its codes), by the input that carried it.
HIDDEN_INPUTS = {"device_code": "household_device_code"}
# Inputs typed as figures: Arabic-Indic (and Persian) digits are read as 0-9.
DIGIT_INPUTS = ("age_years", "date_of_birth", "phone", "tag_code", "household_tag_code")
EASTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
_DATE_PARTS = re.compile(
    r"([0-9]{4})[-/. ]+([0-9]{1,2})[-/. ]+([0-9]{1,2})|([0-9]{4})([0-9]{2})([0-9]{2})"
)


def western_digits(text: str) -> str:
    """Write Arabic-Indic and Persian digits as 0-9 (the registrar's keyboard may give either)."""
    return text.translate(EASTERN_DIGITS)


def normal_date(text: str) -> str:
    """Write a year-month-day date (2016/5/4, 2016 05 04, 20160504) as 2016-05-04.

    Only the year-first order is read: a day and a month cannot be told apart otherwise.
    Anything else is left as typed, for the schema to refuse.
    """
    found = _DATE_PARTS.fullmatch(text.strip())
    if not found:
        return text
    year, month, day = (g for g in found.groups() if g is not None)
    return f"{year}-{int(month):02d}-{int(day):02d}"


def normal_input(name: str, value: str) -> str:
    """Return a typed value as the schema reads it (digits, dates); ``name`` is unprefixed."""
    if name in DIGIT_INPUTS:
        value = western_digits(value)
    if name == "date_of_birth":
        value = normal_date(value)
    return value


def prefix(index: int) -> str:
    """Return the input-name prefix of member ``index``."""
    return "" if index == 0 else f"m{index}-"


def member_indices(form: MultiDict) -> list[int]:
    """Return the indices of the member blocks present in a posted form, head first."""
    found = {0}
    for key in form:
        head, dash, _rest = key.partition("-")
        index = bodies.whole_number(head[1:], digits=3) if dash and head[:1] == "m" else None
        if index is not None:
            found.add(index)
    return sorted(found)[: MAX_MEMBERS + 1]


def person_from_form(form: MultiDict, pre: str) -> dict:
    """Read one person's inputs."""
    person = {name: normal_input(name, form.get(pre + name, "")) for name in PERSON_INPUTS}
    person = {k: v for k, v in person.items() if v.strip()}
    person["age_estimated"] = form.get(pre + "age_estimated") == "on"
    person["vulnerabilities"] = form.getlist(pre + "vulnerabilities")
    return person


def household_from_form(form: MultiDict) -> tuple[dict, list[int]]:
    """Read the registration form into HouseholdSchema's shape, with each member's block index."""
    data: dict = {}
    for part, mapping in HOUSEHOLD_INPUTS.items():
        data[part] = {
            key: form[name] for key, name in mapping.items() if form.get(name, "").strip()
        }
    for key, name in PLAIN_INPUTS.items():
        if form.get(name, "").strip():
            data[key] = normal_input(name, form[name])
    if form.get("client_id", "").strip():
        data["client_id"] = form["client_id"]
    data["vulnerabilities"] = form.getlist("household_vulnerabilities")
    data["consent_share"] = form.get("consent_share") == "on"
    blocks = [(i, person_from_form(form, prefix(i))) for i in member_indices(form)]
    # A blank extra member block (added, then left empty) is not a member.
    kept = [(i, m) for i, m in blocks if i == 0 or _filled(m)]
    data["members"] = [m for _i, m in kept]
    return data, [i for i, _m in kept]


def _filled(person: dict) -> bool:
    return any(k not in ("age_estimated", "vulnerabilities", "sex") for k in person)


def errors_for_form(messages: dict, blocks: list[int]) -> dict[str, list[str]]:
    """Map marshmallow's nested messages onto the form's input names."""
    out: dict[str, list[str]] = {}
    for key, value in messages.items():
        if key == "members" and isinstance(value, dict):
            for index, person_errors in value.items():
                block = blocks[int(index)] if int(index) < len(blocks) else int(index)
                for field, msgs in _as_dict(person_errors).items():
                    out[prefix(block) + field] = _as_list(msgs)
        elif key in HOUSEHOLD_INPUTS and isinstance(value, dict):
            for field, msgs in value.items():
                out[HOUSEHOLD_INPUTS[key].get(field, field)] = msgs
        elif key == "vulnerabilities":
            out["household_vulnerabilities"] = _as_list(value)
        else:
            out[PLAIN_INPUTS.get(key) or HIDDEN_INPUTS.get(key, key)] = _as_list(value)
    return out


def _as_dict(value) -> dict:
    return value if isinstance(value, dict) else {"given_name": _as_list(value)}


def _as_list(value) -> list[str]:
    if isinstance(value, dict):
        return [m for v in value.values() for m in _as_list(v)]
    return list(value) if isinstance(value, list) else [str(value)]
