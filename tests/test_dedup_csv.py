"""dedup-csv (issue 7): encodings, bad rows reported line by line, id,cluster_id written."""

import csv
from pathlib import Path

from bench.gen_latin import generate as generate_latin
from bench.gen_population import generate
from sync.dedup import dedup_csv
from sync.dedup.csvio import decode, parse_birth_date
from sync.dedup.features import address_key

HEADER = "id,given_name,father_name,family_name,sex,date_of_birth,age_years,phone\n"
ROWS = (
    "1,محمد,أحمد,الحلبي,ذكر,1990-05-01,,0944123456\n"
    "2,Mohamad,Ahmad,Halabi,m,01/05/1990,,+963944123456\n"
)


def background(path: Path, n: int = 300) -> str:
    """Return CSV lines of generated people, so that the model has data to learn from."""
    keys = ["id", "given_name", "father_name", "family_name", "sex", "date_of_birth",
            "age_years", "phone"]  # fmt: skip
    lines = []
    for person in generate(n, seed=11):
        cells = [str(person.get(k) or "").replace(",", " ") for k in keys]
        lines.append(",".join(cells) + "\n")
    return "".join(lines)


def read_output(path: Path) -> dict[str, str]:
    """Return id -> cluster_id from an output file."""
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["id", "cluster_id"]
    return dict(rows[1:])


def test_utf8_with_bom(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(b"\xef\xbb\xbf" + (HEADER + ROWS + background(tmp_path)).encode())
    report = dedup_csv(source, tmp_path / "out.csv")
    clusters = read_output(tmp_path / "out.csv")
    assert report.encoding == "utf-8-sig"
    assert clusters["1"] == clusters["2"]
    assert report.people == len(clusters) == 302


def test_windows_1256_arabic(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    text = HEADER + ROWS.replace(",m,", ",ذكر,") + background(tmp_path).replace("Å", "")
    source.write_bytes(text.encode("cp1256", errors="replace"))
    report = dedup_csv(source, tmp_path / "out.csv")
    clusters = read_output(tmp_path / "out.csv")
    assert report.encoding == "cp1256"
    assert clusters["1"] == clusters["2"]


def test_bad_rows_are_reported_by_line_and_skipped(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        HEADER.replace("\n", ",colour\n")
        + "1,Ali,Omar,Khatib,m,1985-02-30,,,red\n"  # line 2: no 30 February
        + "\n"  # line 3: blank
        + "2,Huda,Omar,Khatib,f,,two hundred,,\n"  # line 4: not an age
        + ",,,,,,,,\n"  # line 5: empty cells
        + "2,Huda,Omar,Khatib,x,,,,\n"  # line 6: repeated id, odd sex
        + "3,,,,f,2001-01-01,,,,extra\n",  # line 7: no name, extra cell
        encoding="utf-8",
    )
    report = dedup_csv(source, tmp_path / "out.csv")
    warnings = "\n".join(report.warnings)
    assert "line 1: columns ignored: colour" in warnings
    assert "line 2: date_of_birth '1985-02-30'" in warnings
    assert "line 3: empty row" in warnings
    assert "line 4: age_years 'two hundred'" in warnings
    assert "line 5: empty row" in warnings
    assert "line 6: id '2' repeated" in warnings and "line 6: sex 'x'" in warnings
    assert "line 7: no name" in warnings and "line 7: more cells" in warnings
    assert set(read_output(tmp_path / "out.csv")) == {"1", "2", "2#line-6", "3"}


def test_missing_columns_semicolons_and_ids_made_up(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("Given_Name;Family_Name\nAli;Khatib\nعلي;الخطيب\n", encoding="utf-8")
    report = dedup_csv(source, tmp_path / "out.csv")
    assert set(read_output(tmp_path / "out.csv")) == {"line-2", "line-3"}
    assert report.rows == 2


def test_empty_file(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(b"")
    report = dedup_csv(source, tmp_path / "out.csv")
    assert report.people == 0 and read_output(tmp_path / "out.csv") == {}
    assert any("none of the expected columns" in w for w in report.warnings)


def test_progress_is_reported(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(HEADER + ROWS + background(tmp_path, 100), encoding="utf-8")
    seen = []
    dedup_csv(source, tmp_path / "out.csv", progress=lambda stage, done: seen.append(done))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


def test_decode_and_dates() -> None:
    assert decode("علي".encode("cp1256")) == ("علي", "cp1256")
    assert decode("علي".encode("utf-16")) == ("علي", "utf-16")
    assert parse_birth_date("1990-05-01") == "1990-05-01"
    assert parse_birth_date("1/5/1990") == "1990-05-01"
    assert parse_birth_date("05/31/1990") == "1990-05-31"
    assert parse_birth_date("1990/5/1") == "1990-05-01"
    assert parse_birth_date("31/31/1990") is None
    assert parse_birth_date("yesterday") is None
    assert parse_birth_date("19560409") == "1956-04-09"  # FEBRL's dates (issue 15)
    assert parse_birth_date("195649") is None


def latin_background(n: int = 1500) -> str:
    """Return CSV lines of generated Latin-script people with addresses (issue 15)."""
    keys = ["id", "given_name", "family_name", "sex", "date_of_birth", "phone", "address",
            "locality", "postcode", "household_id"]  # fmt: skip
    return "".join(
        ",".join(str(person.get(k) or "").replace(",", " ") for k in keys) + "\n"
        for person in generate_latin(n, seed=5)
    )


def test_address_locality_and_postcode_are_compared(tmp_path: Path) -> None:
    # issue 15: one name, no birth date; only the address tells who is who
    header = "id,given_name,family_name,sex,date_of_birth,phone,address,locality,postcode,"
    source = tmp_path / "in.csv"
    source.write_text(
        header
        + "household_id,shoe_size\n"
        + "a1,John,Smith,m,,,12 High Street,Leeds,LS1 4AP,x1,44\n"
        + "a2,John,Smith,m,,,High St. 12,leeds,LS14AP,x2,\n"
        + "a3,John,Smith,m,,,48 Mill Lane,Bristol,BS8 1TH,x3,\n"
        + latin_background(),
        encoding="utf-8",
    )
    report = dedup_csv(source, tmp_path / "out.csv")
    clusters = read_output(tmp_path / "out.csv")
    assert clusters["a1"] == clusters["a2"] != clusters["a3"]
    assert "line 1: columns ignored: shoe_size" in report.warnings


def test_address_keys_fold_street_words_and_number_order() -> None:
    assert address_key("12 High Street") == address_key("High St. 12") == ("12 high st", "high st")
    assert address_key("Flat 3, 5 Rue de la Paix")[1] == address_key("5 rue de la paix")[1]


def test_formula_ids_are_written_as_text(tmp_path: Path) -> None:
    """Issue 13: a partner's ids such as '=HYPERLINK(...)' or '+1+cmd|x' came back as live
    formulas in OUT.csv (every other file the program writes neutralises them)."""
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    hostile = ['=HYPERLINK("http://evil")', "+1+cmd|x", "@SUM(1)", "-2+3", "\t=1"]
    lines = [f'"{h.replace(chr(34), chr(34) * 2)}",Omar{i},Halabi,male,9\n'
             for i, h in enumerate(hostile)]  # fmt: skip
    source.write_text("id,given_name,family_name,sex,age_years\n" + "".join(lines))
    dedup_csv(source, out)
    written = read_output(out)
    assert len(written) == len(hostile) and "'+1+cmd|x" in written
    assert all(cell.startswith("'") for row in written.items() for cell in row)
