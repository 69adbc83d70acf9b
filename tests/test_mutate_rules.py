"""Mutants set aside by rule (bench/mutate_rules.py): only what Python or SQLite reads alike."""

from __future__ import annotations

from bench.mutate_rules import equivalent

SOURCE = """def f(db, name, text):
    db.execute(
        "select id from users "
        "where username = ?", [name.upper()]
    )
    db.execute("update users set role = 'admin' where id = ?", [name])
    pairs = zip(name, text, strict=False)
    return "Not found.", text.encode("utf-8"), text.encode("utf-8", "ignore"), pairs
    return json.dumps(text, ensure_ascii=False, sort_keys=True)
"""


def diff(before: str, after: str) -> str:
    """Write the diff mutmut shows for a one-line mutant."""
    return f"--- x.py\n+++ x.py\n@@ -1,1 +1,1 @@\n-{before}\n+{after}\n"


def mutant(line_number: int, old: str, new: str) -> str | None:
    """Return the rule that sets aside ``old`` made ``new`` on a line of SOURCE, or None."""
    line = SOURCE.splitlines()[line_number - 1]
    assert old in line
    return equivalent(diff(line, line.replace(old, new, 1)), SOURCE)


def test_the_letter_case_of_sql_text_is_set_aside():
    assert mutant(4, "where username", "WHERE USERNAME") == "sql case"
    assert mutant(3, "select id from users", "SELECT ID FROM USERS") == "sql case"


def test_what_sql_or_python_reads_differently_counts():
    assert mutant(4, "upper", "lower") is None  # an argument beside the SQL
    assert mutant(6, "update users set role = 'admin'", "UPDATE USERS SET ROLE = 'ADMIN'") is None
    assert mutant(8, "Not found.", "NOT FOUND.") is None  # a message people read
    assert mutant(3, "users", "XXusersXX") is None  # not a case change


def test_a_codec_name_in_any_case_is_set_aside():
    assert mutant(8, '"utf-8")', '"UTF-8")') == "codec case"
    assert mutant(8, '"ignore"', '"IGNORE"') is None  # an error handler is case-sensitive


def test_zip_strict_false_made_none_or_dropped_is_set_aside():
    assert mutant(7, "strict=False", "strict=None") == "zip strict"
    assert mutant(7, "strict=False", "") == "zip strict"
    assert mutant(7, "strict=False", "strict=True") is None


def test_a_mutant_of_more_than_one_line_counts():
    two = diff("a\nb", "A\nB").replace("-a\nb", "-a\n-b").replace("+A\nB", "+A\n+B")
    assert equivalent(two, SOURCE) is None


def test_a_false_json_flag_made_none_is_set_aside():
    assert mutant(9, "ensure_ascii=False", "ensure_ascii=None") == "json flag"
    assert mutant(9, "ensure_ascii=False", "ensure_ascii=True") is None
    assert mutant(9, "sort_keys=True", "sort_keys=None") is None  # True made None: read apart
    assert mutant(7, "strict=False", "strict=None") == "zip strict"  # not json's
