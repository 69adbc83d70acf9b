"""Find people by code, phone or name in any script. Owns the ``people_search`` index.

Names are indexed by their cross-script skeleton tokens (sync.names), so "محمد الحلبي",
"محمّد الحلبى" and "Mohamad Halabi" share keys. An Arabic token with another reading
(names.READINGS) is indexed under each, and an Arabic query asks for any of them, so "Osman"
finds عثمان and عثمان finds Osman. The index narrows to candidates; rapidfuzz (through
names.similarity) ranks them.
"""

from __future__ import annotations

from functools import lru_cache

from sqlite_utils import Database

from fieldreg import codes, wristbands
from sync import names

NAME_PARTS = ("given_name", "father_name", "mother_name", "family_name")
MAX_CANDIDATES = 400


@lru_cache(maxsize=100_000)
def _tokens(name: str | None) -> tuple[str, ...]:
    """Return a name's keys, each token in every reading; given names repeat, so remember."""
    return tuple(key for readings in names.reading_tokens(name) for key in readings)


def match_all(tokens: list[tuple[str, ...]]) -> str:
    """Return an FTS5 query for names having every token (as a prefix) in one of its readings."""
    return " AND ".join(_any_of(readings) for readings in tokens)


def match_any(tokens: list[tuple[str, ...]]) -> str:
    """Return an FTS5 query for names having any of the tokens, in any reading."""
    return " OR ".join(_any_of(readings) for readings in tokens)


def _any_of(readings: tuple[str, ...]) -> str:
    """Return an FTS5 expression for one token in any of its readings."""
    keys = " OR ".join(f'"{key}"*' for key in readings)
    return f"({keys})" if len(readings) > 1 else keys


def full_name(person: dict) -> str:
    """Return the name as a registrar reads it: given, father's, family."""
    parts = (person.get("given_name"), person.get("father_name"), person.get("family_name"))
    return " ".join(p for p in parts if p)


def index_person(db: Database, person: dict) -> None:
    """Rewrite the search keys of one person (the index row shares the person's rowid)."""
    rowid = db.execute("select rowid from people where id = ?", [person["id"]]).fetchone()[0]
    held = db.execute("select keys from people_search where rowid = ?", [rowid]).fetchone()
    if held is not None and held[0] == " ".join(_keys(person)):
        return  # a change of status or age: the keys stand (a secure delete costs ~1 ms)
    db.execute("delete from people_search where rowid = ?", [rowid])
    index_new_people(db, [(rowid, person)])


def index_new_people(db: Database, people: list[tuple[int, dict]]) -> None:
    """Write the search keys of people just inserted, each with its ``(rowid, person)``."""
    db.conn.executemany(
        "insert into people_search (rowid, person_id, keys) values (?, ?, ?)",
        [(rowid, person["id"], " ".join(_keys(person))) for rowid, person in people],
    )


def _keys(person: dict) -> list[str]:
    return sorted({tok for part in NAME_PARTS for tok in _tokens(person.get(part))})


def reindex_readings(db: Database) -> int:
    """Rewrite the keys of people with ث ذ ظ in a name (indexed before readings); say how many.

    Migration m301 runs it once on a station that registered people before names had readings.
    """
    letters = " or ".join(f"{part} glob '*[ثذظ]*'" for part in NAME_PARTS)
    rows = list(db.query(f"select rowid, * from people where deleted = 0 and ({letters})"))
    db.conn.executemany("delete from people_search where rowid = ?", [[r["rowid"]] for r in rows])
    index_new_people(db, [(row["rowid"], row) for row in rows])
    return len(rows)


def unindex_person(db: Database, person_id: str) -> None:
    """Remove a person from the search index (erasure, deletion)."""
    db.execute(
        "delete from people_search where rowid = (select rowid from people where id = ?)",
        [person_id],
    )


def erase_keys(db: Database, person_ids: list[str]) -> None:
    """Remove erased people's keys, leaving no trace in older index segments."""
    # Persistent since migration m100; set again so that erasure never depends on it.
    db.execute("insert into people_search(people_search, rank) values ('secure-delete', 1)")
    for person_id in person_ids:
        unindex_person(db, person_id)


def hit(row: dict, score: float) -> dict:
    return {
        "kind": "person",
        "code": row["code"],
        "household_code": row["household_code"],
        "name": full_name(row),
        "sex": row["sex"],
        "age_years": _age(row),
        "status": row["status"],
        "score": round(score, 3),
    }


def _age(row: dict) -> int | None:
    """Return a hit's age in years: as typed, else from the date of birth (a registrar
    looking for a child of ten registered with a birth date saw no age at all)."""
    try:
        return wristbands.age(row)
    except ValueError:
        return None  # a birth date that is not a date (an old import): no age rather than a 500


# Only what a hit shows and a match compares: candidates are read by the hundred.
PERSON_SELECT = (
    "select p.code, p.given_name, p.father_name, p.mother_name, p.family_name, p.sex, "
    "p.age_years, p.date_of_birth, p.status, h.code as household_code from people p "
    "join households h on h.id = p.household_id where p.deleted = 0 "
)


def by_code(db: Database, code: str) -> list[dict]:
    """Find the person or household with this exact code."""
    rows = list(
        db.query(PERSON_SELECT + "and (p.code = ? or h.code = ?) order by p.position", [code, code])
    )
    return [hit(r, 1.0) for r in rows]


def by_phone(db: Database, phone: str, limit: int) -> list[dict]:
    """Find the members of households with this phone number."""
    rows = db.query(
        PERSON_SELECT + "and h.phone_norm = ? order by p.position limit ?", [phone, limit]
    )
    return [hit(r, 1.0) for r in rows]


def by_name(db: Database, text: str, limit: int) -> list[dict]:
    """Find people whose names sound like ``text``, best first."""
    tokens = names.reading_tokens(text)
    if not tokens:
        return []
    rows = candidates(db, match_all(tokens))
    if not rows and len(tokens) > 1:
        rows = candidates(db, match_any(tokens))
    scored = [(names.similarity(text, _name_for_query(r, len(tokens))), r) for r in rows]
    scored.sort(key=lambda pair: -pair[0])
    return [hit(r, score) for score, r in scored[:limit]]


def _name_for_query(row: dict, n_tokens: int) -> str:
    """Compare a short query with the given and family name, a longer one with the chain."""
    if n_tokens <= 2:
        return " ".join(p for p in (row["given_name"], row["family_name"]) if p)
    return full_name(row)


def candidates(db: Database, match: str) -> list[dict]:
    return list(
        db.query(
            PERSON_SELECT
            + "and p.rowid in (select rowid from people_search where keys match ? limit ?)",
            [match, MAX_CANDIDATES],
        )
    )


def search(db: Database, text: str, limit: int = 20) -> list[dict]:
    """Search by code, phone number or name, whichever ``text`` looks like."""
    text = text.strip()
    if codes.looks_like_code(text):
        code = codes.parse(text)
        return by_code(db, code) if code else []
    digits = sum(ch.isdigit() for ch in text)
    if digits >= 6 and digits >= len(text.replace(" ", "")) - 2:
        return by_phone(db, names.normalize_phone(text), limit)
    return by_name(db, text, limit)
