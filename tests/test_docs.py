"""The README stays true: every command and setting is documented."""

import re

from fieldreg import config
from fieldreg.cli import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def commands(group, prefix=""):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from commands(command, prefix + name + " ")
        else:
            yield prefix + name


def test_every_command_is_in_the_readme():
    missing = [c for c in commands(cli) if f"`{c}" not in README]
    assert missing == []


def test_every_setting_is_in_the_readme():
    """Every FIELDREG_* setting (app settings and variables the code reads) is documented."""
    documented = set(re.findall(r"`FIELDREG_([A-Z_]+)`", README))
    settable = set(config.DEFAULTS) - config.INTERNAL
    source = "\n".join(p.read_text() for p in (ROOT / "fieldreg").rglob("*.py"))
    read = set(re.findall(r"FIELDREG_([A-Z][A-Z_]*[A-Z])", source))
    assert {"DATA", "SEARCH_LIMIT", "THREADS"} <= settable | read
    assert sorted((settable | read) - documented) == []


def test_readme_gives_the_two_commands():
    assert "make run" in README and "make test" in README
