"""Answers that are possible but probably mistyped ask for a confirmation (issue 14)."""

from __future__ import annotations

import datetime as dt

from fieldreg import plausibility
from fieldreg.schemas.records import HouseholdSchema

TODAY = dt.date(2026, 11, 20)


def warned(*members) -> dict:
    data = HouseholdSchema().load({"members": list(members)})
    return plausibility.warnings(data, list(range(len(members))), TODAY)


def test_an_age_and_a_date_of_birth_that_disagree():
    assert warned({"given_name": "A", "age_years": 40, "date_of_birth": "2020-01-01"}) == {
        "age_years": ["Age 40 does not match the date of birth (6 years old)."]
    }
    head = {"given_name": "H", "age_years": 35}
    assert warned(head, {"given_name": "A", "age_years": 6, "date_of_birth": "2020-01-01"}) == {}


def test_a_very_old_age_and_a_child_as_head():
    assert "105 years old" in warned({"given_name": "A", "age_years": 105})["age_years"][0]
    assert (
        "The head of household is 12"
        in warned({"given_name": "L", "age_years": 12})["age_years"][0]
    )
    alone = {"given_name": "L", "age_years": 12, "vulnerabilities": ["unaccompanied_child"]}
    assert warned(alone) == {}


def test_relationships_that_contradict_the_ages():
    head = {"given_name": "H", "age_years": 30}
    child = {"given_name": "C", "age_years": 45, "relationship": "child"}
    parent = {"given_name": "P", "age_years": 20, "relationship": "parent"}
    found = warned(head, child, parent)
    assert set(found) == {"m1-age_years", "m2-age_years"}
    assert warned(head, {**child, "age_years": 5}) == {}
