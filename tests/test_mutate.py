"""`make mutate` (bench/mutate.py): its targets exist, and only SQL letter case is set aside."""

from __future__ import annotations

import tomllib

from bench import mutate
from tests.conftest import ROOT

SOURCE = """def f(db, name):
    db.execute(
        "select id from users "
        "where username = ?", [name.upper()]
    )
    db.execute("update users set role = 'admin' where id = ?", [name])
    return "Not found."
"""


def diff(before: str, after: str) -> str:
    """Write the two-line diff mutmut shows for a one-line mutant."""
    return f"--- x.py\n+++ x.py\n@@ -1,1 +1,1 @@\n-{before}\n+{after}\n"


def test_only_a_case_change_of_sql_text_is_set_aside():
    line = '        "where username = ?", [name.upper()]'
    assert mutate.sql_case_only(diff(line, line.replace("where", "WHERE")), SOURCE)
    # a changed argument beside the SQL, a quoted literal in SQL, a message: all count
    assert not mutate.sql_case_only(diff(line, line.replace("upper", "lower")), SOURCE)
    quoted = "    db.execute(\"update users set role = 'admin' where id = ?\", [name])"
    assert not mutate.sql_case_only(diff(quoted, quoted.upper()), SOURCE)
    message = '    return "Not found."'
    assert not mutate.sql_case_only(diff(message, message.replace("Not", "NOT")), SOURCE)
    line = '        "select id from users "'
    assert not mutate.sql_case_only(diff(line, line.replace("users", "XXusersXX")), SOURCE)


def test_every_target_names_a_module_and_tests_that_exist():
    for target in mutate.TARGETS.values():
        assert (ROOT / target.module).is_file()
        assert all((ROOT / test).is_file() for test in target.tests)
        config = tomllib.loads(mutate.mutmut_config(target))["tool"]["mutmut"]
        assert config["only_mutate"] == [target.module]
        assert "--hypothesis-profile=mutate" in config["pytest_add_cli_args"]


def test_make_test_does_not_run_the_mutation_tests():
    makefile = (ROOT / "Makefile").read_text()
    test_recipe = makefile.split("\ntest:")[1].split("\n\n")[0]
    assert "mutate" not in test_recipe and "python -m bench.mutate" in makefile
