"""Deduplicate a CSV of people from anywhere: a partner's spreadsheet, a bus manifest.

Reads UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark, or Windows-1256
(Arabic Windows, what Excel often saves); the delimiter may be a comma, semicolon or tab.
Whatever cannot be read (an unknown column, a bad date, an impossible age, an empty row) is
reported as a warning naming its line, and the rest is processed. Writes `id,cluster_id` with
the same engine HQ uses. Other agencies' lists often carry an address: `address` (street and
number, compared as a normalised street and number), `locality` (compared fuzzily) and
`postcode` (the same, or one character off) are read and weighed like the other fields.
"""

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sync.dedup.engine import run
from sync.dedup.settings import Progress, Settings

COLUMNS = (
    "id", "given_name", "father_name", "mother_name", "family_name", "sex", "date_of_birth",
    "age_years", "phone", "id_number", "origin", "household_id", "address", "locality", "postcode",
)  # fmt: skip
NAME_COLUMNS = ("given_name", "father_name", "mother_name", "family_name")
SEXES = {
    "female": "female", "f": "female", "woman": "female", "girl": "female", "أنثى": "female",
    "انثى": "female", "أنثي": "female", "انثي": "female", "ا": "female",
    "male": "male", "m": "male", "man": "male", "boy": "male", "ذكر": "male", "ذ": "male",
    "unknown": "unknown", "u": "unknown", "": "unknown",
}  # fmt: skip
_DAY_FIRST = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_YEAR_FIRST = re.compile(r"^(\d{4})[./-](\d{1,2})[./-](\d{1,2})$|^(\d{4})(\d{2})(\d{2})$")


@dataclass
class CsvReport:
    """What a dedup-csv run read, found and could not read."""

    rows: int = 0
    people: int = 0
    clusters: int = 0
    encoding: str = ""
    warnings: list[str] = field(default_factory=list)


def decode(raw: bytes) -> tuple[str, str]:
    """Return (text, encoding name) of a CSV file's bytes."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if raw.startswith(bom):
            return raw.decode(name, errors="replace"), name
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1256", errors="replace"), "cp1256"


def parse_birth_date(text: str) -> str | None:
    """Return an ISO date from YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or DD/MM/YYYY (or MM/DD)."""
    text = text.strip()
    found = _YEAR_FIRST.match(text)
    if found:
        year, month, day = (int(part) for part in found.groups() if part)
    elif found := _DAY_FIRST.match(text):
        day, month, year = map(int, found.groups())
        if month > 12 >= day:
            day, month = month, day
    else:
        return None
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    return born.isoformat() if 1880 <= born.year <= date.today().year + 1 else None


def _clean_row(row: dict, line: int, warnings: list[str]) -> dict | None:
    """Return a person dict from one CSV row, or None for an empty row."""
    person = {key: (row.get(key) or "").strip() for key in COLUMNS}
    person["station"] = ""
    if not any(person.values()):
        warnings.append(f"line {line}: empty row, skipped")
        return None
    if person["date_of_birth"]:
        parsed = parse_birth_date(person["date_of_birth"])
        if not parsed:
            warnings.append(
                f"line {line}: date_of_birth {person['date_of_birth']!r} not understood"
            )
        person["date_of_birth"] = parsed
    if person["age_years"]:
        try:
            age = int(float(person["age_years"]))
            assert 0 <= age <= 120
            person["age_years"] = age
        except (ValueError, AssertionError):
            warnings.append(f"line {line}: age_years {person['age_years']!r} is not an age")
            person["age_years"] = None
    sex = SEXES.get(person["sex"].lower())
    if sex is None:
        warnings.append(f"line {line}: sex {person['sex']!r} not understood")
    person["sex"] = sex or "unknown"
    if not any(person[name] for name in NAME_COLUMNS):
        warnings.append(f"line {line}: no name")
    return person


def _rows(text: str) -> tuple[list[str], list[tuple[int, dict]]]:
    """Return the header and (line number, row dict) of every row, blank lines included."""
    header_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader, [])]
    rows = []
    for cells in reader:
        line = reader.line_num
        row = dict(zip(header, cells, strict=False))
        if len(cells) > len(header):
            row[None] = cells[len(header) :]
        rows.append((line, row))
    return header, rows


def read_people(path: str | Path) -> tuple[list[dict], CsvReport]:
    """Read people from a CSV file, with a report of what could not be read."""
    text, encoding = decode(Path(path).read_bytes())
    report = CsvReport(encoding=encoding)
    header, rows = _rows(text)
    unknown = [name for name in header if name and name not in COLUMNS]
    if unknown:
        report.warnings.append(f"line 1: columns ignored: {', '.join(unknown)}")
    if not set(COLUMNS) & set(header):
        report.warnings.append("line 1: none of the expected columns: " + ", ".join(COLUMNS))
    people, seen = [], set()
    for line, row in rows:
        report.rows += 1
        if None in row:
            report.warnings.append(f"line {line}: more cells than columns, extra cells ignored")
        person = _clean_row(row, line, report.warnings)
        if person is None:
            continue
        pid = person["id"] or f"line-{line}"
        if pid in seen:
            report.warnings.append(f"line {line}: id {pid!r} repeated")
            pid = f"{pid}#line-{line}"
        seen.add(pid)
        person["id"] = pid
        people.append(person)
    report.people = len(people)
    return people, report


# What a spreadsheet would run as a formula (the rule of fieldreg.sheets, which sync/ may
# not import): such a cell is written with a leading apostrophe, as text (issue 13).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def as_text(value: str) -> str:
    """Return a cell a spreadsheet shows as text, never runs as a formula."""
    if value.startswith(FORMULA_STARTS) or value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def dedup_csv(
    in_path: str | Path,
    out_path: str | Path,
    progress: Progress | None = None,
    settings: Settings | None = None,
) -> CsvReport:
    """Deduplicate the people of a CSV file and write `id,cluster_id` for each of them."""
    people, report = read_people(in_path)
    clusters = run(people, settings=settings, progress=progress).cluster_ids() if people else {}
    with open(out_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "cluster_id"])
        writer.writerows(
            (as_text(person["id"]), as_text(clusters[person["id"]])) for person in people
        )
    report.clusters = len(set(clusters.values()))
    return report
