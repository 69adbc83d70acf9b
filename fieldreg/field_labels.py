"""Words for the columns of synced records, for pages that name a field (the conflicts list).

A page must not show a column's name (``given_name``) where a reader expects words in the
page language; a column missing here is shown as it is named, so a test walks the tables.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from fieldreg import i18n

LABELS = {
    "given_name": _l("Given name"), "father_name": _l("Father's name"),
    "mother_name": _l("Mother's name"), "family_name": _l("Family name"), "sex": _l("Sex"),
    "age_years": _l("Age (years)"), "age_estimated": _l("Age estimated"),
    "date_of_birth": _l("Date of birth"), "relationship": _l("Relationship to head"),
    "vulnerabilities": _l("Needs"), "status": _l("Status"), "phone": _l("Phone"),
    "notes": _l("Notes"), "arrived_at": _l("Arrival"), "transport": _l("Transport"),
    "vehicle_ref": _l("Convoy or vehicle"), "arrival_vehicle_id": _l("Vehicle"),
    "origin_district": _l("Origin district"), "origin_neighbourhood": _l("Neighbourhood"),
    "destination_kind": _l("Going to"), "destination_name": _l("Place name"),
    "destination_place": _l("Town or area"), "consent_share": _l("Consent"),
    "reference": _l("Reference"), "agency": _l("Agency"), "origin": _l("Origin"),
    "departure_point": _l("Departure point"), "destination": _l("Destination"),
    "planned_departure": _l("Planned departure (local time)"), "departed_at": _l("Departed"),
    "kind": _l("Kind of vehicle"), "label": _l("Label"), "plate": _l("Plate"),
    "driver_phone": _l("Driver's phone"), "expected": _l("Expected (manifest)"),
    "announced": _l("Announced"), "convoy_id": _l("Convoy"), "owner": _l("Owner"),
}  # fmt: skip
# Columns whose values are codes with words of their own (i18n.LABELS).
CODED = {"sex", "status", "transport", "destination_kind", "relationship", "kind"}


def field_label(name: str) -> str:
    """Return the words for a record's column in the page language (its name if unknown)."""
    return str(LABELS.get(name, name))


def field_value(name: str, value: object) -> object:
    """Return a column's value as a page shows it: a code in words, anything else as is."""
    if name in CODED and isinstance(value, str) and value in i18n.LABELS:
        return i18n.label(value)
    return value
