"""Wristbands and household cards tell members apart without a full name (issue 14)."""

from __future__ import annotations

import datetime as dt

from fieldreg import wristbands
from tests.conftest import household_body


def test_initials_skip_the_article_of_a_family_name():
    assert (
        wristbands.initials({"given_name": "محمد", "father_name": "أحمد", "family_name": "الحلبي"})
        == "م.أ.ح"
    )
    assert wristbands.initials({"given_name": "zainab", "family_name": "Al-Halabi"}) == "Z.H"
    assert wristbands.initials({"given_name": "Omar"}) == "O"


def test_age_from_a_date_of_birth():
    today = dt.date(2026, 5, 3)
    assert wristbands.age({"date_of_birth": "2016-05-04"}, today) == 9
    assert wristbands.age({"date_of_birth": dt.date(2016, 5, 3)}, today) == 10
    assert wristbands.age({"age_years": 41, "date_of_birth": "2016-05-04"}, today) == 41
    assert wristbands.age({}, today) is None


def test_bands_and_cards_carry_initials_age_sex_relationship_never_a_name(
    client, auth_actions, api
):
    hh = client.post("/api/v1/households", json=household_body(), headers=api).json
    auth_actions.login("registrar")
    for page in ("wristbands", "card"):
        text = client.get(f"/households/{hh['code']}/{page}").get_data(as_text=True)
        assert "م.أ.ح" in text and "Z.H" in text and "41 years" in text
        assert "Female" in text and "Spouse" in text and "Head of household" in text
        for name in ("محمد", "أحمد", "الحلبي", "Zainab", "Halabi", "Omar"):
            assert name not in text, (page, name)
        for member in hh["members"]:
            assert member["code"] in text
