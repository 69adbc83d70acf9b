"""Comparable fields of people, as integer-coded numpy columns.

Every string a comparison looks at (a name's normalised spelling, its cross-script skeleton and
the skeletons of its other readings, a phone, an origin) is interned in one `Vocab`, so
comparing two people is comparing integers and a fuzzy comparison is made once per distinct
pair of values, not once per pair of people.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np

from sync.names import (
    READINGS,
    form_of_normalized,
    normalize,
    normalize_phone,
    readings_of_normalized,
    skeleton,
    skeleton_of_normalized,
)

NAME_FIELDS = ("given", "father", "mother", "family")
VIEWS = 3 + len(READINGS)  # spelling, skeleton, form, then a skeleton per other reading
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


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """Return the sorted distinct values of an array.

    numpy 2.4's np.unique without return_* takes a hashing path that is ~15 times slower than
    sorting on millions of int64 (6.5 s against 0.4 s for 6M here): the engine sorts.
    """
    if not len(values):
        return values
    ordered = np.sort(values, kind="stable")
    keep = np.empty(len(ordered), bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def sorted_isin(values: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Mark the values found in pool (np.isin, by sorting: see sorted_unique)."""
    if not len(pool) or not len(values):
        return np.zeros(len(values), bool)
    pool = np.sort(pool)
    at = np.minimum(np.searchsorted(pool, values), len(pool) - 1)
    return pool[at] == values


@lru_cache(maxsize=500_000)
def name_view(raw: str) -> tuple[str, ...]:
    """Return (normalised spelling, skeleton, in-script form, *other readings) of a raw name.

    The other readings are skeletons under each of names.READINGS, '' where unchanged.
    """
    norm = normalize(raw)
    readings = readings_of_normalized(norm)
    return norm, skeleton_of_normalized(norm), form_of_normalized(norm), *readings


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
    """Comparable fields of n people; row i is people[i].

    ``alt[field]`` has one column per names.READINGS: the skeleton of the name under that
    reading, MISSING where it is the standard one (every Latin name, most Arabic ones).
    """

    ids: list[str]
    norm: dict[str, np.ndarray]
    skel: dict[str, np.ndarray]
    form: dict[str, np.ndarray]
    alt: dict[str, np.ndarray]
    sex: np.ndarray
    dob: np.ndarray
    dob_swapped: np.ndarray
    birth_year: np.ndarray
    year_tol: np.ndarray
    phone: np.ndarray
    id_number: np.ndarray
    origin: np.ndarray
    household: np.ndarray
    address: np.ndarray
    street: np.ndarray
    postcode: np.ndarray
    locality: np.ndarray
    columns: tuple[str, ...] = field(default=("sex", "dob", "dob_swapped", "birth_year",
                                              "year_tol", "phone", "id_number", "origin",
                                              "household", "address", "street", "postcode",
                                              "locality"))  # fmt: skip

    def __len__(self) -> int:
        return len(self.ids)

    def extend(self, other: "FeatureTable") -> "FeatureTable":
        """Return a table with other's rows appended after this table's rows."""
        joined = {c: np.concatenate([getattr(self, c), getattr(other, c)]) for c in self.columns}
        return FeatureTable(
            ids=self.ids + other.ids,
            norm={f: np.concatenate([self.norm[f], other.norm[f]]) for f in NAME_FIELDS},
            skel={f: np.concatenate([self.skel[f], other.skel[f]]) for f in NAME_FIELDS},
            form={f: np.concatenate([self.form[f], other.form[f]]) for f in NAME_FIELDS},
            alt={f: np.concatenate([self.alt[f], other.alt[f]]) for f in NAME_FIELDS},
            **joined,
        )


def _date_fields(raw: str) -> tuple[int, int, int]:
    """Return (yyyymmdd, day-month-swapped yyyymmdd or 0, year) of a date, zeros if bad."""
    born = parse_date(raw) if raw else None
    if not born:
        return 0, 0, 0
    swapped = 0
    if born.day <= 12 and born.day != born.month:
        swapped = born.year * 10000 + born.day * 100 + born.month
    return born.year * 10000 + born.month * 100 + born.day, swapped, born.year


def _age(raw: str) -> int:
    """Return an age in years, or -1 if it is not a plausible one."""
    try:
        age = int(float(raw))
    except (TypeError, ValueError, OverflowError):
        return -1
    return age if 0 <= age <= 120 else -1


People = Sequence[dict] | Mapping[str, Sequence]  # records, or columns of equal length


def column_of(people: People, key: str) -> Sequence:
    """Return one field of every person (None where missing)."""
    if isinstance(people, Mapping):
        return people.get(key) or [None] * count(people)
    return [person.get(key) for person in people]


def count(people: People) -> int:
    """Return how many people there are."""
    if isinstance(people, Mapping):
        return max((len(column) for column in people.values()), default=0)
    return len(people)


def _mapped(people: People, key: str, convert: Callable, dtype: type) -> np.ndarray:
    """Convert one field of every person, once per distinct value."""
    column = column_of(people, key)
    distinct = {value: i for i, value in enumerate(dict.fromkeys(column))}
    index = np.fromiter(map(distinct.__getitem__, column), np.int64, len(column))
    table = np.array([convert(_clean(value)) for value in distinct], dtype)
    return table[index] if len(column) else table[:0]


