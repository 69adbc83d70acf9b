"""What a wristband and a household card say about a person: enough to tell two members of a
family apart on a wrist, never a full name (docs/security.md, "Tags").

A band carries the person's code and QR, their initials, age, sex and relationship to the
head, and the household's code. A band is seen by everyone at a crossing point; a full name
on it would tell strangers who is who.
"""

from __future__ import annotations

import datetime as dt

from fieldreg import options

# Articles and the like that begin a family name without telling it apart (الحلبي, Al-Halabi).
ARTICLES = ("ال", "al-", "al ", "el-", "el ")
NAME_PARTS = ("given_name", "father_name", "family_name")


def initial(name: str | None) -> str:
    """Return the first letter of a name that tells it apart (after an article)."""
    text = (name or "").strip()
    lowered = text.lower()
    for article in ARTICLES:
        if lowered.startswith(article) and len(text) > len(article):
            text = text[len(article) :].strip()
            break
    return text[:1].upper()


def initials(person: dict) -> str:
    """Return a person's initials: given name, father's name, family name (those known)."""
    return ".".join(ch for ch in (initial(person.get(k)) for k in NAME_PARTS) if ch)


def age(person: dict, today: dt.date | None = None) -> int | None:
    """Return a person's age in years: as given, else from the date of birth."""
    if person.get("age_years") is not None:
        return person["age_years"]
    born = person.get("date_of_birth")
    if not born:
        return None
    born = born if isinstance(born, dt.date) else dt.date.fromisoformat(str(born))
    today = today or dt.date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def band(person: dict) -> dict:
    """Return what a wristband or card shows of a person (words in the page language)."""
    return {
        "code": person["code"],
        "initials": initials(person),
        "age": age(person),
        "estimated": bool(person.get("age_estimated")),
        "sex": options.word("SEX", person.get("sex"), ""),
        "relationship": options.word("RELATIONSHIP", person.get("relationship"), ""),
    }
