"""The tablet's form checks are read from the schemas, in the page language (issue 14)."""

from __future__ import annotations

from marshmallow import validate

from fieldreg import codes, formrules, forms
from fieldreg.schemas import records as schemas


def test_the_rules_are_the_schemas_own(app):
    with app.test_request_context():
        rules = formrules.rules()
    person = schemas.PersonSchema().fields
    for name in forms.PERSON_INPUTS:
        lengths = [v for v in person[name].validators if isinstance(v, validate.Length)]
        if lengths:
            assert rules["person"][name]["max_length"][0] == lengths[0].max, name
    assert "required" in rules["person"]["given_name"]
    assert rules["person"]["age_years"]["range"][:2] == [0, schemas.AGE_MAX]
    assert rules["person"]["sex"]["one_of"][0] == list(schemas.SEXES)
    assert rules["person"]["date_of_birth"]["birth_range"][0] == "1900-01-01"
    assert rules["household"]["transport"]["one_of"][0] == list(schemas.TRANSPORTS)
    assert rules["household"]["phone"]["phone_chars"][0] == schemas.PHONE_CHARS
    assert rules["household"]["notes"]["max_length"][0] == 2000
    assert rules["code"] == {"alphabet": codes.ALPHABET, "length": 9}
    assert rules["members"]["max"] == schemas.MAX_MEMBERS
    every = set(rules["person"]) | set(rules["household"])
    assert set(forms.PERSON_INPUTS) <= every
    typed = {name for mapping in forms.HOUSEHOLD_INPUTS.values() for name in mapping.values()}
    assert typed <= every


def test_the_rules_speak_the_page_language(app):
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        rules = formrules.rules()
    assert rules["person"]["given_name"]["required"] == "مطلوب."
    assert rules["person"]["age_years"]["range"][2] == "العمر بين 0 و120 سنة."
    assert "{age}" in rules["plausibility"]["messages"]["very_old"]
