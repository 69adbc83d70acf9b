"""Answers that are possible but probably mistyped: the registrar is asked to confirm them.

A warning never refuses a record (the schema does that); it stops the save once, shows what
looks wrong beside the field, and a second "Save anyway" goes through. The tablet runs the
same rules before sealing (``static/formcheck.js`` reads ``RULES`` from the page), and a test
runs both on one table of cases.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from fieldreg import forms, wristbands

RULES = {
    # An age and a date of birth further apart than this (years) do not describe one person.
    "age_tolerance": 1,
    "very_old": 100,
    # A head of household younger than this is probably a child alone.
    "young_head": 15,
}
MESSAGES = {
    "age_mismatch": _l("Age {age} does not match the date of birth ({born} years old)."),
    "very_old": _l("{age} years old: check the age."),
    "young_head": _l(
        "The head of household is {age}: if this child is alone, tick "
        "“Unaccompanied child” or “Separated child” under Needs."
    ),
    "child_older": _l("Older than the head of household but marked as their child."),
    "parent_younger": _l("Younger than the head of household but marked as their parent."),
}
ALONE = {"unaccompanied_child", "separated_child"}


def warnings(data: dict, blocks: list[int], today: dt.date | None = None) -> dict[str, list[str]]:
    """Return the warnings of a loaded household (HouseholdSchema), by form input name."""
    today = today or dt.date.today()
    members = data.get("members") or []
    ages = [_age(m, today) for m in members]
    out: dict[str, list[str]] = {}
    for index, (member, block) in enumerate(zip(members, blocks, strict=False)):
        found = _member_warnings(member, ages[index], ages[0], index == 0, today)
        if found:
            out[forms.prefix(block) + "age_years"] = found
    return out


def _member_warnings(member: dict, age, head_age, is_head: bool, today: dt.date) -> list[str]:
    """Return what looks wrong about one member's age."""
    found = []
    given, born = member.get("age_years"), member.get("date_of_birth")
    if given is not None and born:
        from_birth = wristbands.age({"date_of_birth": born}, today)
        if abs(given - from_birth) > RULES["age_tolerance"]:
            found.append(str(MESSAGES["age_mismatch"]).format(age=given, born=from_birth))
    if age is not None and age >= RULES["very_old"]:
        found.append(str(MESSAGES["very_old"]).format(age=age))
    alone = ALONE & set(member.get("vulnerabilities") or ())
    if is_head and age is not None and age < RULES["young_head"] and not alone:
        found.append(str(MESSAGES["young_head"]).format(age=age))
    if not is_head and age is not None and head_age is not None:
        if member.get("relationship") == "child" and age >= head_age:
            found.append(str(MESSAGES["child_older"]))
        if member.get("relationship") == "parent" and age <= head_age:
            found.append(str(MESSAGES["parent_younger"]))
    return found


def _age(member: dict, today: dt.date) -> int | None:
    """Return a member's age: as given, else from the date of birth."""
    return wristbands.age(member, today)


def rules() -> dict:
    """Return the thresholds and messages for the tablet's copy of these checks."""
    return {**RULES, "messages": {key: str(text) for key, text in MESSAGES.items()}}