def build_features(people: People, vocab: Vocab, ref_year: int | None = None) -> FeatureTable:
    """Compute the comparable fields of people, interning strings in vocab."""
    ref_year = ref_year or date.today().year
    code = vocab.code

    def name_codes(raw: str) -> tuple[int, ...]:
        return tuple(map(code, name_view(raw))) if raw else (MISSING,) * VIEWS

    names = {
        f: _mapped(people, f + "_name", name_codes, np.int32).reshape(-1, VIEWS)
        for f in NAME_FIELDS
    }
    dates = _mapped(people, "date_of_birth", _date_fields, np.int32).reshape(-1, 3)
    ages = _mapped(people, "age_years", _age, np.int32)
    dated = dates[:, 2] > 0
    aged = ~dated & (ages >= 0)
    tol_table = np.array([birth_year_tolerance(a) for a in range(121)], np.int8)
    birth_year = np.where(dated, dates[:, 2], np.where(aged, ref_year - ages, 0))
    return FeatureTable(
        ids=[str(i if pid is None else pid) for i, pid in enumerate(column_of(people, "id"))],
        # Columns of their own: pairs gather them at random rows, a wide stride misses cache.
        norm={f: names[f][:, 0].copy() for f in NAME_FIELDS},
        skel={f: names[f][:, 1].copy() for f in NAME_FIELDS},
        form={f: names[f][:, 2].copy() for f in NAME_FIELDS},
        alt={f: names[f][:, 3:].copy() for f in NAME_FIELDS},
        sex=_mapped(people, "sex", lambda v: SEX_CODES.get(v.lower(), 0), np.int8),
        dob=dates[:, 0], dob_swapped=dates[:, 1],
        birth_year=birth_year.astype(np.int16),
        year_tol=np.where(aged, tol_table[np.clip(ages, 0, 120)], 0).astype(np.int8),
        phone=_mapped(people, "phone", lambda v: code(_phone(v)), np.int32),
        id_number=_mapped(people, "id_number", lambda v: code(_id_number(v)), np.int32),
        origin=_mapped(people, "origin", lambda v: code(_origin(v)), np.int32),
        household=_mapped(people, "household_id", lambda v: code("hh:" + v if v else ""), np.int32),
        **_address_columns(people, code),
    )  # fmt: skip


def _address_columns(people: People, code: Callable[[str], int]) -> dict[str, np.ndarray]:
    """Return codes of the address (street and number), its street, postcode and locality."""
    addresses = _mapped(people, "address", lambda v: _address_codes(v, code), np.int32)
    addresses = addresses.reshape(-1, 2)
    return {
        "address": addresses[:, 0], "street": addresses[:, 1],
        "postcode": _mapped(people, "postcode", lambda v: code(_postcode(v)), np.int32),
        "locality": _mapped(people, "locality", lambda v: code(_locality(v)), np.int32),
    }  # fmt: skip


def _id_number(raw: str) -> str:
    """Return an identity document number without spaces, with a distinguishing prefix."""
    digits = "".join(raw.split())
    return "id:" + digits if digits else ""


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


# Street words written in several ways, folded to one (English, French, German, Spanish...).
_STREET_WORDS = {
    "street": "st", "str": "st", "strasse": "st", "straße": "st", "road": "rd", "avenue": "av",
    "ave": "av", "boulevard": "bd", "blvd": "bd", "place": "pl", "drive": "dr", "lane": "ln",
    "court": "ct", "crescent": "cr", "cres": "cr", "close": "cl", "square": "sq", "terrace": "tce",
    "highway": "hwy", "parade": "pde", "circuit": "cct", "rue": "r", "via": "v", "calle": "c",
    "number": "", "no": "", "nr": "", "apt": "", "flat": "", "unit": "",
}  # fmt: skip
_DIGITS = re.compile(r"\d+")


@lru_cache(maxsize=200_000)
def address_key(raw: str) -> tuple[str, str]:
    """Return (normalised street and number, normalised street alone) of an address.

    Case, accents and punctuation go; street words are folded (Street = St = Str.); numbers
    are kept in order and put first, so "12 High Street" and "High St. 12" are one address.
    """
    words = normalize(raw).split()
    numbers = [w for w in words if w.isdigit()]
    street = [_STREET_WORDS.get(w, w) for w in words if not w.isdigit()]
    street = [w for w in street if w and not _DIGITS.fullmatch(w)]
    street_text = " ".join(street)
    full = " ".join(numbers + street)
    return full, street_text


def _address_codes(raw: str, code: Callable[[str], int]) -> tuple[int, int]:
    """Return the codes of an address and of its street."""
    full, street = address_key(raw) if raw else ("", "")
    return code(full), code(street)


def _postcode(raw: str) -> str:
    """Return a postcode without spaces, upper-cased."""
    return "".join(raw.split()).upper()


@lru_cache(maxsize=50_000)
def _locality(raw: str) -> str:
    """Return a locality's folded spelling."""
    return normalize(raw)
