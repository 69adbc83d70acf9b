"""The registration form's inputs read into records: digits, dates, and errors by input."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from fieldreg import codes, forms, tags
from tests.conftest import csrf_of


@pytest.mark.parametrize(
    "typed, read",
    [
        ("2016-05-04", "2016-05-04"),
        ("2016/5/4", "2016-05-04"),
        ("2016.05.04", "2016-05-04"),
        ("2016 5 4", "2016-05-04"),
        ("20160504", "2016-05-04"),
        ("04/05/2016", "04/05/2016"),  # day first: left for the schema to refuse
        ("2016-13-01", "2016-13-01"),
    ],
)
def test_year_first_dates_are_written_the_one_way(typed, read):
    assert forms.normal_date(typed) == read


def test_arabic_indic_and_persian_digits_are_read_as_digits():
    assert forms.western_digits("٠٩٣٣ ١٢٣ ۴۵۶") == "0933 123 456"
    data, _blocks = forms.household_from_form(
        MultiDict([("given_name", "Ali"), ("age_years", "٤٠"), ("phone", "٠٩٣٣")])
    )
    assert data["members"][0]["age_years"] == "40" and data["phone"] == "0933"


def test_errors_land_on_the_inputs_that_carried_them():
    messages = {
        "members": {1: {"vulnerabilities": {0: ["Choose from the list."]}, "tag_code": ["x"]}},
        "device_code": ["Not a code of this device's block."],
        "vulnerabilities": {0: ["Choose from the list."]},
    }
    assert forms.errors_for_form(messages, [0, 3]) == {
        "m3-vulnerabilities": ["Choose from the list."],
        "m3-tag_code": ["x"],
        "household_device_code": ["Not a code of this device's block."],
        "household_vulnerabilities": ["Choose from the list."],
    }


def test_a_members_tag_in_use_is_reported_beside_that_member(client, auth_actions, db):
    """Issue 14: a refused tag was reported at the head's tag field, whoever carried it."""
    (taken,) = tags.issue(db, "free", 1)
    db.execute("update codes set kind = 'person', record_id = 'x' where code = ?", [taken])
    auth_actions.login("registrar")
    form = {"csrf_token": csrf_of(client), "given_name": "Huda", "m1-given_name": "Sami",
            "m1-tag_code": taken, "action": "save"}  # fmt: skip
    page = client.post("/register", data=form).get_data(as_text=True)
    assert 'id="err-m1-tag_code"' in page and 'id="err-tag_code"' not in page
    assert 'value="Sami"' in page and codes.parse(taken) in page
