"""Test support for convoys (issue 18): a population of households, how FieldReg's registrars
write them, and how another agency writes the same people in its own list.

People are drawn from bench/gen_population.py's name lists (Zipf-weighted, with their Arabic
form and Latin transliterations), with no two people sharing given, father's and family name
(two namesakes of one age cannot be told apart by any list, so they would make a "difference"
nobody planted). FieldReg writes each household in Arabic or in Latin letters; the other
agency writes everyone in Latin letters with its own transliteration (another variant where
there is one, its own article style) and rounded ages.
"""

from __future__ import annotations

import random
from datetime import date

from bench.gen_population import Names, make_household
from sync.names import skeleton

TODAY = date(2026, 11, 1)
NAMES = ("given", "father", "mother", "family")


def population(households: int, seed: int = 18) -> list[list[dict]]:
    """Return households (lists of true people) with no two people of one name triple."""
    rng = random.Random(seed)
    # The population before issue 15's Levantine spellings (Osman, Monzer): _crosses leaves
    # such names out anyway, and their extra entries would only reshuffle who is drawn.
    names, seen, found, hid = Names(rng, levantine=False), set(), [], 0
    while len(found) < households:
        hid += 1
        members = make_household(names, hid, TODAY)
        keys = [_triple(m) for m in members]
        if len(set(keys)) < len(keys) or seen & set(keys) or not all(map(_crosses, members)):
            continue
        seen |= set(keys)
        found.append(members)
    return found


def _triple(person: dict) -> tuple[str, str, str]:
    return tuple(skeleton(person[f][1][0]) for f in ("given", "father", "family"))


def _crosses(person: dict) -> bool:
    """Tell whether each name's first Latin spelling has its Arabic form's consonants.

    Levantine spellings that change a consonant (Osman for Othman, Monzer for Munther, Moaz
    for Muath) are different names to sync/names.py's skeleton: they are left out, so that
    every difference the drill finds is one it planted.
    """
    return all(skeleton(person[f][0]) == skeleton(person[f][1][0]) for f in NAMES)


def _their_spelling(name: tuple[str, list[str]]) -> str:
    """Return the other agency's Latin spelling: another variant with the same consonants."""
    same = [v for v in name[1] if skeleton(v) == skeleton(name[0])]
    return (same[1:] or same)[0]


def age(person: dict) -> int:
    """Return a true person's age in years."""
    return (TODAY - person["born"]).days // 365


def our_member(person: dict, arabic: bool) -> dict:
    """Write a person as a FieldReg registrar does (one script per household)."""
    pick = (lambda name: name[0]) if arabic else (lambda name: name[1][0])  # noqa: E731
    member = {
        "given_name": pick(person["given"]),
        "father_name": pick(person["father"]),
        "mother_name": pick(person["mother"]),
        "family_name": pick(person["family"]),
        "sex": person["sex"],
        "relationship": person["relationship"]
        if person["relationship"] in ("head", "spouse", "child", "grandparent")
        else "other_relative",
    }
    if age(person) < 18:
        member["date_of_birth"] = person["born"].isoformat()
    else:
        member["age_years"] = age(person)
        member["age_estimated"] = True
    return member


def household_body(members: list[dict], arabic: bool, **extra) -> dict:
    """Return the API body registering a household of true people."""
    return {"members": [our_member(m, arabic) for m in members], **extra}


def their_name(person: dict) -> str:
    """Write a person's full name as the other agency does."""

    def latin(name, family=False) -> str:
        text = _their_spelling(name)
        return ("Al-" + text) if family and not text.startswith("Abu") else text

    return " ".join((latin(person["given"]), latin(person["father"]),
                     latin(person["family"], True)))  # fmt: skip


def their_row(person: dict, vehicle: str = "") -> list[str]:
    """Return the other agency's row for a person: name, sex, age (rounded), vehicle."""
    years = age(person)
    shown = years if years < 15 else 5 * round(years / 5)
    return [their_name(person), "F" if person["sex"] == "female" else "M", str(shown), vehicle]


THEIR_HEADER = ["Full name", "Gender", "Age", "Bus"]
