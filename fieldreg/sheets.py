"""Write tables as CSV or XLSX that a spreadsheet opens safely (no formula ever runs).

A cell a spreadsheet would read as a formula (it begins with ``=``, ``+``, ``-``, ``@``, a tab,
a carriage return or a line feed, even after spaces) gets a leading apostrophe, whatever
follows: ``=1+1+cmd|...`` and ``-1+...`` included. XLSX cells are written typed: text as
strings (never formulas), numbers as numbers. Control characters (which XML cannot hold, and
which could hide a formula's first character) are dropped from every cell.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Control characters XLSX (XML 1.0) cannot hold; openpyxl refuses them.
UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def cell(value) -> str | int | float:
    """Write a stored value as a cell: JSON lists joined, None empty, numbers kept."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError:
            return safe(value)
        if isinstance(items, list) and all(isinstance(item, str) for item in items):
            return safe(" ".join(items))
    return safe(value)


def safe(value):
    """Defuse text a spreadsheet would run as a formula (CSV/XLSX injection); numbers pass."""
    if not isinstance(value, str):
        return value
    value = UNWRITABLE.sub("", value)
    if value.startswith(FORMULA_STARTS) or value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(lines: Iterable[list]) -> bytes:
    """Write rows of cells as CSV (UTF-8 with a BOM, so spreadsheet programs read Arabic)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in lines:
        writer.writerow([safe(value) for value in line])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(sheets: dict[str, Iterable[list]]) -> bytes:
    """Write one workbook, a sheet per name; text typed as strings, numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    for name, lines in sheets.items():
        sheet = book.create_sheet(name)
        for line in lines:
            row = []
            for value in line:
                value = safe(value)
                written = WriteOnlyCell(sheet, value)
                if isinstance(value, str):
                    written.data_type = "s"  # text, even if it looks like a formula
                row.append(written)
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
