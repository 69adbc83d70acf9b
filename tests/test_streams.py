"""Streamed exports (issue 15): written as they are read, in flat memory, with their progress."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import tracemalloc
from xml.etree import ElementTree as ET

import openpyxl
import pytest

from fieldreg import exports, streams
from fieldreg.db import write
from tests.conftest import ROOT, AuthActions

NOW = "2026-11-25T10:00:00+00:00"


def fill(db, people: int, start: int = 0) -> None:
    """Insert households of four people straight into the tables (fast, for sizes)."""
    with write(db):
        for n in range(start, start + people, 4):
            hid = f"H{n:07d}"
            db.execute(
                "insert into households (id, code, station, created_at, updated_at, arrived_at, "
                "consent_share, notes) values (?, ?, 'T3S', ?, ?, ?, 1, '=1+2')",
                [hid, hid, NOW, NOW, NOW],
            )
            db.conn.executemany(
                "insert into people (id, code, household_id, position, given_name, "
                "family_name, sex, age_years, created_at, updated_at) "
                "values (?, ?, ?, ?, 'Omar', '=HYPERLINK(1)', 'male', 30, ?, ?)",
                [(f"P{n + i:07d}", f"P{n + i:07d}", hid, i, NOW, NOW) for i in range(4)],
            )


def peak(function) -> int:
    """Return the most memory Python held while ``function`` ran."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def drain(db, fmt: str) -> int:
    """Stream an export to nowhere; return its size."""
    return sum(len(chunk) for chunk in exports.stream(db, fmt)[1])


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pfif"])
def test_memory_stays_flat_however_many_rows(db, fmt):
    fill(db, 2000)
    small = peak(lambda: drain(db, fmt))
    fill(db, 6000, start=2000)
    large = peak(lambda: drain(db, fmt))
    assert large < small * 1.5 + 512 * 1024, (small, large)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pfif"])
def test_no_export_query_sorts_or_holds_its_rows(db, fmt):
    """SQLite's own memory is not Python's: a query sorting a million rows held 236 MB."""
    fill(db, 8)
    seen = []
    db.conn.set_trace_callback(seen.append)
    try:
        drain(db, fmt)
    finally:
        db.conn.set_trace_callback(None)
    reads = [sql for sql in seen if sql.lstrip().lower().startswith("select") and "?" not in sql]
    assert any("people" in sql for sql in reads)
    for sql in reads:
        plan = " ".join(row[3] for row in db.execute("explain query plan " + sql))
        assert "TEMP B-TREE" not in plan, (sql, plan)


def test_chunks_leave_before_every_row_is_read():
    read = []

    def lines():
        yield ["id", "name"]
        for n in range(3 * streams.CHUNK_ROWS):
            read.append(n)
            yield [n, f"person {n}"]

    chunks = streams.csv_chunks(lines())
    first = next(chunks)
    assert first.startswith("\ufeff".encode()) and len(read) < 2 * streams.CHUNK_ROWS
    body = first + b"".join(chunks)
    assert len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))) == 3001


def test_streamed_workbook_reads_back_typed_and_formula_safe(db):
    fill(db, 8)
    book = openpyxl.load_workbook(io.BytesIO(exports.export(db, "xlsx", hxl=True)))
    assert book.sheetnames[:2] == ["households", "people"]
    rows = list(book["people"].values)
    header = rows[0]
    first = dict(zip(header, rows[2], strict=False))
    assert rows[1][0] == "#meta+person+id" and len(rows) == 2 + 8
    assert first["age_years"] == 30 and first["given_name"] == "Omar"
    assert first["family_name"] == "'=HYPERLINK(1)", "text, never a formula"
    assert book["people"]["J3"].data_type == "s"
    assert list(book["households"].values)[0][0] == "id"


def test_pfif_streamed_is_one_document(db):
    fill(db, 2500)
    root = ET.fromstring(exports.export(db, "pfif"))
    assert len(root.findall("{http://zesty.ca/pfif/1.4}person")) == 2500


def test_the_page_follows_a_download(client, auth_actions, db):
    fill(db, 3 * streams.CHUNK_ROWS)
    auth_actions.login("coordinator")
    token = "t0ken-for-this-download"
    answer = client.post(
        "/exports",
        buffered=False,
        data={
            "format": "csv",
            "kind": "people",
            "progress": token,
            "csrf_token": auth_actions.csrf(),
        },
    )
    assert answer.headers["X-Export-Rows"] == str(3 * streams.CHUNK_ROWS)
    chunks = iter(answer.response)
    next(chunks)
    next(chunks)
    midway = client.get(f"/exports/progress/{token}").get_json()
    assert 0 < midway["done"] < midway["total"] == 3000 and not midway["finished"]
    rest = b"".join(chunks)
    answer.close()
    assert rest and client.get(f"/exports/progress/{token}").get_json() == {
        "done": 3000,
        "total": 3000,
        "finished": True,
    }
    other = AuthActions(client, db)
    other.login("analyst", "somebody_else")
    assert client.get(f"/exports/progress/{token}").get_json()["total"] is None, "not theirs"
    assert "exports.js" in client.get("/exports").get_data(as_text=True)


def test_the_command_line_shows_its_progress(data_dir, db, tmp_path):
    fill(db, 2000)
    out = tmp_path / "people.csv"
    done = subprocess.run(
        [sys.executable, "-m", "fieldreg", "--data", str(data_dir), "export", str(out)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Exporting 2000 rows" in done.stderr and "2000 rows" in done.stdout
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 2001
    assert out.stat().st_mode & 0o777 == 0o600


def test_csv_chunks_hold_every_byte_once_in_chunks_of_chunk_rows():
    """Issue 16: the chunks join into exactly the CSV, each but the last CHUNK_ROWS lines."""
    lines = [["id", "name"]] + [[n, f"شخص {n}"] for n in range(2 * streams.CHUNK_ROWS + 1)]
    chunks = list(streams.csv_chunks(iter(lines)))
    whole = io.StringIO()
    csv.writer(whole).writerows(lines)
    assert b"".join(chunks) == ("\ufeff" + whole.getvalue()).encode("utf-8")
    sizes = [chunk.decode("utf-8").count("\r\n") for chunk in chunks]
    assert sizes == [streams.CHUNK_ROWS, streams.CHUNK_ROWS, 2]


def test_column_letters_go_on_past_z():
    """Issue 16: an export with more than 26 columns names them AA, AB... as spreadsheets do."""
    letters = [streams._column(n) for n in (0, 25, 26, 27, 51, 52, 701, 702)]
    assert letters == ["A", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]


def test_a_row_holds_typed_cells_and_no_empty_ones():
    """Issue 16: numbers and yes/no as numbers, text escaped and cleaned, empty cells left out.

    An empty text cell is not empty to a spreadsheet (COUNTA counts it).
    """
    row = streams._row_xml(3, [True, 2.5, "", None, "a<b\x01"], ["A", "B", "C", "D", "E"])
    text = '<c r="E3" t="inlineStr"><is><t xml:space="preserve">a&lt;b</t></is></c>'
    assert row == f'<row r="3"><c r="A3"><v>1</v></c><c r="B3"><v>2.5</v></c>{text}</row>'
    # a line shorter than the columns seen so far (a short HXL row) is written as it is
    assert streams._row_xml(2, ["x"], ["A", "B"]).startswith('<row r="2"><c r="A2" t="inl')
