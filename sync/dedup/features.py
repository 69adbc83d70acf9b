"""Comparable fields of people, as integer-coded numpy columns.

Every string a comparison looks at (a name's normalised spelling, its cross-script skeleton, a
phone, an origin) is interned in one `Vocab`, so comparing two people is comparing integers and
a fuzzy comparison is made once per distinct pair of values, not once per pair of people.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np

from sync.names import normalize, normalize_phone, skeleton

NAME_FIELDS = ("given", "father", "mother", "family")
MISSING = -1
SEX_CODES = {"female": 1, "f": 1, "male": 2, "m": 2}


class Vocab:
    """Intern strings as small integers; '' is MISSING."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.strings: list[str] = []

    def code(self, text: str) -> int:
        """Return the code of text, adding it if new."""
        if not text:
            return MISSING
        found = self.codes.get(text)
        if found is None:
            found = self.codes[text] = len(self.strings)
            self.strings.append(text)
        return found

    def __len__(self) -> int:
        return len(self.strings)


@lru_cache(maxsize=500_000)
def name_view(raw: str) -> tuple[str, str]:
    """Return (normalised spelling, skeleton) of a raw name."""
    return normalize(raw), skeleton(raw)


@lru_cache(maxsize=100_000)
def parse_date(raw: str) -> date | None:
    """Parse a YYYY-MM-DD date, or return None."""
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        return None


def birth_year_tolerance(age: int) -> int:
    """Return how many years an estimated age of this size may be off."""
    if age < 15:
        return 1
    tol = 2 + age // 10
    return tol + 2 if age % 5 == 0 else tol


@dataclass
class FeatureTable:
    """Comparable fields of n people; row i is people[i]."""

    ids: list[str]
    norm: dict[str, np.ndarray]
    skel: dict[str, np.ndarray]
    sex: np.ndarray
    dob: np.ndarray
    dob_swapped: np.ndarray
    birth_year: np.ndarray
    year_tol: np.ndarray
    phone: np.ndarray
    id_number: np.ndarray
    origin: np.ndarray
    household: np.ndarray
    columns: tuple[str, ...] = field(default=("sex", "dob", "dob_swapped", "birth_year",
                                              "year_tol", "phone", "id_number", "origin",
                                              "household"))  # fmt: skip

    def __len__(self) -> int:
        return len(self.ids)

    def extend(self, other: "FeatureTable") -> "FeatureTable":
        """Return a table with other's rows appended after this table's rows."""
        joined = {c: np.concatenate([getattr(self, c), getattr(other, c)]) for c in self.columns}
        return FeatureTable(
            ids=self.ids + other.ids,
            norm={f: np.concatenate([self.norm[f], other.norm[f]]) for f in NAME_FIELDS},
            skel={f: np.concatenate([self.skel[f], other.skel[f]]) for f in NAME_FIELDS},
            **joined,
        )


def _birth(person: dict, ref_year: int) -> tuple[int, int, int, int]:
    """Return (yyyymmdd, day-month-swapped yyyymmdd, birth year, tolerance in years)."""
    born = parse_date(person.get("date_of_birth") or "")
    if born:
        swapped = 0
        if born.day <= 12 and born.day != born.month:
            swapped = born.year * 10000 + born.day * 100 + born.month
        return born.year * 10000 + born.month * 100 + born.day, swapped, born.year, 0
    age = person.get("age_years")
    try:
        age = int(float(age)) if age not in (None, "") else None
    except (TypeError, ValueError):
        age = None
    if age is None or not 0 <= age <= 120:
        return 0, 0, 0, 0
    return 0, 0, ref_year - age, birth_year_tolerance(age)


def build_features(
    people: Sequence[dict], vocab: Vocab, ref_year: int | None = None
) -> FeatureTable:
    """Compute the comparable fields of people, interning strings in vocab."""
    ref_year = ref_year or date.today().year
    n = len(people)
    norm = {f: np.full(n, MISSING, np.int32) for f in NAME_FIELDS}
    skel = {f: np.full(n, MISSING, np.int32) for f in NAME_FIELDS}
    ints = {c: np.zeros(n, np.int32) for c in ("sex", "dob", "dob_swapped", "birth_year")}
    tol = np.zeros(n, np.int8)
    codes = {
        c: np.full(n, MISSING, np.int32) for c in ("phone", "id_number", "origin", "household")
    }
    code = vocab.code
    for i, person in enumerate(people):
        for f in NAME_FIELDS:
            raw = person.get(f + "_name")
            if raw:
                spelled, key = name_view(raw)
                norm[f][i], skel[f][i] = code(spelled), code(key)
        ints["sex"][i] = SEX_CODES.get((person.get("sex") or "").lower(), 0)
        dob, swapped, year, tol[i] = _birth(person, ref_year)
        ints["dob"][i], ints["dob_swapped"][i], ints["birth_year"][i] = dob, swapped, year
        codes["phone"][i] = code(_phone(person.get("phone")))
        codes["id_number"][i] = code("id:" + "".join(_clean(person.get("id_number")).split()))
        codes["origin"][i] = code(_origin(person.get("origin")))
        codes["household"][i] = code("hh:" + _clean(person.get("household_id")))
    codes["id_number"][codes["id_number"] == code("id:")] = MISSING
    codes["household"][codes["household"] == code("hh:")] = MISSING
    return FeatureTable(
        ids=[str(p.get("id", i)) for i, p in enumerate(people)], norm=norm, skel=skel,
        sex=ints["sex"].astype(np.int8), dob=ints["dob"], dob_swapped=ints["dob_swapped"],
        birth_year=ints["birth_year"].astype(np.int16), year_tol=tol, **codes,
    )  # fmt: skip


def _clean(value: object) -> str:
    """Return a stripped string of any cell value."""
    return "" if value is None else str(value).strip()


@lru_cache(maxsize=100_000)
def _phone(raw: str | None) -> str:
    """Return a normalised phone with a prefix that keeps it apart from other fields."""
    digits = normalize_phone(raw)
    return "tel:" + digits if len(digits) >= 7 else ""


@lru_cache(maxsize=10_000)
def _origin(raw: str | None) -> str:
    """Return the cross-script key of a place of origin."""
    key = skeleton(raw)
    return "place:" + key if key else ""
