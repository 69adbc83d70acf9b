"""`make mutate` (bench/mutate.py): its targets exist, its score, and make test leaves it out."""

from __future__ import annotations

import tomllib
from collections import Counter

from bench import mutate
from tests.conftest import ROOT


def test_every_target_names_a_module_and_tests_that_exist():
    for target in mutate.TARGETS.values():
        assert (ROOT / target.module).is_file()
        assert all((ROOT / test).is_file() for test in target.tests)
        config = tomllib.loads(mutate.mutmut_config(target))["tool"]["mutmut"]
        assert config["only_mutate"] == [target.module]
        assert "--hypothesis-profile=mutate" in config["pytest_add_cli_args"]


def test_the_score_counts_survivors_and_untested_mutants_against_the_module():
    counts = Counter({"killed": 90, "survived": 6, "no tests": 4, "timeout": 3, "equivalent": 9})
    assert mutate.score(counts) == 90.0
    assert mutate.score(Counter()) == 100.0


def test_make_test_does_not_run_the_mutation_tests():
    makefile = (ROOT / "Makefile").read_text()
    test_recipe = makefile.split("\ntest:")[1].split("\n\n")[0]
    assert "mutate" not in test_recipe and "python -m bench.mutate" in makefile
