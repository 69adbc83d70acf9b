"""Mutation testing of the modules where a silent mistake hurts people (``make mutate``, issue 16).

    python -m bench.mutate [--module NAME]... [--jobs N] [--keep] [--show]

For each target below: the checkout's files (tracked and new, not ignored) are copied to a
temporary folder, a ``[tool.mutmut]`` section naming the one module and its few fast tests is
appended to the copy's pyproject.toml, and ``mutmut run`` runs there, so nothing is written
into the checkout. A target may count only some functions of its module (``functions``: the
lockout and PIN parts of auth.py). The score is killed / (killed + survived + no tests); a
timeout is shown apart and left out, and so is a survivor that one of the rules of
``bench/mutate_rules.py`` proves equivalent (the letter case of SQL text or of a codec name,
zip's ``strict=False`` made ``None`` or dropped): listed with its rule, never hidden. Other
mutants no test can tell apart carry ``# pragma: no mutate`` with the reason beside them.
The exit status is 1 when a target scores below ``FLOOR``. ``--keep`` leaves the copy for
``mutmut show NAME`` / ``mutmut browse`` there; ``--show`` prints the diff of every mutant that
was not killed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from bench.mutate_rules import equivalent

ROOT = Path(__file__).resolve().parent.parent
FLOOR = 90.0  # per cent killed, for every target
PYTEST_ARGS = ["-p", "no:randomly", "-p", "no:cacheprovider", "-x", "-q"]
PYTEST_ARGS += ["--hypothesis-profile=mutate"]  # tests/conftest.py: no deadline, fixed examples
ALSO_COPY = ["fieldreg/", "sync/", "static/", "bench/", "docs/", "README.md"]


@dataclass(frozen=True)
class Target:
    """One module to mutate, the tests that guard it, and which of its functions count."""

    module: str
    tests: tuple[str, ...]
    functions: tuple[str, ...] = ()  # empty: every function of the module

    @property
    def dotted(self) -> str:
        """Return the module's import name (mutmut names mutants after it)."""
        return self.module.removesuffix(".py").replace("/", ".")

    def patterns(self) -> list[str]:
        """Return the mutant-name globs that count for this target."""
        if not self.functions:
            return [f"{self.dotted}.*"]
        return [f"{self.dotted}.x_{name}__mutmut_*" for name in self.functions]


# The randomised convergence run (20 s) goes last: a mutant the quick tests kill never waits for it.
SYNC_TESTS = ("tests/test_sync_apply.py", "tests/test_sync_hlc.py")
SYNC_TESTS += ("tests/test_sync_convergence.py",)
AUTH_LOCKOUT = ("_stamp", "weak_pin", "check_pin", "pin_matches", "lock_minutes", "login")
AUTH_LOCKOUT += ("_count_attempt", "_take_attempt_back", "unlock_user")
TARGETS = {
    "codes": Target("fieldreg/codes.py", ("tests/test_codes.py",)),
    "access": Target("fieldreg/access.py", ("tests/test_access.py",)),
    "auth": Target("fieldreg/auth.py", ("tests/test_auth.py",), AUTH_LOCKOUT),
    "throttle": Target("fieldreg/throttle.py", ("tests/test_throttle.py",)),
    # Export escaping: a cell a spreadsheet would run as a formula, and the XLSX cell writer.
    "sheets": Target("fieldreg/sheets.py", ("tests/test_sheets.py",), ("cell", "safe")),
    "streams": Target(
        "fieldreg/streams.py",
        ("tests/test_sheets.py", "tests/test_streams.py"),
        ("csv_chunks", "_column", "_row_xml"),
    ),
    # HLC and change ordering, applying received changes, and who may write what.
    "hlc": Target("sync/hlc.py", ("tests/test_sync_hlc.py",)),
    "changelog": Target("sync/changelog.py", ("tests/test_sync_changelog.py", *SYNC_TESTS)),
    "apply": Target("sync/apply.py", SYNC_TESTS),
    "authority": Target("sync/authority.py", ("tests/test_sync_authority.py",)),
    "store": Target("sync/store.py", ("tests/test_sync_store.py",)),
}


