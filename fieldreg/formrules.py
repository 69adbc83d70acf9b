"""The registration form's checks, read from the marshmallow schemas, for the tablet.

The tablet checks a household before it seals it (``static/formcheck.js``): a record sealed
with a mistake would only be refused later, away from the family. Its rules are not written a
second time by hand: ``rules()`` reads them from ``PersonSchema`` and ``HouseholdSchema``
(required, lengths, ranges, lists, whole numbers, dates), adds the schema-level checks through
the constants those use (date of birth, phone characters), the station's code check
(``fieldreg.codes``) and the plausibility warnings, with every message in the page language.
``tests/test_browser_register.py`` runs one table of cases through the schema and the tablet.

    {"person": {input: {rule: ...}}, "household": {input: {rule: ...}},
     "members": {...}, "code": {...}, "plausibility": {...}}
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from fieldreg import codes, forms, plausibility
from fieldreg.schemas import messages as M
from fieldreg.schemas import records as schemas


def field_rules(field: fields.Field) -> dict:
    """Return what a field accepts, in the tablet's terms, with its messages."""
    out: dict = {}
    if field.required:
        out["required"] = str(field.error_messages["required"])
    if isinstance(field, fields.Integer):
        out["integer"] = str(field.error_messages["invalid"])
    if isinstance(field, fields.Date):
        out["date"] = str(field.error_messages["invalid"])
    if isinstance(field, fields.List):
        inner = field_rules(field.inner)
        if "one_of" in inner:
            out["each_one_of"] = inner["one_of"]
    for check in field.validators:
        if isinstance(check, validate.Length) and check.max is not None:
            message = (check.error or check.message_max).format(max=check.max, min=check.min)
            out["max_length"] = [check.max, message]
        elif isinstance(check, validate.Range):
            message = (check.error or check.message_all).format(min=check.min, max=check.max)
            out["range"] = [check.min, check.max, message]
        elif isinstance(check, validate.OneOf):
            message = (check.error or check.default_message).format(choices="", labels="")
            out["one_of"] = [list(check.choices), message]
    return out


def _schema_rules(schema: Schema, inputs: dict[str, str]) -> dict:
    """Return the rules of a schema's fields, keyed by the form input each is typed into."""
    return {name: field_rules(schema.fields[key]) for key, name in inputs.items()}


def rules() -> dict:
    """Return every check the tablet runs on the registration form (page language)."""
    person = _schema_rules(schemas.PersonSchema(), {k: k for k in forms.PERSON_INPUTS})
    person["vulnerabilities"] = field_rules(schemas.PersonSchema().fields["vulnerabilities"])
    person["date_of_birth"]["birth_range"] = [
        schemas.BIRTH_EARLIEST.isoformat(),
        str(M.BIRTH_RANGE),
    ]
    household = {}
    for part, mapping in forms.HOUSEHOLD_INPUTS.items():
        nested = schemas.HouseholdSchema().fields[part].schema
        household.update(_schema_rules(nested, mapping))
    top = schemas.HouseholdSchema()
    household.update(_schema_rules(top, forms.PLAIN_INPUTS))
    household["household_vulnerabilities"] = field_rules(top.fields["vulnerabilities"])
    household["phone"]["phone_chars"] = [schemas.PHONE_CHARS, str(M.PHONE)]
    for name in ("tag_code", "household_tag_code"):
        (person if name == "tag_code" else household)[name]["code"] = str(M.NOT_A_CODE)
    members = top.fields["members"].validators[0]
    return {
        "person": person,
        "household": household,
        "members": {"max": members.max, "message": members.error.format(max=members.max)},
        "code": {
            "alphabet": codes.ALPHABET,
            "length": codes.PREFIX_LEN + codes.SEQ_LEN + 1,
        },
        "digit_inputs": list(forms.DIGIT_INPUTS),
        "plausibility": plausibility.rules(),
    }
