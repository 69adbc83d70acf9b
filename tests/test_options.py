"""Option lists: one per schema enumeration, in the language of each request (issue 14)."""

from __future__ import annotations

import re

import pytest

from fieldreg import options
from fieldreg.schemas import convoys as C
from fieldreg.schemas import medical as M
from fieldreg.schemas import records as R
from fieldreg.schemas import tracing as T

ENUMS = {
    "SEX": R.SEXES,
    "RELATIONSHIP": R.RELATIONSHIPS,
    "TRANSPORT": R.TRANSPORTS,
    "VEHICLE": C.VEHICLE_KINDS,
    "DESTINATION": R.DESTINATION_KINDS,
    "HOUSEHOLD_VULN": R.VULNERABILITIES,
    "CATEGORY": M.CATEGORIES,
    "CONDITION": M.CONDITIONS,
    "MOBILITY": M.MOBILITY,
    "REFERRAL_STATUS": M.REFERRAL_STATUSES,
    "REFERRAL_TRANSPORT": M.REFERRAL_TRANSPORTS,
    "MOVEMENT": M.MOVEMENT_KINDS,
    "STATUS": M.STATUSES,
    "SEPARATION": T.SEPARATIONS,
    "ENQUIRER_IS": T.ENQUIRER_IS,
    "OUTCOME": T.OUTCOMES,
}


@pytest.mark.parametrize("name", sorted(ENUMS))
def test_each_list_offers_exactly_what_the_schema_accepts(name):
    assert sorted(v for v, _w in options.LISTS[name]) == sorted(ENUMS[name])


def test_person_needs_are_the_household_needs_but_one():
    person = {v for v, _w in options.PERSON_VULN}
    assert person | {"female_headed_household"} == set(R.VULNERABILITIES)


def _options(page: str) -> list[str]:
    return re.findall(r"<option value=\"[a-z_]+\"[^>]*>([^<]+)</option>", page)


def test_option_lists_follow_each_requests_language(client, auth_actions):
    """Issue 14: the lists kept the language of the first page served after a restart."""
    auth_actions.login("coordinator")
    for first, then, word in (("ar", "en", "Female"), ("en", "ar", "أنثى")):
        client.set_cookie("lang", first)
        client.get("/register")
        client.set_cookie("lang", then)
        page = client.get("/register").get_data(as_text=True)
        assert word in _options(page), (first, then)
