"""Exports written as they are read: CSV and XLSX in chunks, in constant memory, with progress.

A national HQ exports a million people. Built whole, the file sits in memory (and openpyxl
spools every sheet to an unencrypted temporary file before zipping it at the end); streamed,
the first bytes leave at once and memory stays flat however many rows follow:

    rows (a generator over the database)
      │ lines         the caller's cells: header, HXL row, one list per row
      ▼
    csv_chunks        csv.writer into a small buffer, emptied every CHUNK_ROWS rows
    xlsx_chunks       the stdlib's zipfile writing to an unseekable sink (data descriptors),
      │               one worksheet part per sheet, each row as SpreadsheetML with inline
      ▼               strings: what openpyxl and spreadsheet programs read
    bytes, chunk after chunk  (a Flask generator response, or a file on the command line)

``Progress`` counts rows as they are written; the exports page asks for it by a token while
the download runs, the command line draws a bar from it.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import time
import zipfile
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

CHUNK_ROWS = 1000
# Control characters XML 1.0 cannot hold.
UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class Progress:
    """Rows written so far out of the rows expected, for a page or a progress bar."""

    def __init__(self, total: int, owner: str | None = None) -> None:
        self.total, self.owner = total, owner
        self.done, self.finished, self.started = 0, False, time.monotonic()

    def add(self, rows: int) -> None:
        """Count rows written."""
        self.done += rows

    def view(self) -> dict:
        """Return what the page shows: rows done, rows expected, finished or not."""
        return {"done": self.done, "total": self.total, "finished": self.finished}


_RUNNING: dict[str, Progress] = {}
_RUNNING_LOCK = threading.Lock()
RUNNING_KEPT = 200


def follow(token: str, progress: Progress) -> None:
    """Let the page ask for an export's progress by its token."""
    with _RUNNING_LOCK:
        if len(_RUNNING) >= RUNNING_KEPT:  # forget the oldest
            for old in sorted(_RUNNING, key=lambda t: _RUNNING[t].started)[: RUNNING_KEPT // 2]:
                del _RUNNING[old]
        _RUNNING[token] = progress


def progress_of(token: str, owner: str | None) -> Progress | None:
    """Return the progress of the export with this token, if this owner started it."""
    with _RUNNING_LOCK:
        found = _RUNNING.get(token)
    return found if found is not None and found.owner == owner else None


def counted(lines: Iterable[list], progress: Progress | None, header_lines: int) -> Iterator[list]:
    """Pass lines through, counting the rows (not the header lines) into progress."""
    for number, line in enumerate(lines):
        if progress is not None and number >= header_lines:
            progress.done += 1
        yield line


def csv_chunks(lines: Iterable[list]) -> Iterator[bytes]:
    """Write lines of cells as CSV (UTF-8 with a BOM, so spreadsheets read Arabic), in chunks."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for number, line in enumerate(lines, 1):
        writer.writerow(line)
        if number % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


class _Sink(io.RawIOBase):
    """An unseekable file zipfile writes into; what it wrote is taken away in chunks."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        """Return what was written since the last take."""
        out, self.parts = b"".join(self.parts), []
        return out


def _column(n: int) -> str:
    """Return the spreadsheet column letters of column n (0: A, 26: AA)."""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _row_xml(number: int, line: list, columns: list[str]) -> str:
    """Return one worksheet row: numbers as numbers, everything else as inline text."""
    cells = []
    for ref, value in zip(columns, line, strict=False):
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, int | float):
            cells.append(f'<c r="{ref}{number}"><v>{value}</v></c>')
        elif value not in (None, ""):
            text = escape(UNWRITABLE.sub("", str(value)))
            cells.append(f'<c r="{ref}{number}" t="inlineStr"><is><t xml:space="preserve">'
                         f"{text}</t></is></c>")  # fmt: skip
    return f'<row r="{number}">{"".join(cells)}</row>'


def xlsx_chunks(sheets: dict[str, Iterable[list]]) -> Iterator[bytes]:
    """Write one workbook, a sheet per name, as it goes (a zip with data descriptors)."""
    sink = _Sink()
    names = list(sheets)
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for part, text in _book_parts(names).items():
            book.writestr(part, text)
        for index, name in enumerate(names, 1):
            with book.open(f"xl/worksheets/sheet{index}.xml", "w") as part:
                part.write(SHEET_HEAD.encode())
                columns: list[str] = []
                for number, line in enumerate(sheets[name], 1):
                    while len(columns) < len(line):
                        columns.append(_column(len(columns)))
                    part.write(_row_xml(number, line, columns).encode())
                    if number % CHUNK_ROWS == 0:
                        yield sink.take()
                part.write(b"</sheetData></worksheet>")
            yield sink.take()
    yield sink.take()


SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006"


def _book_parts(names: list[str]) -> dict[str, str]:
    """Return the workbook's fixed parts: content types, relationships, sheet names."""
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    book_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    numbered = list(enumerate(names, 1))
    return {
        "[Content_Types].xml": head + f'<Types xmlns="{PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{book_type}"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}"/>'
            for i, _ in numbered
        )  # fmt: skip
        + "</Types>",
        "_rels/.rels": head + f'<Relationships xmlns="{PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": head
        + f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
        + "".join(
            f'<sheet name="{escape(name[:31])}" sheetId="{i}" r:id="rId{i}"/>'
            for i, name in numbered
        )  # fmt: skip
        + "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": head
        + f'<Relationships xmlns="{PKG}/relationships">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i, _ in numbered
        )  # fmt: skip
        + "</Relationships>",
    }
