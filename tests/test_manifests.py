"""Reading another agency's list (issue 18): CSV and XLSX, and clear refusals of what is not a
table, of unknown encodings and of formula cells; an import never changes a record."""

from __future__ import annotations

import codecs
import io

import openpyxl
import pytest

from fieldreg import manifests
from fieldreg.errors import DomainError

ARABIC = "الاسم الكامل,العمر,الجنس\nمحمد أحمد الحلبي,41,ذكر\nفاطمة علي الشامي,35,أنثى\n"


def refused(data: bytes, encoding: str = "auto", name: str = "list.csv") -> DomainError:
    with pytest.raises(DomainError) as caught:
        manifests.read(name, data, encoding)
    return caught.value


def xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        ARABIC.encode(),
        codecs.BOM_UTF8 + ARABIC.encode(),
        ARABIC.encode("utf-16"),
        ARABIC.replace(",", ";").encode(),
        ARABIC.replace(",", "\t").encode(),
    ],
    ids=["utf-8", "utf-8 bom", "utf-16", "semicolons", "tabs"],
)
def test_csv_lists_are_read_in_the_encodings_known_for_sure(data):
    table = manifests.read("list.csv", data)
    assert table.header == ["الاسم الكامل", "العمر", "الجنس"]
    assert table.rows[0] == ["محمد أحمد الحلبي", "41", "ذكر"]


def test_windows_arabic_is_read_only_when_chosen():
    data = ARABIC.encode("cp1256")
    error = refused(data)
    assert error.code == "unknown_encoding" and "Windows-1256" in error.message
    assert manifests.read("list.csv", data, "windows-1256").rows[1][0] == "فاطمة علي الشامي"
    assert refused(b"a,b\n1,2\n", "klingon").code == "unknown_encoding"


def test_xlsx_lists_are_read_with_numbers_and_dates_as_text():
    import datetime as dt

    data = xlsx([["Name", "Age", "Seen"], ["Omar Halabi", 7.0, dt.datetime(2026, 11, 30, 6)]])
    table = manifests.read("list.xlsx", data)
    assert table.rows == [["Omar Halabi", "7", "2026-11-30T06:00:00"]]


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        b"%PDF-1.7\n" + bytes(range(1, 32)) * 40,
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
        b"PK\x03\x04 not really a workbook",
        b"Dear colleagues, please find, as agreed, the list, which we\ncould not, finish; "
        b"sorry.\nMore words, more, commas, here, and, there, everywhere\nEnd.\n",
        b"Name,Age\n",
        b"   \n\n",
    ],
    ids=["png", "pdf", "old xls", "broken zip", "prose", "header only", "blank"],
)
def test_what_is_not_a_table_is_refused(data):
    assert refused(data).code == "not_a_table"


@pytest.mark.parametrize(
    "cell", ['=HYPERLINK("http://x")', "=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3+cmd"]
)
def test_formula_cells_are_refused(cell):
    error = refused(f"Name,Note\nOmar,{cell}\n".encode())
    assert error.code == "formula_cell" and "Row 2" in error.message


def test_phone_numbers_and_dashes_are_not_formulas():
    table = manifests.read("l.csv", b"Name,Phone,Note\nOmar,+963 933 123 456,-\n")
    assert table.rows == [["Omar", "+963 933 123 456", "-"]]


def test_a_formula_in_a_workbook_is_refused():
    error = refused(xlsx([["Name", "Age"], ["Omar", "=40+1"]]), name="l.xlsx")
    assert error.code == "formula_cell" and "B2" in error.message


def test_columns_are_guessed_from_english_and_arabic_headers():
    assert manifests.guess(["No", "Full name", "Sex", "Age", "Bus"]) == {
        "No": "their_id", "Full name": "full_name", "Sex": "sex", "Age": "age_years",
        "Bus": "vehicle"}  # fmt: skip
    assert manifests.guess(["الاسم", "اسم الأب", "الكنية", "العمر", "رقم الهاتف"]) == {
        "الاسم": "full_name", "اسم الأب": "father_name", "الكنية": "family_name",
        "العمر": "age_years", "رقم الهاتف": "phone"}  # fmt: skip
    assert manifests.signature(["Name ", "AGE"]) == manifests.signature(["name", "age"])


def test_a_mapping_needs_a_name_column():
    with pytest.raises(DomainError):
        manifests.check_mapping(["Age", "Sex"], {"Age": "age_years", "Sex": "sex"})
    kept = manifests.check_mapping(["Name", "X"], {"Name": "full_name", "X": "shoe", "Y": "sex"})
    assert kept == {"Name": "full_name"}


def test_a_refused_import_answers_its_code_and_changes_nothing(client, auth_actions, db):
    headers = auth_actions.token("coordinator")
    before = db.execute("select count(*) from changes").fetchone()[0]
    for data, code in ((b"\x89PNG\r\n\x1a\n\x00\x00", "not_a_table"),
                       (ARABIC.encode("cp1256"), "unknown_encoding"),
                       (b"Name,Age\nOmar,=40+1\n", "formula_cell")):  # fmt: skip
        answer = client.post("/api/v1/lists", data={"file": (io.BytesIO(data), "x.csv")},
                             headers=headers, content_type="multipart/form-data")  # fmt: skip
        assert answer.status_code == 400 and answer.get_json()["code"] == code
    assert db.execute("select count(*) from foreign_lists").fetchone()[0] == 0
    assert db.execute("select count(*) from changes").fetchone()[0] == before
    page = auth_actions.login("coordinator")
    csrf = auth_actions.csrf()
    shown = page.post("/lists/", data={"csrf_token": csrf, "file": (io.BytesIO(b"=1\n"), "a.csv")},
                      content_type="multipart/form-data")  # fmt: skip
    assert shown.status_code == 400 and b'data-code="not_a_table"' in shown.data


def rewritten(data: bytes, member: str, change) -> bytes:
    """Return a workbook with one of its parts rewritten (a hostile file made from a real one)."""
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for name in source.namelist():
            part = source.read(name).decode()
            book.writestr(name, change(part) if name == member else part)
    return out.getvalue()


LEVELS = "abcdefgh"
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
          + "".join(f'<!ENTITY {LEVELS[i + 1]} "{("&" + LEVELS[i] + ";") * 10}">'
                    for i in range(len(LEVELS) - 1))
          + "]>")  # fmt: skip
HOSTILE_XLSX = {
    "billion laughs": lambda sheet: LAUGHS + sheet.replace("<t>9</t>", "<t>&h;</t>"),
    "external entity": lambda sheet: (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM '
        '"file:///etc/hostname">]>' + sheet.replace("<t>9</t>", "<t>&e;</t>")
    ),
    "80 MB unpacked": lambda sheet: sheet.replace("<t>9</t>", f"<t>{'A' * 80_000_000}</t>"),
    "a long cell": lambda sheet: sheet.replace("<t>9</t>", f"<t>{'A' * 5000}</t>"),
}


@pytest.mark.parametrize("change", HOSTILE_XLSX.values(), ids=HOSTILE_XLSX)
def test_a_hostile_workbook_is_refused_not_a_500(change):
    """Issue 13: entities in a sheet answered 500 (ParseError), and a few hundred KB that
    unpack to a 300 MB cell were read whole into memory and stored."""
    data = rewritten(xlsx([["name", "age"], ["Omar", "9"]]), "xl/worksheets/sheet1.xml", change)
    assert len(data) < 2 * 1024 * 1024  # fits under the upload limit
    assert refused(data, name="list.xlsx").code == "not_a_table"
