"""Linking another agency's list to ours (sync/dedup/link.py, issue 18): across scripts, one to
one, their duplicates grouped, look-alikes only proposed."""

from __future__ import annotations

from sync.dedup.link import link

OURS = [
    {"id": "o1", "given_name": "محمد", "father_name": "أحمد", "family_name": "الحلبي",
     "sex": "male", "age_years": 41},
    {"id": "o2", "given_name": "Fatima", "father_name": "Khaled", "family_name": "Shami",
     "sex": "female", "date_of_birth": "1990-03-02"},
    {"id": "o3", "given_name": "عبد الرحمن", "father_name": "محمود", "family_name": "النجار",
     "sex": "male", "age_years": 12},
    {"id": "o4", "given_name": "Zainab", "father_name": "Omar", "family_name": "Haddad",
     "sex": "female", "age_years": 30},
]  # fmt: skip


def theirs(*rows: tuple) -> list[dict]:
    keys = ("given_name", "father_name", "family_name", "sex", "age_years")
    return [{"id": f"r{i}", **dict(zip(keys, row, strict=True))} for i, row in enumerate(rows)]


def by_row(result) -> dict[str, object]:
    return {row: group for group in result.groups for row in group.rows}


def test_their_latin_spelling_matches_our_arabic_and_the_reverse():
    found = by_row(link(OURS, theirs(
        ("Mohamad", "Ahmed", "Al-Halabi", "male", 40),
        ("فاطمة", "خالد", "الشامي", "female", 35),
        ("Abdulrahman", "Mahmoud", "Najjar", "male", 12),
        ("Samira", "Yousef", "Kurdi", "female", 60),
    )))  # fmt: skip
    assert [(found[f"r{i}"].status, found[f"r{i}"].ours) for i in range(4)] == [
        ("matched", ["o1"]),
        ("matched", ["o2"]),
        ("matched", ["o3"]),
        ("only_theirs", []),
    ]


def test_rows_naming_one_person_twice_are_one_group():
    result = link(OURS, theirs(
        ("Mohammed", "Ahmad", "Halabi", "male", 40),
        ("Mohamad", "Ahmed", "Al Halabi", "male", 40),
        ("Karim", "Nabil", "Saleh", "male", 22),
        ("Kareem", "Nabil", "Saleh", "male", 22),
    ))  # fmt: skip
    groups = sorted((sorted(g.rows), g.status) for g in result.groups)
    assert groups == [(["r0", "r1"], "matched"), (["r2", "r3"], "only_theirs")]
    assert result.matched_ours() == {"o1"}


def test_a_person_of_ours_is_matched_once_and_cousins_are_only_proposed():
    result = by_row(link(OURS, theirs(
        ("Zainab", "Omar", "Haddad", "female", 30),
        ("Zeinab", "Walid", "Haddad", "female", 30),
    )))  # fmt: skip
    assert (result["r0"].status, result["r0"].ours) == ("matched", ["o4"])
    assert result["r1"].status in ("probable", "only_theirs") and result["r1"].ours == []
    if result["r1"].status == "probable":
        assert result["r1"].candidates[0][0] == "o4"


def test_an_empty_list_links_nothing():
    assert link(OURS, []).groups == []
    alone = link([], theirs(("Omar", "", "Halabi", "male", 3)))
    assert [g.status for g in alone.groups] == ["only_theirs"]


def test_a_cousin_with_another_father_is_only_proposed_even_alone():
    (group,) = link(OURS, theirs(("Zainab", "Walid", "Haddad", "female", 30))).groups
    assert group.status == "probable" and group.candidates[0][0] == "o4"


def test_their_levantine_spelling_matches_our_arabic():
    """Issue 15: a convoy list's "Osman Monzer Halabi" is our عثمان منذر الحلبي."""
    ours = OURS + [{"id": "o5", "given_name": "عثمان", "father_name": "منذر",
                    "family_name": "الحلبي", "sex": "male", "age_years": 35}]  # fmt: skip
    found = by_row(link(ours, theirs(
        ("Osman", "Monzer", "Halabi", "male", 35),
        ("Haysam", "Muaz", "Halabi", "male", 35),
    )))  # fmt: skip
    assert (found["r0"].status, found["r0"].ours) == ("matched", ["o5"])
    assert found["r1"].status == "only_theirs"


def test_two_of_their_rows_alike_only_crosswise_are_two_people():
    """Issue 15: their "Ahmed Mohamad Al-Ibrahim" and "Ebrahim Mohamad Al-Ahmadi" (given and
    family names swapped, ten years apart) are two of ours, not one person written twice."""
    ours = OURS + [
        {"id": "o5", "given_name": "Ahmad", "father_name": "Mohammed", "family_name": "Ibrahim",
         "sex": "male", "age_years": 46},
        {"id": "o6", "given_name": "إبراهيم", "father_name": "محمد", "family_name": "أحمدي",
         "sex": "male", "age_years": 55},
    ]  # fmt: skip
    result = link(ours, theirs(
        ("Ahmed", "Mohamad", "Al-Ibrahim", "male", 45),
        ("Ebrahim", "Mohamad", "Al-Ahmadi", "male", 55),
    ))  # fmt: skip
    groups = sorted((sorted(g.rows), g.status, g.ours) for g in result.groups)
    assert groups == [(["r0"], "matched", ["o5"]), (["r1"], "matched", ["o6"])]
