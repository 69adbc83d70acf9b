"""HTML form <-> schema data: the registration form posts flat fields; schemas want records.

The head of household's fields carry plain names (``given_name``, ``age_years``...), so a
keyboard, a test or a barcode tool can address them; member ``i`` (i >= 1) uses ``m{i}-``.
"""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

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


def prefix(index: int) -> str:
    """Return the input-name prefix of member ``index``."""
    return "" if index == 0 else f"m{index}-"


def member_indices(form: MultiDict) -> list[int]:
    """Return the indices of the member blocks present in a posted form, head first."""
    found = {0}
    for key in form:
        head, dash, _rest = key.partition("-")
        if dash and head[:1] == "m" and head[1:].isdigit():
            found.add(int(head[1:]))
    return sorted(found)[: MAX_MEMBERS + 1]


def person_from_form(form: MultiDict, pre: str) -> dict:
    """Read one person's inputs."""
    person = {name: form.get(pre + name, "") for name in PERSON_INPUTS}
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
            data[key] = form[name]
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
                    out[prefix(block) + field] = msgs
        elif key in HOUSEHOLD_INPUTS and isinstance(value, dict):
            for field, msgs in value.items():
                out[HOUSEHOLD_INPUTS[key].get(field, field)] = msgs
        elif key == "vulnerabilities":
            out["household_vulnerabilities"] = _as_list(value)
        else:
            out[PLAIN_INPUTS.get(key, key)] = _as_list(value)
    return out


def _as_dict(value) -> dict:
    return value if isinstance(value, dict) else {"given_name": _as_list(value)}


def _as_list(value) -> list[str]:
    if isinstance(value, dict):
        return [m for v in value.values() for m in _as_list(v)]
    return list(value) if isinstance(value, list) else [str(value)]
