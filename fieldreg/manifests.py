"""Read another agency's list (CSV or XLSX) into a table, refusing what is not one.

A list arrives as a file: a bus manifest, a head count, a partner's spreadsheet. It is read
into a header and rows of text, and nothing else: an import never changes a record. Refused,
with a message that says what to do:
- a file that is not a table (a picture, a PDF, an old .xls, prose, rows that do not follow
  the header, no data row);
- text in an encoding that is not known for sure: UTF-8 (with or without a byte-order mark)
  and UTF-16 with one are read; Windows-1256 (Arabic Windows) only when chosen, because any
  bytes decode as it and a guess could silently turn names into nonsense;
- formula cells (``=...`` in XLSX or CSV): a value computed by a spreadsheet is not a record,
  and a formula is what a CSV-injection attack hides in.
Columns are then *mapped* to fields (given name, family name, full name, age...), guessed
from the header and remembered per header (``foreign_mappings``) for the next list alike.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass

from fieldreg.errors import DomainError

ENCODINGS = {"auto": None, "utf-8": "utf-8", "utf-16": "utf-16", "windows-1256": "cp1256"}
MAX_ROWS = 50_000
MAX_COLUMNS = 100
# A workbook is a zip: a few hundred KB may unpack to gigabytes (one cell of 300 MB was read
# whole and stored; issue 13). The parts' declared sizes bound what zipfile will unpack.
MAX_UNPACKED = 64 * 1024 * 1024
MAX_CELL = 2000
FIELDS = (
    "full_name", "given_name", "father_name", "mother_name", "family_name", "sex", "age_years",
    "date_of_birth", "phone", "id_number", "origin", "vehicle", "time", "their_id",
)  # fmt: skip
NAME_FIELDS = ("full_name", "given_name", "father_name", "mother_name", "family_name")
# Header words (lower case, any language the lists come in) -> the field they usually hold.
GUESSES = (
    ("father_name", ("father", "اسم الاب", "اسم الأب", "الاب", "الأب", "pere", "père")),
    ("mother_name", ("mother", "اسم الام", "اسم الأم", "الام", "الأم", "mere", "mère")),
    ("family_name", ("family", "surname", "last name", "lastname", "nom", "الكنية",
                     "العائلة", "النسبة", "اللقب")),
    ("given_name", ("given", "first name", "firstname", "first", "prenom", "prénom",
                    "الاسم الاول", "الاسم الأول")),
    ("full_name", ("full name", "name", "الاسم الكامل", "الاسم", "nom complet")),
    ("sex", ("sex", "gender", "الجنس", "sexe")),
    ("age_years", ("age", "العمر", "âge")),
    ("date_of_birth", ("birth", "dob", "تاريخ الولادة", "المواليد", "naissance")),
    ("phone", ("phone", "mobile", "tel", "الهاتف", "الجوال", "رقم الهاتف")),
    ("id_number", ("national id", "id number", "document", "الرقم الوطني", "رقم الهوية")),
    ("vehicle", ("bus", "vehicle", "plate", "الحافلة", "المركبة", "الباص", "اللوحة")),
    ("time", ("time", "date", "الوقت", "التاريخ", "heure")),
    ("origin", ("origin", "from", "المنطقة", "من")),
    ("their_id", ("id", "no", "number", "#", "n°", "الرقم", "رقم", "م")),
)  # fmt: skip
# "=..." always; "+", "-" or "@" unless what follows is a number or a phone (+963 933-123...).
_FORMULA = re.compile(r"^\s*(=|[+\-@](?![\d\s().\-/]*$))")
BINARY = (b"\x89PNG", b"%PDF", b"\xff\xd8\xff", b"GIF8", b"\x7fELF", b"MZ")


@dataclass
class Table:
    """A list read from a file: its header and its rows (text cells), and how it was read."""

    header: list[str]
    rows: list[list[str]]
    encoding: str


def refuse(message: str, code: str) -> DomainError:
    """Return the error an import answers with (nothing was changed)."""
    return DomainError(message, {"file": [message]}, code)


def read(filename: str, data: bytes, encoding: str = "auto") -> Table:
    """Read a CSV or XLSX file into a Table, or refuse it with a clear message."""
    if not data.strip():
        raise refuse("The file is empty.", "not_a_table")
    if data[:4] == b"PK\x03\x04":
        return _check(*_xlsx(data), "xlsx")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise refuse("This is an old Excel file (.xls): save it as .xlsx or CSV.", "not_a_table")
    utf16 = data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    if data.startswith(BINARY) or (b"\x00" in data[:4096] and not utf16):
        raise refuse("This file is not a table (CSV or XLSX).", "not_a_table")
    text, used = _decode(data, encoding)
    if "\x00" in text or _binary(text):
        raise refuse("This file is not a table (CSV or XLSX).", "not_a_table")
    return _check(*_csv(text), used)


def _decode(data: bytes, encoding: str) -> tuple[str, str]:
    """Decode a CSV's bytes in a known encoding, or refuse."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            return _strict(data, name), name
    if encoding not in ENCODINGS:
        raise refuse(f"Unknown encoding {encoding!r}: choose one of the list.", "unknown_encoding")
    chosen = ENCODINGS[encoding] or "utf-8"
    try:
        return data.decode(chosen), chosen
    except UnicodeDecodeError:
        raise refuse(
            "The file's text is not UTF-8. If it was saved by Arabic Windows or Excel, choose "
            "the encoding Windows-1256 and import it again; or save it as CSV UTF-8.",
            "unknown_encoding",
        ) from None


