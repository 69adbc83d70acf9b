"""Fail the run if the suite wrote into the checkout (issue 16: nothing generated is committed).

The tree's ``git status`` is read before the first test and after the last; any path that
appeared or changed in between was written by a test (ignored paths such as test-artifacts/
do not show). Outside a git checkout there is nothing to compare, and the check is skipped.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_before: dict[str, str] | None = None


def tree_status() -> dict[str, str] | None:
    """Return {path: status} of changed and untracked files, or None outside a checkout."""
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=ROOT, capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    status = {}
    for line in done.stdout.splitlines():
        path = ROOT / line[3:]
        stamp = path.stat().st_mtime_ns if path.exists() else 0
        status[line[3:]] = f"{line[:2]} {stamp}"
    return status


def pytest_sessionstart(session: pytest.Session) -> None:
    """Remember the tree as it was before the first test."""
    global _before
    _before = tree_status()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a test left a file in the checkout."""
    after = tree_status()
    if _before is None or after is None:
        return
    written = sorted(path for path, state in after.items() if _before.get(path) != state)
    if written:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(f"\nThe suite wrote into the checkout: {written}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
