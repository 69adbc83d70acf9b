"""The one-click folder's program: the `fieldreg` command line; with no arguments, `start`.

PyInstaller freezes this file. Double-clicked with no arguments, the program starts the
station with its data in the `data` folder beside the program's own folder, as the start
scripts do; with arguments it is the usual `fieldreg` command (`fieldreg doctor`, ...).
"""

import os
import sys
from pathlib import Path

from fieldreg.cli import cli


def arguments() -> list[str]:
    """Return the command line to run: the one given, or a start of this folder's station."""
    if sys.argv[1:]:
        return sys.argv[1:]
    if os.environ.get("FIELDREG_DATA"):
        return ["start"]
    return ["--data", str(Path(sys.executable).resolve().parent.parent / "data"), "start"]


if __name__ == "__main__":
    cli(args=arguments(), prog_name="fieldreg")