def mutmut_config(target: Target) -> str:
    """Write the [tool.mutmut] section for one target."""
    source = target.module.split("/")[0] + "/"

    def toml_list(items) -> str:
        return "[" + ", ".join(f'"{item}"' for item in items) + "]"

    return (
        "\n[tool.mutmut]\n"
        f"source_paths = {toml_list([source])}\n"
        f"only_mutate = {toml_list([target.module])}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(target.tests)}\n"
        f"pytest_add_cli_args = {toml_list(PYTEST_ARGS)}\n"
        f"also_copy = {toml_list(a for a in ALSO_COPY if a != source)}\n"
        # mutmut's wall-clock limit is (the tests' call time + this) x 15; a test's fixtures
        # (a station and an HQ) are not in its call time, and the machine is shared.
        "timeout_constant = 10.0\n"
    )


def copy_checkout(into: Path) -> None:
    """Copy the checkout's tracked and new (not ignored) files into a folder."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet committed is still listed
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)


def mutmut(folder: Path, *args: str, capture: bool = True) -> str:
    """Run a mutmut command in a folder; return what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "mutmut", *args],
        cwd=folder, capture_output=capture, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"mutmut {' '.join(args)} failed in {folder}:\n{done.stdout}{done.stderr}")
    return done.stdout or ""


def statuses(folder: Path) -> dict[str, str]:
    """Read every mutant's status from ``mutmut results``."""
    found = {}
    for line in mutmut(folder, "results", "--all", "true").splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            found[name] = status
    return found


def score(counts: Counter) -> float:
    """Return the per cent killed of the mutants that count (timeouts left out)."""
    counted = counts["killed"] + counts["survived"] + counts["no tests"]
    return 100.0 * counts["killed"] / counted if counted else 100.0


def run_target(name: str, target: Target, jobs: int, keep: bool, show: bool) -> Counter:
    """Mutate one target in a copy of the checkout; print and return its counts."""
    folder = Path(tempfile.mkdtemp(prefix=f"fieldreg-mutate-{name}-"))
    began = time.monotonic()
    try:
        copy_checkout(folder)
        with (folder / "pyproject.toml").open("a") as config:
            config.write(mutmut_config(target))
        mutmut(folder, "run", "--max-children", str(jobs), *target.patterns())
        found = statuses(folder)
        mine = {k: v for k, v in found.items() if _counts_for(k, target)}
        source = (folder / target.module).read_text()
        for mutant in sorted(k for k, v in mine.items() if v == "survived"):
            rule = equivalent(mutmut(folder, "show", mutant), source)
            if rule:
                mine[mutant] = f"equivalent: {rule}"
        counts = Counter(v.partition(":")[0] for v in mine.values())
        missed = sorted(k for k, v in mine.items() if v not in ("killed", "timeout"))
        for mutant in missed:
            print(f"  {mine[mutant]:>9}  {mutant}")
            if show and mine[mutant] == "survived":
                print(mutmut(folder, "show", mutant))
    finally:
        if keep:
            print(f"  kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(
        f"{name:<10} {target.module:<22} mutants {len(mine):>4}  killed {counts['killed']:>4}  "
        f"survived {counts['survived']:>3}  no tests {counts['no tests']:>3}  "
        f"timeout {counts['timeout']:>2}  equivalent {counts['equivalent']:>2}  "
        f"score {score(counts):5.1f}%  "
        f"({time.monotonic() - began:.0f} s)",
        flush=True,
    )
    return counts


def _counts_for(mutant: str, target: Target) -> bool:
    """Tell whether a mutant's name falls in the target's functions."""
    return any(fnmatchcase(mutant, pattern) for pattern in target.patterns())


def main(argv: list[str] | None = None) -> int:
    """Run the chosen targets (all by default); return 1 if any scores below the floor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", choices=sorted(TARGETS), help="repeatable")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the copy for mutmut show")
    parser.add_argument("--show", action="store_true", help="print the diff of each survivor")
    args = parser.parse_args(argv)
    low = []
    for name in args.module or list(TARGETS):
        counts = run_target(name, TARGETS[name], args.jobs, args.keep, args.show)
        if score(counts) < FLOOR:
            low.append(name)
    if low:
        print(f"below {FLOOR:.0f}% killed: {', '.join(low)}")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