def _strict(data: bytes, name: str) -> str:
    try:
        return data.decode(name)
    except UnicodeDecodeError:
        raise refuse("The file says it is Unicode but is damaged.", "unknown_encoding") from None


def _binary(text: str) -> bool:
    """Tell whether decoded text is mostly control characters (a binary file)."""
    sample = text[:4000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    return controls > len(sample) // 50


def _csv(text: str) -> tuple[list[str], list[list[str]]]:
    """Split CSV text (comma, semicolon or tab) into a header and rows."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    try:
        lines = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise refuse(f"This file is not a readable CSV table ({exc}).", "not_a_table") from None
    if not lines:
        raise refuse("The file has no rows.", "not_a_table")
    return lines[0], lines[1:]


def _xlsx(data: bytes) -> tuple[list[str], list[list[str]]]:
    """Read the first sheet of an XLSX workbook, refusing formula cells."""
    from openpyxl import load_workbook

    unreadable = refuse("This file is not a readable XLSX workbook.", "not_a_table")
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
        if sum(part.file_size for part in parts) > MAX_UNPACKED:
            raise refuse("The workbook is too large once unpacked: split it.", "not_a_table")
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError):
        raise unreadable from None
    try:
        lines = _xlsx_lines(book.worksheets[0])
    except SyntaxError:  # XML entities (refused by the parser) or a damaged sheet
        raise unreadable from None
    finally:
        book.close()
    if not lines:
        raise refuse("The workbook's first sheet is empty.", "not_a_table")
    return lines[0], lines[1:]


def _xlsx_lines(sheet) -> list[list[str]]:
    """Return a sheet's non-empty rows as text cells (a row more than the most accepted)."""
    lines = []
    for number, row in enumerate(sheet.iter_rows(), start=1):
        cells = [_xlsx_cell(cell, number) for cell in row]
        if any(cells):
            lines.append(cells)
        if len(lines) > MAX_ROWS + 1:
            break
    return lines


def _xlsx_cell(cell, row: int) -> str:
    """Return a cell's value as text; refuse a formula."""
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "f" or (isinstance(value, str) and value[:1] == "="):
        raise refuse(
            f"Row {row} holds a formula ({getattr(cell, 'coordinate', '?')}): save the sheet "
            "with values only (copy, paste as values) and import it again.",
            "formula_cell",
        )
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _check(header: list[str], rows: list[list[str]], encoding: str) -> Table:
    """Refuse what does not look like a table; trim the rows to the header."""
    header = [cell.strip() for cell in header]
    width = len(header)
    if not any(header) or width > MAX_COLUMNS or max(map(len, header)) > MAX_CELL:
        raise refuse("The first row must name the columns (at most 100).", "not_a_table")
    if not rows:
        raise refuse("The file has a header but no data rows.", "not_a_table")
    if len(rows) > MAX_ROWS:
        raise refuse(f"The file has more than {MAX_ROWS} rows: split it.", "not_a_table")
    ragged = sum(1 for row in rows if len([c for c in row if c.strip()]) > width)
    if width == 1 and ragged or ragged > len(rows) // 10:
        raise refuse("The rows do not follow the header's columns: this is not a table.",
                     "not_a_table")  # fmt: skip
    for number, row in enumerate(rows, start=2):
        for cell in row:
            if len(cell) > MAX_CELL:
                raise refuse(f"Row {number} holds a cell longer than {MAX_CELL} characters: "
                             "this is not a list of people.", "not_a_table")  # fmt: skip
            if _FORMULA.match(cell):
                raise refuse(
                    f"Row {number} holds a formula ({cell[:20]!r}): remove it and import again.",
                    "formula_cell",
                )
    fitted = [[(row[i] if i < len(row) else "").strip() for i in range(width)] for row in rows]
    return Table([h or f"column {i + 1}" for i, h in enumerate(header)], fitted, encoding)


def signature(header: list[str]) -> str:
    """Fingerprint a header, to remember its mapping for the next list alike."""
    text = "\x1f".join(h.strip().lower() for h in header)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def guess(header: list[str]) -> dict[str, str]:
    """Guess which field each column holds from its name (a column at most once per field)."""
    mapping: dict[str, str] = {}
    for column in header:
        text = column.strip().lower()
        for field, words in GUESSES:
            if field in mapping.values():
                continue
            if text in words or any(len(w) > 3 and w in text for w in words):
                mapping[column] = field
                break
    return mapping


def check_mapping(header: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """Keep the mapping's known columns and fields; refuse one that maps no name."""
    clean = {c: f for c, f in mapping.items() if c in header and f in FIELDS}
    if not set(clean.values()) & set(NAME_FIELDS):
        raise DomainError(
            "Map at least one column to a name (full name, given name or family name).",
            {"mapping": ["No name column."]},
        )
    return clean
