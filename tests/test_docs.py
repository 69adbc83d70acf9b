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
    documented = set(re.findall(r"FIELDREG_([A-Z_]+)", README))
    settable = {"DATA", "SESSION_IDLE_MINUTES", "MAX_CONTENT_LENGTH"}
    assert settable <= documented
    assert set(config.DEFAULTS) >= {"SESSION_IDLE_MINUTES", "MAX_CONTENT_LENGTH"}


def test_readme_gives_the_two_commands():
    assert "make run" in README and "make test" in README
